"""SIGTERM handled as Ctrl-C by the long-running commands."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a batch scheduler's cancel) raises KeyboardInterrupt, so a
    command stops as on Ctrl-C: a grid keeps its finished cells and stops its workers; serve stops
    gracefully (uvicorn raises the signal again after its own stop, and SIGTERM's default action then
    ended the process before the exit handlers that remove the job queues' semaphores ran: "resource_tracker:
    There appear to be 3 leaked semaphore objects")."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)  # None: set outside Python
