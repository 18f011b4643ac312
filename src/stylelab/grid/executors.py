"""Where cells run: this process, a local process pool, or a Ray cluster.

Each executor takes the cells to compute and yields a :class:`CellResult` as
each one finishes (in completion order). Closing the iterator early (Ctrl-C in
the driver) stops the work: pending cells are cancelled and running ones are
killed, so nothing half-done reaches the index.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from stylelab.errors import ConfigError
from stylelab.grid.spec import Cell
from stylelab.grid.worker import (
    OPENMP_ENVIRONMENT,
    CellResult,
    CellTask,
    WorkerTools,
    prepare_worker_process,
    run_cell,
    run_cell_on_ray,
)

CONNECT_TIMEOUT_S = 5.0
POOL_STARTS = 3  # a broken pool is replaced twice for the cells that never reached a worker


def task_of(cell: Cell) -> CellTask:
    return CellTask(cell.key, cell.setting.method, cell.setting.config)


def run_inline(cells: Sequence[Cell]) -> Iterator[CellResult]:
    """Run the cells one after another in this process (``--workers 0``: simplest to debug); their warm
    models are dropped with the iterator, not kept in this process."""
    tools = WorkerTools()
    for cell in cells:
        yield run_cell(task_of(cell), str(cell.content.path), str(cell.style.path), tools)


def worker_threads(workers: int) -> int:
    """Torch threads per worker: the machine's cores shared out, at least one each."""
    return max(1, (os.cpu_count() or 1) // workers)


def run_local(cells: Sequence[Cell], workers: int) -> Iterator[CellResult]:
    """Run the cells on ``workers`` local processes (spawned, so no forked torch state).

    A worker that dies (the out-of-memory killer, say) breaks the whole pool: the cells that had reached
    the workers (running, or next in their queue) fail, and those still waiting go to a fresh pool
    instead of failing with them.
    """
    waiting = list(cells)
    for _ in range(POOL_STARTS):
        waiting = yield from _run_pool(waiting, workers)
        if not waiting:
            return
    for cell in waiting:  # pools keep breaking: give up on the rest rather than loop
        yield CellResult(cell.key, False, error="worker processes kept dying (out of memory or killed?)")


def _run_pool(cells: Sequence[Cell], workers: int) -> Iterator[CellResult]:
    """Run ``cells`` on one pool; return the cells that never reached a worker before it broke."""
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=prepare_worker_process,
        initargs=(worker_threads(workers),),
    )
    futures: dict[Future, Cell] = {}
    not_started: list[Cell] = []
    try:
        futures = {
            pool.submit(run_cell, task_of(cell), str(cell.content.path), str(cell.style.path)): cell
            for cell in cells
        }
        pending = set(futures)
        started: set[Future] = set()
        while pending:
            # handed to the workers (or queued for them) by now; looked at twice a second, as a broken pool
            # ends every future at once
            started |= {future for future in pending if future.running()}
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                if isinstance(future.exception(), BrokenProcessPool) and future not in started:
                    not_started.append(futures[future])
                else:
                    yield _local_result(future, futures[future])
    finally:
        _stop_pool(pool, futures)
    return not_started


def _local_result(future: Future, cell: Cell) -> CellResult:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        return CellResult(cell.key, False, error=f"worker process died (out of memory or killed?): {exc}")


def _stop_pool(pool: ProcessPoolExecutor, futures: dict[Future, Cell]) -> None:
    unfinished = [future for future in futures if not future.done()]
    for future in unfinished:
        future.cancel()
    if unfinished:
        # Cells still running are abandoned: kill their processes rather than wait for them.
        terminate = getattr(pool, "terminate_workers", None)  # Python ≥ 3.14
        if terminate is not None:
            terminate()
        else:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def run_on_ray(cells: Sequence[Cell], address: str | None, cpus: float, gpus: float) -> Iterator[CellResult]:
    """Run each cell as a Ray task; inputs travel through Ray's object store, outputs come back as bytes.

    Connects to ``address`` (``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``) or, without one,
    to the Ray instance this process already started, else starts a local one.

    Raises:
        ConfigError: Ray is not installed, or no cluster answers at ``address``.
    """
    ray = _import_ray()
    started_here = _connect(ray, address)
    refs: dict = {}
    pending: list = []
    try:
        if started_here:  # an instance of this machine alone, no autoscaler: too big a cell would wait for ever
            _check_room(ray.cluster_resources(), cpus, gpus)
        # max_calls 0: a worker process runs cell after cell, keeping its warm models (worker.process_tools);
        # Ray's default for GPU tasks declared in ray.remote is one call per process, which would load the
        # models and warm up again for every cell
        remote = ray.remote(max_calls=0)(run_cell_on_ray).options(
            num_cpus=cpus, num_gpus=gpus, max_retries=0, runtime_env={"env_vars": dict(OPENMP_ENVIRONMENT)}
        )
        data = {}
        for cell in cells:
            for image in (cell.content, cell.style):
                if image.digest not in data:
                    data[image.digest] = ray.put(image.path.read_bytes())
        refs = {
            remote.remote(task_of(cell), data[cell.content.digest], data[cell.style.digest]): cell
            for cell in cells
        }
        pending = list(refs)
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            for ref in finished:
                yield _ray_result(ray, ref, refs[ref])
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


def _check_room(resources: dict[str, float], cpus: float, gpus: float) -> None:
    """Raise ConfigError if a cell asks for more CPUs or GPUs than the Ray instance has."""
    for option, name, asked in (("cpus_per_cell", "CPU", cpus), ("gpus_per_cell", "GPU", gpus)):
        if asked > resources.get(name, 0.0):
            raise ConfigError(f"`{option}` {asked:g}: each cell asks for {asked:g} {name}, but the Ray instance "
                              f"started on this machine has {resources.get(name, 0.0):g}, so no cell could start")


@contextlib.contextmanager
def ray_cluster(address: str | None) -> Iterator[None]:
    """Connected to the cluster at ``address`` (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``) for the block,
    so that a missing cluster is an error before any work; :func:`run_on_ray` then uses that connection.
    Without an address (or ``local``) nothing happens here: a local instance starts only if cells run.

    Raises:
        ConfigError: Ray is not installed, or no cluster answers at ``address``.
    """
    ray = _import_ray()
    if address in (None, "local"):
        yield
        return
    started_here = _connect(ray, address)  # checks that the address answers first
    try:
        yield
    finally:
        if started_here:
            ray.shutdown()


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "`executor` ray: Ray is not installed; pip install 'stylelab[ray]' (or pip install 'ray>=2.9')"
        ) from None
    return ray


def _connect(ray, address: str | None) -> bool:
    """Connect to Ray; True if this call started (and so must stop) it."""
    if ray.is_initialized():
        return False
    if address not in (None, "auto", "local"):
        _check_reachable(address)
    handler = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "this machine"
        raise ConfigError(
            f"`address` {where}: cannot connect to a Ray cluster ({exc}); start one with "
            f"`ray start --head` or leave `address` out to run a local instance"
        ) from None
    finally:
        _keep_sigterm_handler(handler)
    return True


def _keep_sigterm_handler(handler) -> None:
    """Put back a SIGTERM handler of the caller's (the CLI's: stop as on Ctrl-C) that ray.init replaced
    with its own, which exits with status 1 and no word on the finished cells."""
    if callable(handler) and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def _check_reachable(address: str) -> None:
    """Fail fast on a dead HOST:PORT: Ray itself retries an unreachable head node for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"`address` {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ConfigError(
            f"`address` {address}: cannot connect to a Ray cluster ({exc.strerror or exc}); "
            f"is `ray start --head` running there, and is the port open?"
        ) from None


def _ray_result(ray, ref, cell: Cell) -> CellResult:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CellResult(cell.key, False, error=f"Ray task failed: {first_line}")
