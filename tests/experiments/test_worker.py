"""``run_task`` in this process: what each kind of task reports, and how failures are told apart."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import pytest

from stylelab.experiments.store import DataDir
from stylelab.experiments.worker import WorkerSetup, run_task
from tests.experiments.fakes import FakeMethods


class ListQueue(list):
    put = list.append


@pytest.fixture
def files(tmp_path, photo, painting) -> DataDir:
    data = DataDir(tmp_path)
    data.create()
    shutil.copy(photo, tmp_path / "photo.jpg")
    shutil.copy(painting, tmp_path / "painting.jpg")
    return data


def _setup(files: DataDir) -> WorkerSetup:
    return WorkerSetup(1, "gatys", str(files.root), nice=0, threads=None, preview_size=32, result_size=48)


def _task(files: DataDir, kind: str, **options) -> dict:
    return {
        "job": "0123456789abcdef",
        "token": 7,
        "kind": kind,
        "options": options,
        "content": str(files.root / "photo.jpg"),
        "style": str(files.root / "painting.jpg"),
    }


def _token(value: int = 0):
    return multiprocessing.get_context("spawn").Value("q", value, lock=False)


def test_gatys_task_reports_every_step_and_writes_previews_and_the_result(files):
    messages = ListQueue()
    task = _task(files, "gatys", size=40, iterations=3, seed=0, preview_every=2)
    outcome = run_task(task, _setup(files), FakeMethods(), files, messages, _token())
    assert outcome["type"] == "done"
    steps = [m["progress"]["iteration"] for m in messages]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert [m["preview_version"] for m in messages] == [None, 2, None, 4, None, 6]
    assert files.preview_path(task["job"]).is_file()
    assert set(messages[0]["progress"]) == {
        "iteration",
        "total",
        "scale_index",
        "scale_count",
        "width",
        "height",
        "losses",
        "elapsed",
        "eta",
    }
    image = outcome["image"]
    assert files.image_path(image["id"]).is_file() and max(image["width"], image["height"]) == 40


def test_the_cancel_token_stops_a_gatys_task(files):
    messages = ListQueue()
    task = _task(files, "gatys", size=40, iterations=50, seed=0, preview_every=5)
    outcome = run_task(task, _setup(files), FakeMethods(), files, messages, _token(value=7))
    assert outcome["type"] == "cancelled"
    assert messages == []  # stopped at the first step


def test_a_fast_task_that_finishes_after_a_cancel_still_ends_cancelled_and_keeps_no_file(files):
    outcome = run_task(
        _task(files, "fast", size=32), _setup(files), FakeMethods(), files, ListQueue(), _token(7)
    )
    assert outcome["type"] == "cancelled"
    assert list(files.images.iterdir()) == []  # no record will own the result it stored


def test_results_larger_than_result_size_are_shrunk(files):
    outcome = run_task(
        _task(files, "fast", size=100), _setup(files), FakeMethods(), files, ListQueue(), _token()
    )
    assert max(outcome["image"]["width"], outcome["image"]["height"]) == 48


def test_user_errors_and_bugs_both_fail_the_task_with_a_message(files):
    failed = run_task(
        _task(files, "fast", size=32), _setup(files), FakeMethods(fail="fast"), files, ListQueue(), _token()
    )
    assert failed == {"type": "failed", "error": "fake fast failure"}
    broken = _task(files, "fast", size=32)
    broken["options"] = {"size": 32, "unknown": 1}  # a TypeError inside the worker: a bug, not a user error
    outcome = run_task(broken, _setup(files), FakeMethods(), files, ListQueue(), _token())
    assert outcome["type"] == "failed"
    assert outcome["error"].startswith("internal error in the fast job: TypeError")


def test_grade_task_grades_each_pair(files):
    task = {
        "job": "0123456789abcdef",
        "token": 1,
        "kind": "grade",
        "options": {},
        "pairs": {
            "drawing_fast": (str(files.root / "photo.jpg"), str(files.root / "photo.jpg")),
            "fast_gatys": (str(files.root / "photo.jpg"), str(files.root / "painting.jpg")),
        },
    }
    outcome = run_task(task, _setup(files), FakeMethods(), files, ListQueue(), _token())
    assert outcome["type"] == "done" and outcome["image"] is None
    assert outcome["grades"]["drawing_fast"]["score"] == pytest.approx(10.0)
    assert outcome["grades"]["fast_gatys"]["score"] < 10.0
    assert set(outcome["grades"]["fast_gatys"]["components"]) == {"colour", "structure"}


def test_a_gatys_task_stops_when_the_server_is_gone(files):
    import os

    task = _task(files, "gatys", size=40, iterations=50, seed=0, preview_every=5)
    outcome = run_task(task, _setup(files), FakeMethods(), files, ListQueue(), _token(), parent=os.getppid() + 1)
    assert outcome["type"] == "cancelled"


def test_an_idle_worker_exits_when_the_server_is_killed(tmp_path):
    import os
    import subprocess
    import sys
    import time

    # a stand-in server: starts one worker as the runner does, prints its pid, and dies without cleanup
    code = f"""
import multiprocessing, sys
from stylelab.experiments.worker import WorkerSetup, worker_main
from tests.experiments.fakes import FakeMethods
if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    tasks, results, token = context.Queue(), context.Queue(), context.Value("q", 0)
    setup = WorkerSetup(1, "gatys", {str(tmp_path)!r}, nice=0, threads=None, preview_size=32, result_size=48)
    worker = context.Process(target=worker_main, args=(setup, FakeMethods(), tasks, results, token))
    worker.start()
    results.get(timeout=60)  # ready
    print(worker.pid, flush=True)
    import os; os._exit(0)  # like kill -9: no atexit, no join
"""
    root = str(Path(__file__).resolve().parents[2])
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                               cwd=root, env={**os.environ, "PYTHONPATH": root})
    pid = int(completed.stdout.split()[-1])

    def alive() -> bool:
        try:
            status = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except (FileNotFoundError, ProcessLookupError):
            return False
        return status != "Z"  # a zombie has exited (its new parent reaps it)

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()
