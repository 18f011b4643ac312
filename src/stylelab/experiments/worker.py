"""The loop that runs inside a worker process.

A worker takes task dicts from its own queue, runs them through a
:class:`~stylelab.experiments.methods.Methods` object and puts small message
dicts on the shared results queue; images travel as files under the data dir,
never through the queue. It lowers its own priority first, so the web server
stays responsive while it computes.

Messages (all carry ``type``, ``worker`` and, except ``ready``, ``job``)::

    ready      the worker has warmed up and waits for tasks
    started    a task was taken
    progress   {"progress": {...}, "preview_version": int | None}
    done       {"image": {"id", "width", "height"} | None, "grades": {...} | None}
    failed     {"error": "message for the person"}
    cancelled  the job stopped because it was asked to
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stylelab.errors import Cancelled, StylelabError, plain_message
from stylelab.experiments.methods import FastOptions, GatysOptions, Methods, StepReport
from stylelab.experiments.store import DataDir

LOG = logging.getLogger(__name__)
PARENT_CHECK_SECONDS = 1.0  # how soon an idle worker notices that the server died


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker process is told when it starts.

    Attributes:
        index: the worker's number, echoed in every message.
        lane: "gatys" or "light" (fast and grade jobs).
        data_dir: root of the data dir where inputs are read and results written.
        nice: added to the process's niceness (0 = unchanged).
        threads: torch threads for this process (None = torch's default).
        preview_size: long side of the preview images written for Gatys jobs.
        result_size: long side above which results are shrunk before storing.
    """

    index: int
    lane: str
    data_dir: str
    nice: int
    threads: int | None
    preview_size: int
    result_size: int


def worker_main(setup: WorkerSetup, methods: Methods, tasks, results, cancel_token) -> None:
    """Entry point of a worker process; returns when it receives ``None``.

    Args:
        setup: see :class:`WorkerSetup`.
        methods: the engines to call.
        tasks: multiprocessing queue of task dicts (``None`` = stop).
        results: multiprocessing queue shared by all workers, read by the runner.
        cancel_token: shared integer; a running task stops when it equals the task's ``token``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    parent = os.getppid()
    _lower_priority(setup.nice)
    try:
        methods.prepare(setup.lane, setup.threads)
    except Exception:  # a failed warm-up shows up again, with a message, in the first job
        LOG.exception("worker %d: warm-up failed", setup.index)
    results.put({"type": "ready", "worker": setup.index})
    files = DataDir(setup.data_dir)
    while True:
        try:
            task = tasks.get(timeout=PARENT_CHECK_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:  # the server died without stopping us (kill -9): do not linger
                return
            continue
        if task is None:
            return
        results.put({"type": "started", "worker": setup.index, "job": task["job"], "token": task["token"]})
        outcome = run_task(task, setup, methods, files, results, cancel_token, parent)
        results.put({"worker": setup.index, "job": task["job"], "token": task["token"], **outcome})


def _lower_priority(nice: int) -> None:
    if nice > 0 and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError:
            LOG.warning("could not lower the worker's priority")


def run_task(
    task: dict[str, Any], setup: WorkerSetup, methods: Methods, files: DataDir, results, cancel_token,
    parent: int | None = None,
) -> dict[str, Any]:
    """Run one task; return the final message (without ``worker`` and ``job``).

    A Gatys task stops at its next step when ``cancel_token`` holds the task's token, or when the
    process ``parent`` (the server) is gone.
    """
    started = time.perf_counter()

    def check_cancel() -> None:
        if cancel_token.value == task["token"]:
            raise Cancelled("cancelled on request")
        if parent is not None and os.getppid() != parent:
            raise Cancelled("the server is gone")

    try:
        if task["kind"] == "fast":
            message = _run_fast(task, methods, files, setup)
        elif task["kind"] == "gatys":
            message = _run_gatys(task, methods, files, setup, results, check_cancel)
        else:
            message = _run_grade(task, methods)
        if message["type"] == "done":
            _cancel_if_asked(check_cancel, message, files)
    except Cancelled:
        return {"type": "cancelled"}
    except StylelabError as exc:
        return {"type": "failed", "error": plain_message(exc)}
    except Exception as exc:  # a bug in an engine must not take the worker down
        LOG.exception("job %s failed", task["job"])
        return {
            "type": "failed",
            "error": f"internal error in the {task['kind']} job: {type(exc).__name__}: {exc}",
        }
    message["seconds"] = time.perf_counter() - started
    return message


def _cancel_if_asked(check_cancel, message: dict[str, Any], files: DataDir) -> None:
    """A job that could not be stopped midway still ends as cancelled, and its result is not kept:
    no record will own the stored image."""
    try:
        check_cancel()
    except Cancelled:
        if message["image"] is not None:
            files.remove_image_files([message["image"]["id"]])
        raise


def _run_fast(task, methods: Methods, files: DataDir, setup: WorkerSetup) -> dict[str, Any]:
    image = methods.run_fast(Path(task["content"]), Path(task["style"]), FastOptions(**task["options"]))
    return {"type": "done", "image": _stored(files, image, setup.result_size), "grades": None}


def _run_gatys(
    task, methods: Methods, files: DataDir, setup: WorkerSetup, results, check_cancel
) -> dict[str, Any]:
    def on_step(step: StepReport) -> None:
        check_cancel()
        version = None
        if step.preview is not None:
            files.save_preview(task["job"], step.preview, setup.preview_size)
            version = step.iteration
        report = {name: value for name, value in asdict(step).items() if name != "preview"}
        results.put(
            {
                "type": "progress",
                "worker": setup.index,
                "job": task["job"],
                "token": task["token"],
                "progress": report,
                "preview_version": version,
            }
        )

    outcome = methods.run_gatys(
        Path(task["content"]), Path(task["style"]), GatysOptions(**task["options"]), on_step
    )
    if outcome.interrupted:
        return {"type": "cancelled"}
    return {"type": "done", "image": _stored(files, outcome.image, setup.result_size), "grades": None}


def _run_grade(task, methods: Methods) -> dict[str, Any]:
    grades = {}
    for pair, (candidate, reference) in task["pairs"].items():
        report = methods.grade(Path(candidate), Path(reference))
        grades[pair] = {
            "score": report.score,
            "similarity": report.similarity,
            "components": dict(report.components),
        }
    return {"type": "done", "image": None, "grades": grades}


def _stored(files: DataDir, image, max_side: int) -> dict[str, Any]:
    image_id, width, height = files.save_image(image.convert("RGB"), max_side)
    return {"id": image_id, "width": width, "height": height}
