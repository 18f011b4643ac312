"""Queue jobs and run them in worker processes, never in the server's threads.

:class:`JobRunner` owns a few worker processes (spawned, so no torch state is
forked from the server) in two lanes: ``gatys`` (by default one worker, so at
most one optimisation runs at a time) and ``light`` (fast transfer and
grading). Queued jobs wait in SQLite; one monitor thread in the server process

* hands the oldest runnable queued job of a lane to an idle worker,
* reads the workers' messages and writes them to the store,
* publishes every change through the ``publish`` callback (for Server-Sent Events),
* stops cancelled jobs: first by a shared cancel token that the worker checks
  at every optimiser step, then, after ``cancel_grace`` seconds, by ending the
  process and starting a fresh one,
* restarts a worker that died and fails the job it was running.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stylelab.errors import JobError, OutputError, StylelabError, plain_message
from stylelab.experiments.methods import Methods
from stylelab.experiments.store import (
    ACTIVE_STATES,
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RERUNNABLE_STATES,
    DataDir,
    ImageRecord,
    JobRecord,
    Store,
)
from stylelab.experiments.worker import WorkerSetup, worker_main
from stylelab.gatys.config import MAX_SIZE, MIN_SIZE
from stylelab.validate import help_text, integer, number, plain_numbers

LOG = logging.getLogger(__name__)
GRADE_PAIRS = {
    "drawing_fast": ("drawing", "fast"),
    "drawing_gatys": ("drawing", "gatys"),
    "fast_gatys": ("fast", "gatys"),
}
_RESPAWN_DELAY = 2.0
_RETRY_DELAY = 0.5  # after a failed store write (a lock held elsewhere, a full disk)
MAX_WORKERS = 16  # per lane
MAX_NICE = 19  # the highest niceness there is
MAX_THREADS = 1024
MAX_CANCEL_GRACE = 3600.0
Publish = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class RunnerSettings:
    """How jobs are run: the single source of these defaults (``stylelab serve`` builds its options from them)."""

    gatys_workers: int = field(default=1, metadata=help_text(
        "Gatys jobs that may run at the same time (the rest queue)"))
    light_workers: int = field(default=1, metadata=help_text("fast and grade jobs that may run at the same time"))
    nice: int = field(default=10, metadata=help_text(
        "niceness added to worker processes (higher = yields more to the server; 0 = unchanged)"))
    threads: int | None = field(default=None, metadata=help_text("torch threads per worker process"))  # None: torch's
    cancel_grace: float = field(default=5.0, metadata=help_text(
        "seconds a job gets to stop after a cancel before its process is ended"))
    preview_size: int = field(default=512, metadata=help_text("long side of Gatys preview images"))
    result_size: int = field(default=1024, metadata=help_text(
        "results larger than this (long side) are shrunk before storing"))

    def __post_init__(self) -> None:
        plain_numbers(self)
        integer("gatys_workers", self.gatys_workers, minimum=1, maximum=MAX_WORKERS)
        integer("light_workers", self.light_workers, minimum=1, maximum=MAX_WORKERS)
        integer("nice", self.nice, minimum=0, maximum=MAX_NICE)
        if self.threads is not None:
            integer("threads", self.threads, minimum=1, maximum=MAX_THREADS)
        number("cancel_grace", self.cancel_grace, minimum=0.0, maximum=MAX_CANCEL_GRACE)
        integer("preview_size", self.preview_size, minimum=MIN_SIZE, maximum=MAX_SIZE)
        integer("result_size", self.result_size, minimum=MIN_SIZE, maximum=MAX_SIZE)


@dataclass
class _Worker:
    number: int
    lane: str
    process: Any
    tasks: Any
    cancel_token: Any
    ready: bool = False
    job: JobRecord | None = None
    cancel_requested: float | None = None
    started: float = field(default_factory=time.monotonic)


class JobRunner:
    """Runs the jobs of experiments in worker processes; see the module docstring."""

    def __init__(
        self, store: Store, files: DataDir, methods: Methods, settings: RunnerSettings, publish: Publish
    ) -> None:
        self._store = store
        self._files = files
        self._methods = methods
        self._settings = settings
        self._publish = publish
        self._context = multiprocessing.get_context("spawn")
        self._results = None
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        # (job id, seq) of runs cancelled between claim and hand-over to a worker; by run, because a job whose
        # end waits for the store has no worker either, and a cancel kept for it must not stop its re-run
        self._early_cancels: set[tuple[str, int]] = set()
        # Messages drained but not yet written to the store; one whose write fails (the database locked by
        # another program, a full disk: OutputError) stays at the front and is tried again.
        self._pending: list[dict[str, Any]] = []
        self._monitor_error: str | None = None  # the last failure logged, so that a lasting one is logged once
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._spawned = 0

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Mark jobs cut off in an earlier run interrupted, start the workers and the monitor
        (which picks up the jobs still queued)."""
        for experiment_id in self._store.interrupt_running():
            self._publish_jobs(experiment_id)
        self._results = self._context.Queue()
        with self._lock:
            for lane, count in (
                ("gatys", self._settings.gatys_workers),
                ("light", self._settings.light_workers),
            ):
                for _ in range(count):
                    self._workers.append(self._spawn(lane))
        self._thread = threading.Thread(target=self._monitor, name="stylelab-job-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the monitor and the workers; running jobs become interrupted, queued ones stay queued."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:  # nothing a worker holds needs saving: results are written atomically
            worker.process.terminate()
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.process.join(max(0.1, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)
        for experiment_id in self._store.interrupt_running():
            self._publish_jobs(experiment_id)
        if self._results is not None:
            self._results.close()
            self._results.join_thread()

    def wake(self) -> None:
        """Ask the monitor to look at the queue now (after jobs were added)."""
        if self._results is not None:
            self._results.put({"type": "wake"})

    def status(self) -> list[dict[str, Any]]:
        """One entry per worker: lane, alive, ready and the job it runs."""
        with self._lock:
            return [
                {
                    "lane": w.lane,
                    "alive": w.process.is_alive(),
                    "ready": w.ready,
                    "job": w.job.id if w.job else None,
                }
                for w in self._workers
            ]

    # requests from the web app -----------------------------------------------------------------

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued job now, or ask a running one to stop.

        Raises:
            JobError: no such job, or it has already ended.
        """
        job = self._job(job_id)
        if job.state == QUEUED and self._store.end_job(job_id, CANCELLED, from_states=(QUEUED,)):
            self._after_end(job)
            self._publish_jobs(job.experiment_id)
            self.wake()
            return self._job(job_id)
        with self._lock:
            for worker in self._workers:
                if worker.job is not None and worker.job.id == job_id:
                    self._request_cancel(worker)
                    return self._job(job_id)
            job = self._job(job_id)
            if job.state in ACTIVE_STATES:  # claimed a moment ago: cancel it when it is handed over
                self._early_cancels.add((job_id, job.seq))
                return job
        raise JobError(f"the job has already ended ({job.state}); there is nothing to cancel")

    @staticmethod
    def _request_cancel(worker: _Worker) -> None:
        """Ask the worker to stop its job (hold ``self._lock``); nothing if it has none any more."""
        if worker.job is None:
            return
        worker.cancel_token.value = worker.job.seq
        worker.cancel_requested = worker.cancel_requested or time.monotonic()

    @staticmethod
    def _assign(worker: _Worker, job: JobRecord | None) -> None:
        """Give the worker ``job`` (None: it is idle again) with no cancel pending (hold ``self._lock``)."""
        worker.job, worker.cancel_requested = job, None
        worker.cancel_token.value = 0  # no job has sequence number 0

    def rerun(self, job_id: str) -> JobRecord:
        """Queue a failed, cancelled or interrupted job again.

        Raises:
            JobError: no such job, or it is queued, running or done.
        """
        job = self._job(job_id)
        if not self._store.requeue(job_id, RERUNNABLE_STATES):
            raise JobError(
                f"only failed, cancelled or interrupted jobs can be re-run; this one is {job.state}"
            )
        self._publish_jobs(job.experiment_id)
        self.wake()
        return self._job(job_id)

    def request_grades(self, experiment_id: str) -> None:
        """Queue (or queue again) the grade job of an experiment that has a drawing."""
        if not self._store.queue_grading(experiment_id):
            return
        self._publish_jobs(experiment_id)
        self.wake()

    def _job(self, job_id: str) -> JobRecord:
        job = self._store.job(job_id)
        if job is None:
            raise JobError(f"no job with id {job_id}")
        return job

    # the monitor thread ------------------------------------------------------------------------

    def _spawn(self, lane: str) -> _Worker:
        self._spawned += 1
        setup = WorkerSetup(
            self._spawned,
            lane,
            str(self._files.root),
            self._settings.nice,
            self._settings.threads,
            self._settings.preview_size,
            self._settings.result_size,
        )
        tasks = self._context.Queue()
        token = self._context.Value("q", 0, lock=False)
        process = self._context.Process(
            target=worker_main,
            name=f"stylelab-{lane}-worker-{self._spawned}",
            args=(setup, self._methods, tasks, self._results, token),
            daemon=True,
        )
        process.start()
        return _Worker(self._spawned, lane, process, tasks, token)

    def _monitor(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception as exc:  # the monitor must survive anything a job or the disk throws at it
                if repr(exc) != self._monitor_error:
                    LOG.exception("job monitor (trying again every %.1f s)", _RETRY_DELAY)
                self._monitor_error = repr(exc)
                time.sleep(_RETRY_DELAY)
            else:
                if self._monitor_error is not None:
                    LOG.warning("job monitor: working again")
                self._monitor_error = None

    def _step(self) -> None:
        # a progress message waiting since before the store failed is replaced by the job's latest
        self._pending = _latest_progress(self._pending + self._drain())
        while self._pending:
            try:
                self._handle(self._pending[0])
            except OutputError:
                raise  # the store cannot be written now: keep the message for the next try
            except Exception:  # a message that can never be handled must not hold up the ones after it
                LOG.exception("job monitor: dropped a %r message", self._pending[0].get("type"))
            del self._pending[0]
        self._check_workers()
        self._dispatch()

    def _drain(self) -> list[dict[str, Any]]:
        """Messages waiting now (after up to 0.2 s for the first), at most 1,000 (``_step`` keeps only the
        latest progress message of each job, so a fast engine cannot flood the store)."""
        try:
            messages = [self._results.get(timeout=0.2)]
        except queue.Empty:
            return []
        while len(messages) < 1000:
            try:
                messages.append(self._results.get_nowait())
            except queue.Empty:
                break
        return messages

    def _worker(self, number: int) -> _Worker | None:
        with self._lock:
            return next((w for w in self._workers if w.number == number), None)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "wake":
            return
        worker = self._worker(message["worker"])
        if kind == "ready":
            if worker is not None:
                worker.ready = True
            return
        job = self._store.job(message["job"])
        if job is not None and message.get("token", job.seq) != job.seq:  # from a run before a re-run
            self._drop_stale(message)
            return
        if job is None or kind == "started":
            return
        if kind == "progress":
            self._store.set_progress(job.id, message["progress"], message["preview_version"])
            self._publish(
                job.experiment_id,
                {
                    "type": "progress",
                    "job_id": job.id,
                    "kind": job.kind,
                    "progress": message["progress"],
                    "preview_version": message["preview_version"],
                },
            )
            return
        if worker is not None:
            with self._lock:  # cancel() reads the job and sets the flags under it
                if worker.job is not None and worker.job.id == job.id:
                    self._assign(worker, None)
        self._finish(job, message)

    def _drop_stale(self, message: dict[str, Any]) -> None:
        """Forget a message of an earlier run of its job (a worker killed after a cancel may have sent its end
        first); a picture it stored belongs to no record."""
        if message["type"] == "done" and message.get("image"):
            self._files.remove_image_files([message["image"]["id"]])

    def _finish(self, job: JobRecord, message: dict[str, Any]) -> None:
        """Record the end of ``job``; safe to call again with the same message if it raised midway."""
        if "ended" not in message:  # written once: a retry after a failure below must not end it twice
            message["ended"] = self._record_end(job, message)
        if message["ended"]:
            if message["type"] == "done" and message.get("grades") is not None:
                self._publish(job.experiment_id, {"type": "experiment", "experiment_id": job.experiment_id})
            self._after_end(job)
            self._publish_jobs(job.experiment_id)

    def _record_end(self, job: JobRecord, message: dict[str, Any]) -> bool:
        kind = message["type"]
        if kind == "done":
            image = message.get("image")
            result = None
            if image:
                result = ImageRecord(image["id"], job.kind, f"{job.kind} result", image["width"], image["height"],
                                     time.time())
            grades = message.get("grades")
            if grades is not None:
                grades = {pair: grades.get(pair) for pair in GRADE_PAIRS}
            ended = self._store.end_job(job.id, DONE, result=result, grades=grades)
            if not ended and result is not None:  # cancelled meanwhile: no record will own the picture
                self._files.remove_image_files([result.id])
            return ended
        if kind == "failed":
            return self._store.end_job(job.id, FAILED, error=message["error"])
        if kind == "cancelled":
            return self._store.end_job(job.id, CANCELLED)
        return False

    def _after_end(self, job: JobRecord) -> None:
        # Queue grading before publishing the end, so that a listener never sees a moment
        # with nothing active while grades are still to come.
        if job.kind != "grade":
            self.request_grades(job.experiment_id)

    def _check_workers(self) -> None:
        now = time.monotonic()
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            overdue = (
                worker.cancel_requested is not None
                and now - worker.cancel_requested > self._settings.cancel_grace
            )
            if worker.process.is_alive() and not overdue:
                continue
            if not overdue and worker.job is None and now - worker.started < _RESPAWN_DELAY:
                continue  # died while starting: do not respawn in a tight loop
            if overdue:
                worker.process.kill()
            worker.process.join(1.0)
            self._replace(worker, overdue)

    def _replace(self, worker: _Worker, cancelled: bool) -> None:
        job = worker.job
        if job is not None:
            if cancelled or worker.cancel_requested is not None:
                ended = self._store.end_job(job.id, CANCELLED)
            else:
                ended = self._store.end_job(
                    job.id,
                    FAILED,
                    error=(
                        f"the worker process stopped unexpectedly (exit code {worker.process.exitcode}); "
                        "the job can be re-run"
                    ),
                )
                LOG.error("worker %d died running job %s", worker.number, job.id)
            if ended:
                self._after_end(job)
                self._publish_jobs(job.experiment_id)
        if self._stopping.is_set():
            return
        fresh = self._spawn(worker.lane)
        with self._lock:
            self._workers = [fresh if w is worker else w for w in self._workers]

    def _dispatch(self) -> None:
        with self._lock:
            idle = [w for w in self._workers if w.ready and w.job is None and w.process.is_alive()]
        claimed = False
        for worker in idle:
            job = self._store.claim_next(worker.lane)
            if job is None:
                continue
            claimed = True
            try:
                task = self._task(job)
            except StylelabError as exc:  # its experiment is gone, or the store cannot be read now
                # recorded as the worker's own failure would be: by the next step, again while the store fails
                self._pending.append({"type": "failed", "worker": worker.number, "job": job.id,
                                      "error": plain_message(exc)})
                continue
            with self._lock:
                self._assign(worker, job)
                if (job.id, job.seq) in self._early_cancels:
                    self._early_cancels.discard((job.id, job.seq))
                    self._request_cancel(worker)
            worker.tasks.put(task)
        if claimed:
            self._publish_queue()

    def _task(self, job: JobRecord) -> dict[str, Any]:
        experiment = self._store.experiment(job.experiment_id)
        if experiment is None:
            raise JobError(f"experiment {job.experiment_id} no longer exists")
        task = {"job": job.id, "token": job.seq, "kind": job.kind, "options": job.options}
        if job.kind in ("fast", "gatys"):
            task["content"] = str(self._files.image_path(experiment.photo_id))
            task["style"] = str(self._files.image_path(experiment.painting_id))
            return task
        results = {"drawing": experiment.drawing_id}
        for other in self._store.jobs_of(experiment.id):
            if other.kind in ("fast", "gatys") and other.state == DONE:
                results[other.kind] = other.result_id
        task["pairs"] = {
            pair: (str(self._files.image_path(results[a])), str(self._files.image_path(results[b])))
            for pair, (a, b) in GRADE_PAIRS.items()
            if results.get(a) and results.get(b)
        }
        return task

    def _publish_jobs(self, experiment_id: str) -> None:
        self._publish(experiment_id, {"type": "jobs", "jobs": self._store.jobs_of(experiment_id)})

    def _publish_queue(self) -> None:
        experiments = set()
        for job_id in self._store.queue_positions():
            job = self._store.job(job_id)
            if job is not None:
                experiments.add(job.experiment_id)
        for experiment_id in experiments:
            self._publish_jobs(experiment_id)
        # jobs that just started are published as running too
        with self._lock:
            running = {w.job.experiment_id for w in self._workers if w.job is not None}
        for experiment_id in running - experiments:
            self._publish_jobs(experiment_id)


def _latest_progress(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with only the last progress message of each job, which takes the newest preview version
    of the ones dropped if it has none of its own."""
    progress = [(index, m) for index, m in enumerate(messages) if m["type"] == "progress"]
    latest = {m["job"]: index for index, m in progress}
    newest_preview = {m["job"]: m["preview_version"] for _, m in progress if m["preview_version"] is not None}
    for job, index in latest.items():
        messages[index]["preview_version"] = newest_preview.get(job)
    return [m for index, m in enumerate(messages) if m["type"] != "progress" or latest[m["job"]] == index]


def default_threads() -> int:
    """Torch threads per worker: all cores but one, so the server and the browser keep one."""
    return max(1, (os.cpu_count() or 2) - 1)
