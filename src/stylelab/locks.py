"""Exclusive locks on folders: one server per data dir, one grid run per output folder.

A second server on the same data dir would empty ``tmp/`` under the first one's
uploads, mark its running jobs interrupted and race it for queued jobs; a second
grid in one folder would compute every cell again and interleave its layout with
the first's. The lock is an OS advisory lock (``flock`` on POSIX,
``msvcrt.locking`` on Windows) on a file in the folder, so the operating system
releases it when the holder exits, even after a crash; the file itself may stay
behind and means nothing without the lock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from stylelab.errors import ConfigError, OutputError

SERVER_LOCK = "server.lock"
GRID_LOCK = "grid.lock"


class FolderLock:
    """The exclusive lock of one folder, held from :meth:`acquire` to :meth:`release`.

    Args:
        root: the folder.
        file_name: the lock file in it.
        in_use: the message when another process holds the lock, given the holder's pid (or None).
    """

    def __init__(self, root: str | Path, file_name: str, in_use: Callable[[int | None], str]) -> None:
        self.path = Path(root) / file_name
        self._in_use = in_use
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
            raise OutputError(f"{self.path.parent}: cannot create {self.path.name} ({exc})") from None
        if not _try_lock(handle):
            holder = _read_pid(handle)
            handle.close()
            raise ConfigError(self._in_use(holder))
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

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def data_dir_lock(root: str | Path) -> FolderLock:
    """One web server per data dir."""
    return FolderLock(root, SERVER_LOCK, lambda pid: (
        f"data dir {root} is in use by another Style Lab server{_pid(pid)}; stop it or choose another `data_dir`"))


def grid_lock(root: str | Path) -> FolderLock:
    """One grid run (or report) per output folder at a time."""
    return FolderLock(root, GRID_LOCK, lambda pid: (
        f"{root}: a grid is running in this folder{_pid(pid)}; wait for it to end"))


def _pid(pid: int | None) -> str:
    return f" (pid {pid})" if pid else ""


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
