"""One server per data dir: the lock, its message, and its release on exit or crash."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stylelab.errors import ConfigError, OutputError
from stylelab.locks import data_dir_lock


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    first = data_dir_lock(tmp_path)
    first.acquire()
    first.acquire()  # holding it already: nothing to do
    message = (rf"data dir .* is in use by another Style Lab server \(pid {os.getpid()}\); "
               r"stop it or choose another `data_dir`$")  # a setting: the command line names its option
    with pytest.raises(ConfigError, match=message):
        data_dir_lock(tmp_path).acquire()
    first.release()
    second = data_dir_lock(tmp_path)
    second.acquire()
    assert second.held
    second.release()
    second.release()  # not held: nothing to do
    assert not second.held


def test_a_missing_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot create server.lock"):
        data_dir_lock(tmp_path / "missing").acquire()


def test_the_lock_dies_with_a_killed_holder(tmp_path):
    code = ("import sys; from stylelab.locks import data_dir_lock; "
            f"lock = data_dir_lock({str(tmp_path)!r}); lock.acquire(); "
            "print('locked', flush=True); sys.stdin.read()")
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as holder:
        try:
            assert holder.stdout.readline().strip() == "locked"
            with pytest.raises(ConfigError, match=rf"pid {holder.pid}\)"):
                data_dir_lock(tmp_path).acquire()
        finally:
            holder.kill()
    lock = data_dir_lock(tmp_path)  # the file is still there; the lock went with the process
    lock.acquire()
    lock.release()


def test_a_lock_file_left_by_an_earlier_holder_names_the_current_holder(tmp_path):
    """The file may hold a crashed holder's pid (or anything): taking the lock rewrites it, so a refusal
    names the process that holds the lock now."""
    (tmp_path / "server.lock").write_text("4194303\nleft over\n")
    with data_dir_lock(tmp_path) as first:
        assert first.path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(ConfigError, match=rf"\(pid {os.getpid()}\)"):
            data_dir_lock(tmp_path).acquire()
