"""What runs one cell, wherever it runs: a local worker process, this process, or a Ray task.

A cell's inputs arrive as paths (same filesystem) or as the files' bytes (Ray,
where the driver ships them); its output goes back as PNG bytes, and the
driver writes the file and the index. So workers need no shared folder.
"""

from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from stylelab.errors import StylelabError

# Passive OpenMP waiting: with busy-waiting (the default) torch threads spin on
# barriers, and processes that share cores (several workers, or other programs)
# slow each other down many-fold. Must be set before torch starts OpenMP.
OPENMP_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE"}


@dataclass(frozen=True)
class CellTask:
    """Everything a worker needs for one cell, except the image data."""

    key: str
    method: str
    config: Any


@dataclass(frozen=True)
class CellResult:
    """What a worker sends back for one cell.

    Attributes:
        ok: True when ``png`` holds the result; else ``error`` says why not.
        seconds: wall time of the cell in the worker (reading inputs to encoded PNG), without the
            worker's one-time warm-up (in ``timings["warm_up"]`` of the cell that paid it).
        host: the machine it ran on.
    """

    key: str
    ok: bool
    error: str | None = None
    png: bytes | None = None
    width: int | None = None
    height: int | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    host: str = ""


def prepare_worker_process(threads: int) -> None:
    """Initialiser of a local worker process: Ctrl-C is the driver's business; ``threads`` torch threads;
    the process ends when the driver does, however it ends (kill -9 included)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_the_driver()
    for name, value in OPENMP_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    import torch

    torch.set_num_threads(threads)


def _end_with_the_driver() -> None:
    """Exit as soon as the parent process is gone: a killed driver never closes the pool's pipes, and its
    workers would wait on them forever (holding a terminal's or a ``| tee``'s output open)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="driver-watch", daemon=True).start()


class WorkerTools:
    """What a worker process keeps warm between its cells, so that a cell's time is its own work.

    Fast cells share one :class:`FastStylizer` per device (its model sessions load once); the first
    cell of each Gatys set-up (backbone, pooling, optimiser, device) is preceded by a tiny run that
    pays torch's one-time start-up. Both happen before the cell's clock starts.
    """

    def __init__(self) -> None:
        self._stylizers: dict[str, Any] = {}
        self._warmed_up: set[tuple] = set()  # set-ups whose warm-up ran, whether it worked or not

    def stylizer(self, config: Any) -> Any:
        """The warm FastStylizer for ``config``'s device."""
        from stylelab.fast import FastStylizer

        device = getattr(config, "device", "auto")
        if device not in self._stylizers:
            self._stylizers[device] = FastStylizer(device)
        return self._stylizers[device]

    def cell_stylizer(self, config: Any) -> Any:
        """The warm FastStylizer for a cell like ``config``, without the style vectors earlier cells left in
        it: a cell's time must not depend on which cells this worker ran before."""
        stylizer = self.stylizer(config)
        stylizer.forget_styles()
        return stylizer

    def warm_up(self, method: Any, config: Any) -> float:
        """Ready ``method`` for cells like ``config``; returns the seconds it took.

        Once per set-up, also when it fails: the cell itself runs next and reports what is wrong, and so
        does every later cell of that set-up, without paying for another attempt first.
        """
        setup = method.setup(config)
        if setup in self._warmed_up:
            return 0.0
        self._warmed_up.add(setup)
        started = time.perf_counter()
        with contextlib.suppress(Exception):
            method.warm_up(config, self.stylizer(config) if method.name == "fast" else None)
        return time.perf_counter() - started


@functools.cache
def process_tools() -> WorkerTools:
    """This process's :class:`WorkerTools`, made on first use and kept for the process's life.

    A cache on purpose: pool and Ray workers have no per-process state but module state, and each
    runs many cells. :func:`stylelab.grid.executors.run_inline` passes its own instead.
    """
    return WorkerTools()


def run_cell(task: CellTask, content: str | bytes, style: str | bytes, tools: WorkerTools | None = None
             ) -> CellResult:
    """Run one cell; any error becomes a failed result (Ctrl-C propagates).

    Args:
        task: the key, method and config.
        content / style: a path, or the file's bytes.
        tools: warm models to use (default: this process's, :func:`process_tools`).
    """
    started = time.perf_counter()
    host = socket.gethostname()
    tools = tools if tools is not None else process_tools()

    def failed(error: str) -> CellResult:
        return CellResult(task.key, False, error=error, seconds=time.perf_counter() - started, host=host)

    try:
        from stylelab.grid.methods import get_method

        method = get_method(task.method)
        warm_up = tools.warm_up(method, task.config)
        stylizer = tools.cell_stylizer(task.config) if method.name == "fast" else None
        started = time.perf_counter()  # the warm-up is the worker's, not this cell's
        limit = getattr(task.config, "max_pixels", None)
        output = method.run(_image(content, "content", limit), _image(style, "style", limit), task.config,
                            stylizer=stylizer)
        png = _png(output.image)
    except StylelabError as exc:
        return failed(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a grid keeps going; the index keeps the traceback for whoever investigates
        summary = "".join(traceback.format_exception(exc, limit=-4)).strip()
        return failed(f"unexpected {type(exc).__name__}: {exc}\n{summary}")
    return CellResult(
        task.key,
        True,
        png=png,
        width=output.image.width,
        height=output.image.height,
        history=output.history,
        timings={**output.timings, "warm_up": warm_up} if warm_up else output.timings,
        seconds=time.perf_counter() - started,
        host=host,
    )


def run_cell_on_ray(task: CellTask, content: bytes, style: bytes) -> CellResult:
    """Ray task body: as many torch threads as CPUs Ray assigned to the task."""
    import ray
    import torch

    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
    torch.set_num_threads(max(1, int(cpus)))
    return run_cell(task, content, style)


def _image(source: str | bytes, role: str, max_pixels: int | None):
    """The picture from its path or its file's bytes (Ray), checked as any input file is (size from the
    header before decoding, a damaged file an input error); the failure line names it by its role (a path
    here is a copy in the grid folder's ``inputs/``)."""
    from stylelab.imageio import DEFAULT_LIMITS, ImageLimits, load_image

    limits = ImageLimits(max_pixels=max_pixels) if max_pixels is not None else DEFAULT_LIMITS
    return load_image(source, limits, name=role)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
