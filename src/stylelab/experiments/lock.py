"""One server per data dir: an exclusive lock on ``<data dir>/server.lock``.

A second server on the same data dir would empty ``tmp/`` under the first one's
uploads, mark its running jobs interrupted and race it for queued jobs. The lock
is an OS advisory lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows), so
the operating system releases it when the holder exits, even after a crash; the
file itself may stay behind and means nothing without the lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from stylelab.errors import ConfigError, OutputError

LOCK_FILE = "server.lock"


class DataDirLock:
    """The exclusive lock of one data dir, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / LOCK_FILE
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        """Take the lock (nothing to do if this object holds it already).

        Raises:
            ConfigError: another process holds it.
            OutputError: the lock file cannot be created.
        """
        if self._file is not None:
            return
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open while locked
        except OSError as exc:
            raise OutputError(f"data dir {self.path.parent}: cannot create {LOCK_FILE} ({exc})") from None
        if not _try_lock(handle):
            holder = _read_pid(handle)
            handle.close()
            raise ConfigError(
                f"data dir {self.path.parent} is in use by another Style Lab server"
                f"{f' (pid {holder})' if holder else ''}; stop it or choose another --data-dir"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Give the lock up (nothing to do if it is not held)."""
        handle, self._file = self._file, None
        if handle is not None:
            _unlock(handle)
            handle.close()


def _read_pid(handle: IO[str]) -> int | None:
    try:
        handle.seek(0)
        text = handle.read().strip()
    except OSError:  # Windows does not let others read a locked byte
        return None
    return int(text) if text.isdigit() else None


try:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
