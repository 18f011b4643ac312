"""JobRunner with fake engines in real worker processes: lanes, limits, cancel, crashes, restarts."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from stylelab.errors import ConfigError, JobError, OutputError
from stylelab.experiments.runner import JobRunner, RunnerSettings, _latest_progress, _Worker, default_threads
from stylelab.experiments.store import (
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    DataDir,
    Store,
    store_picture,
)
from stylelab.imageio import ImageLimits
from tests.experiments.fakes import FakeMethods

GATYS = {"size": 32, "iterations": 4, "seed": 0, "preview_every": 2}


class Recorder:
    """The runner's publish callback: keeps every event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def __call__(self, experiment_id: str, event: dict) -> None:
        with self.lock:
            self.events.append((experiment_id, event))

    def of_type(self, kind: str) -> list[dict]:
        with self.lock:
            return [event for _, event in self.events if event["type"] == kind]


class Harness:
    def __init__(self, root, methods, **settings) -> None:
        self.files = DataDir(root)
        self.files.create()
        self.store = Store(self.files.database)
        self.store.create()
        self.events = Recorder()
        options = {"nice": 0, "threads": 1, "cancel_grace": 1.0, **settings}
        self.runner = JobRunner(self.store, self.files, methods, RunnerSettings(**options), self.events)

    def experiment(self, photo, painting, gatys=GATYS, fast=True) -> str:
        limits = ImageLimits()
        a = store_picture(self.store, self.files, photo, "photo", "photo", limits, 128)
        b = store_picture(self.store, self.files, painting, "painting", "painting", limits, 128)
        jobs = ([("fast", {"size": 32})] if fast else []) + [("gatys", dict(gatys))]
        experiment = self.store.create_experiment(a.id, b.id, jobs).id
        self.runner.wake()
        return experiment

    def job(self, experiment: str, kind: str):
        return next(job for job in self.store.jobs_of(experiment) if job.kind == kind)

    def wait_state(self, experiment: str, kind: str, states, timeout: float = 20.0):
        states = (states,) if isinstance(states, str) else states
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(experiment, kind)
            if job.state in states:
                return job
            time.sleep(0.03)
        raise AssertionError(f"{kind} job is {self.job(experiment, kind).state}, not {states}")


@pytest.fixture
def make(tmp_path):
    made = []

    def factory(methods=None, **settings) -> Harness:
        harness = Harness(tmp_path / f"data{len(made)}", methods or FakeMethods(), **settings)
        harness.runner.start()
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        harness.runner.stop()


def test_both_jobs_run_to_done_with_progress_previews_and_results(make, photo, painting):
    h = make()
    experiment = h.experiment(photo, painting)
    fast = h.wait_state(experiment, "fast", DONE)
    gatys = h.wait_state(experiment, "gatys", DONE)
    for job in (fast, gatys):
        assert h.files.image_path(job.result_id).is_file()
        assert h.store.image(job.result_id).role == job.kind
    assert gatys.progress["iteration"] == gatys.progress["total"] == 8
    assert gatys.preview_version == 8
    steps = [event["progress"]["iteration"] for event in h.events.of_type("progress")]
    assert steps == sorted(set(steps)) and steps[-1] == 8  # in order; bursts may be coalesced
    deadline = time.monotonic() + 5  # the event is published just after the store is updated
    while time.monotonic() < deadline:
        last_jobs = h.events.of_type("jobs")[-1]["jobs"]
        if {job.kind: job.state for job in last_jobs} == {"fast": DONE, "gatys": DONE}:
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"last jobs event: {last_jobs}")


def test_at_most_one_gatys_job_runs_at_a_time_and_the_rest_wait_in_order(make, photo, painting):
    h = make(FakeMethods(step_seconds=0.02))
    experiments = [h.experiment(photo, painting, fast=False) for _ in range(3)]
    seen_running = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = [h.job(e, "gatys") for e in experiments]
        seen_running = max(seen_running, sum(job.state == RUNNING for job in jobs))
        if all(job.state == DONE for job in jobs):
            break
        time.sleep(0.01)
    assert seen_running == 1
    started = [h.job(e, "gatys").started for e in experiments]
    assert started == sorted(started)


def test_two_gatys_workers_run_two_jobs_at_once(make, photo, painting):
    h = make(FakeMethods(step_seconds=0.1), gatys_workers=2)
    first = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 30})
    second = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 30})
    h.wait_state(first, "gatys", RUNNING)
    h.wait_state(second, "gatys", RUNNING)
    h.runner.cancel(h.job(first, "gatys").id)
    h.runner.cancel(h.job(second, "gatys").id)


def test_cancel_stops_a_running_job_and_the_worker_takes_the_next(make, photo, painting):
    h = make(FakeMethods(step_seconds=0.05))
    slow = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 500})
    job = h.wait_state(slow, "gatys", RUNNING)
    h.runner.cancel(job.id)
    assert h.wait_state(slow, "gatys", CANCELLED, timeout=5).error is None
    quick = h.experiment(photo, painting, fast=False)
    h.wait_state(quick, "gatys", DONE)
    with pytest.raises(JobError, match="already ended"):
        h.runner.cancel(job.id)


def test_a_cancel_does_not_carry_over_to_the_next_job_after_a_delete(make, photo, painting):
    h = make(FakeMethods(step_seconds=0.05))
    first = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 500})
    job = h.wait_state(first, "gatys", RUNNING)
    h.runner.cancel(job.id)
    h.wait_state(first, "gatys", CANCELLED, timeout=5)
    h.store.delete_experiment(first)
    second = h.experiment(photo, painting, fast=False)
    assert h.wait_state(second, "gatys", DONE).error is None  # was cancelled at once: same seq, stale token


def test_cancel_of_a_queued_job_is_immediate_and_it_never_runs(make, photo, painting):
    h = make(FakeMethods(step_seconds=0.05))
    first = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 500})
    second = h.experiment(photo, painting, fast=False)
    h.wait_state(first, "gatys", RUNNING)
    queued = h.job(second, "gatys")
    assert h.store.queue_positions()[queued.id] == 1
    assert h.runner.cancel(queued.id).state == CANCELLED
    h.runner.cancel(h.job(first, "gatys").id)
    h.wait_state(first, "gatys", CANCELLED)
    time.sleep(0.3)
    assert h.job(second, "gatys").started is None


def test_a_cancel_between_claim_and_hand_over_stops_the_job_once_a_worker_has_it(make, photo, painting):
    """The job is running in the store but no worker holds it yet: the cancel must wait for the worker,
    not be lost (the job then ran to the end)."""
    h = make(FakeMethods(step_seconds=0.05))
    task = h.runner._task
    answers = []

    def cancelled_while_claimed(job):  # the monitor has claimed the job and is building its task
        answers.append(h.runner.cancel(job.id).state)
        return task(job)

    h.runner._task = cancelled_while_claimed
    experiment = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 20})
    job = h.wait_state(experiment, "gatys", (CANCELLED, DONE, FAILED), timeout=10)
    assert answers == [RUNNING]
    assert job.state == CANCELLED and job.result_id is None


def test_a_job_that_ignores_cancel_is_ended_with_its_process(make, photo, painting):
    h = make(FakeMethods(fast_seconds=60), cancel_grace=0.5)
    experiment = h.experiment(photo, painting, gatys={**GATYS, "iterations": 1})
    job = h.wait_state(experiment, "fast", RUNNING)
    time.sleep(0.2)
    h.runner.cancel(job.id)
    h.wait_state(experiment, "fast", CANCELLED, timeout=10)
    # a fresh light worker replaced the killed one
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(w["alive"] and w["ready"] for w in h.runner.status()):
        time.sleep(0.05)
    assert all(w["alive"] for w in h.runner.status())


def test_a_worker_that_dies_after_a_cancel_ends_its_job_cancelled_not_failed(make, photo, painting):
    h = make(FakeMethods(step_seconds=0.05, die_on_cancel=True), cancel_grace=5)
    experiment = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 500})
    job = h.wait_state(experiment, "gatys", RUNNING)
    h.runner.cancel(job.id)
    assert h.wait_state(experiment, "gatys", CANCELLED, timeout=4).error is None  # within the grace time


def test_a_crashed_worker_fails_its_job_and_is_replaced(make, photo, painting):
    h = make(FakeMethods(crash="gatys"))
    experiment = h.experiment(photo, painting)
    failed = h.wait_state(experiment, "gatys", FAILED)
    assert "worker process stopped unexpectedly" in failed.error
    assert h.wait_state(experiment, "fast", DONE)
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and sum(w["lane"] == "gatys" and w["alive"] for w in h.runner.status()) != 1
    ):
        time.sleep(0.05)
    assert sum(w["lane"] == "gatys" and w["alive"] for w in h.runner.status()) == 1


def test_engine_errors_fail_the_job_with_the_message_and_rerun_works(make, photo, painting):
    h = make(FakeMethods(fail="gatys"))
    experiment = h.experiment(photo, painting)
    assert h.wait_state(experiment, "gatys", FAILED).error == "fake gatys failure"
    h.wait_state(experiment, "fast", DONE)  # refused because it is done, not because it is still running
    with pytest.raises(JobError, match="only failed, cancelled or interrupted"):
        h.runner.rerun(h.job(experiment, "fast").id)
    h.runner.rerun(h.job(experiment, "gatys").id)
    assert h.wait_state(experiment, "gatys", FAILED).error == "fake gatys failure"


def test_grades_are_queued_after_a_drawing_and_rerun_when_a_result_arrives(make, photo, painting):
    h = make(FakeMethods(fail="gatys"))
    experiment = h.experiment(photo, painting)
    h.wait_state(experiment, "gatys", FAILED)
    h.wait_state(experiment, "fast", DONE)
    drawing = store_picture(h.store, h.files, photo, "drawing", "drawing", ImageLimits(), 128)
    h.store.set_drawing(experiment, drawing.id, "canvas")
    h.runner.request_grades(experiment)
    h.wait_state(experiment, "grade", DONE)
    grades = h.store.experiment(experiment).grades
    assert grades["drawing_gatys"] is None and grades["fast_gatys"] is None
    assert 0 <= grades["drawing_fast"]["score"] <= 10


def test_a_result_that_arrives_while_grading_is_graded_too(make, tmp_path, photo, painting):
    """Two light workers: a re-run fast job ends while the grade job grades the results without it. No
    grade job was queued then, and the grades stayed those of the pictures before the re-run."""
    gate = tmp_path / "grade-may-end"
    h = Harness(tmp_path / "data", FakeMethods(grade_gate=str(gate)), light_workers=2)  # not started yet
    experiment = h.experiment(photo, painting)
    assert h.store.end_job(h.job(experiment, "fast").id, CANCELLED, from_states=(QUEUED,))
    h.runner.start()
    try:
        h.wait_state(experiment, "gatys", DONE)
        drawing = store_picture(h.store, h.files, photo, "drawing", "drawing", ImageLimits(), 128)
        h.store.set_drawing(experiment, drawing.id, "canvas")
        h.runner.request_grades(experiment)
        h.wait_state(experiment, "grade", RUNNING)  # grading drawing and Gatys only, held at the gate
        h.runner.rerun(h.job(experiment, "fast").id)
        h.wait_state(experiment, "fast", DONE)  # on the other light worker
        gate.touch()
        deadline = time.monotonic() + 20
        while any(job.active for job in h.store.jobs_of(experiment)) and time.monotonic() < deadline:
            time.sleep(0.03)
        grades = h.store.experiment(experiment).grades
        assert grades["drawing_fast"] is not None and grades["fast_gatys"] is not None, grades
    finally:
        h.runner.stop()


def test_stop_marks_unfinished_jobs_interrupted_and_start_cleans_up_after_a_crash(
    make, tmp_path, photo, painting
):
    h = make(FakeMethods(step_seconds=0.05))
    experiment = h.experiment(photo, painting, gatys={**GATYS, "iterations": 500})
    h.wait_state(experiment, "gatys", RUNNING)
    h.runner.stop()
    assert h.job(experiment, "gatys").state == INTERRUPTED
    # a server killed without stopping leaves "running" rows behind; the next start fixes them
    h.store.requeue(h.job(experiment, "gatys").id)
    h.store.claim_next("gatys")
    again = Harness(h.files.root, FakeMethods())
    again.runner.start()
    try:
        assert again.job(experiment, "gatys").state == INTERRUPTED
    finally:
        again.runner.stop()


def test_grades_asked_for_twice_at_once_queue_one_grade_job(tmp_path, monkeypatch, photo, painting):
    """The web thread (a drawing arrives) and the monitor (a job ends) may ask at the same moment: both
    reads of the jobs happen before either write here, and still only one grade job is queued."""
    h = Harness(tmp_path / "data", FakeMethods())  # not started: request_grades needs no worker
    experiment = h.experiment(photo, painting)
    drawing = store_picture(h.store, h.files, photo, "drawing", "drawing", ImageLimits(), 128)
    h.store.set_drawing(experiment, drawing.id, "canvas")
    both_read = threading.Barrier(2, timeout=2)
    read_jobs = h.store.jobs_of

    def jobs_of_after_the_other_reads(experiment_id):
        jobs = read_jobs(experiment_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return jobs

    monkeypatch.setattr(h.store, "jobs_of", jobs_of_after_the_other_reads)
    askers = [threading.Thread(target=h.runner.request_grades, args=(experiment,)) for _ in range(2)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(10)
    assert [job.kind for job in read_jobs(experiment)].count("grade") == 1


def _idle_ready_worker(h: Harness, lane: str):
    wait = time.monotonic() + 30
    while time.monotonic() < wait:
        with h.runner._lock:
            worker = next((w for w in h.runner._workers if w.lane == lane and w.ready and w.job is None), None)
        if worker is not None:
            return worker
        time.sleep(0.03)
    raise AssertionError(f"no {lane} worker became ready")


def test_a_cancel_left_on_an_idle_worker_does_not_cancel_its_next_job(make, photo, painting):
    """A cancel that lands just as its job ends leaves the flag on the idle worker (the race between
    cancel() and the monitor); the next job handed to that worker must not be ended by it."""
    h = make(FakeMethods(step_seconds=0.05), cancel_grace=1.0)
    worker = _idle_ready_worker(h, "gatys")
    with h.runner._lock:
        worker.cancel_requested = time.monotonic()  # what the race left behind
    experiment = h.experiment(photo, painting, fast=False, gatys={**GATYS, "iterations": 30})  # 3 s > grace
    assert h.wait_state(experiment, "gatys", (DONE, CANCELLED)).state == DONE


def test_a_cancel_request_for_a_worker_whose_job_just_ended_is_ignored(make):
    h = make()
    worker = _idle_ready_worker(h, "light")
    with h.runner._lock:
        h.runner._request_cancel(worker)
    assert worker.cancel_requested is None and worker.cancel_token.value == 0


@pytest.mark.parametrize("change, message", [
    ({"gatys_workers": 0}, "gatys_workers: must be at least 1, got 0"),
    ({"light_workers": 17}, "light_workers: must be at most 16, got 17"),
    ({"nice": -5}, "nice: must be at least 0, got -5"),
    ({"nice": 20}, "nice: must be at most 19, got 20"),
    ({"threads": 0}, "threads: must be at least 1, got 0"),
    ({"cancel_grace": -1.0}, "cancel_grace: must be at least 0, got -1"),
    ({"cancel_grace": float("nan")}, "cancel_grace: expected a finite number"),
    ({"preview_size": 0}, "preview_size: must be at least 16, got 0"),
    ({"result_size": 2.5}, "result_size: expected an integer, got 2.5"),
])
def test_runner_settings_refuse_a_bad_value_naming_it(change, message):
    with pytest.raises(ConfigError) as caught:
        RunnerSettings(**change)
    assert str(caught.value).startswith(message)


def test_a_burst_of_progress_keeps_each_jobs_latest_step_with_its_newest_preview(tmp_path):
    """Only the last progress message of a job in one drain is kept; it carries the newest preview version
    of the burst (its own if it has one, else the latest an earlier message had)."""
    import queue

    h = Harness(tmp_path / "data", FakeMethods())  # not started: the monitor's queue is fed by hand
    h.runner._results = queue.Queue()

    def progress(job: str, step: int, preview: int | None) -> dict:
        return {"type": "progress", "worker": 1, "job": job, "progress": {"iteration": step},
                "preview_version": preview}

    for message in (progress("a", 1, 2), progress("b", 1, 1), progress("a", 2, None), progress("a", 3, 4),
                    progress("b", 2, None), {"type": "done", "worker": 2, "job": "c"}, progress("a", 4, 6)):
        h.runner._results.put(message)
    kept = _latest_progress(h.runner._drain())
    summary = [(m["type"], m["job"], m.get("progress", {}).get("iteration"), m.get("preview_version"))
               for m in kept]
    assert summary == [("progress", "b", 2, 1), ("done", "c", None, None), ("progress", "a", 4, 6)]


def test_a_job_that_ends_while_another_program_locks_the_database_is_recorded_once_it_is_free(
    make, monkeypatch, photo, painting
):
    """The monitor used to drop the messages it had drained when a store write failed ("database is
    locked" after the busy timeout): the job stayed running forever and its worker never took another."""
    import sqlite3

    monkeypatch.setattr(Store, "BUSY_TIMEOUT", 0.1)
    h = make(FakeMethods(step_seconds=0.02))
    experiment = h.experiment(photo, painting, fast=False)
    h.wait_state(experiment, "gatys", RUNNING)
    other = sqlite3.connect(h.files.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as an sqlite3 shell in a write transaction
    time.sleep(1.0)  # the job ends meanwhile (8 steps of 0.02 s)
    assert h.job(experiment, "gatys").state == RUNNING
    other.execute("ROLLBACK")
    other.close()
    done = h.wait_state(experiment, "gatys", DONE, timeout=10)
    assert h.store.image(done.result_id) is not None and h.files.image_path(done.result_id).is_file()
    after = h.experiment(photo, painting, fast=False)  # the worker is free again
    h.wait_state(after, "gatys", DONE, timeout=10)


def test_a_job_whose_inputs_cannot_be_read_at_hand_over_fails_instead_of_running_with_no_worker(
    make, monkeypatch, photo, painting
):
    """The monitor claims a job (running), then reads its experiment to build the task; when that read
    failed with anything but JobError (a database that cannot be read now) the job stayed running, with no
    worker, for good."""
    from stylelab.errors import OutputError

    h = make(FakeMethods())
    _idle_ready_worker(h, "gatys")

    read = h.store.experiment

    def unreadable(experiment_id):
        if threading.current_thread().name == "stylelab-job-monitor":
            raise OutputError("database x: disk I/O error")
        return read(experiment_id)

    monkeypatch.setattr(h.store, "experiment", unreadable)
    experiment = h.experiment(photo, painting, fast=False)
    failed = h.wait_state(experiment, "gatys", FAILED, timeout=10)
    assert "disk I/O error" in failed.error
    monkeypatch.undo()
    h.runner.rerun(failed.id)
    h.wait_state(experiment, "gatys", DONE, timeout=10)


def test_a_message_that_cannot_be_handled_is_dropped_and_the_ones_after_it_still_are(
    make, monkeypatch, photo, painting
):
    """Only a store that cannot be written now (OutputError) keeps a message for another try; a message
    that fails for any other reason would otherwise be retried for ever, holding up every job."""
    h = make(FakeMethods(step_seconds=0.02))
    handle = h.runner._handle
    broken = []

    def first_progress_breaks(message):  # that message fails every time it is handled
        if message["type"] == "progress" and (not broken or message is broken[0]):
            broken.append(message)
            raise KeyError("preview_version")
        return handle(message)

    monkeypatch.setattr(h.runner, "_handle", first_progress_breaks)
    experiment = h.experiment(photo, painting, fast=False)
    h.wait_state(experiment, "gatys", DONE, timeout=10)
    assert broken


class _FakeProcess:
    exitcode = None

    def is_alive(self) -> bool:
        return True


def _by_hand(tmp_path, monkeypatch, hand_over=True):
    """A runner whose monitor steps are run by the test (no processes) with one ready gatys worker that
    records the tasks handed to it; the experiment's gatys job is claimed and given to that worker
    (if ``hand_over``)."""
    import queue

    from stylelab.experiments.runner import _Worker

    h = Harness(tmp_path / "data", FakeMethods())
    h.runner._results = queue.Queue()
    worker = _Worker(1, "gatys", _FakeProcess(), queue.Queue(), type("Token", (), {"value": 0})(), ready=True)
    h.runner._workers.append(worker)
    monkeypatch.setattr("stylelab.experiments.runner.time.sleep", lambda seconds: None)
    photo = h.store.add_image("a" * 16, "photo", "p", 8, 8)
    painting = h.store.add_image("b" * 16, "painting", "q", 8, 8)
    experiment = h.store.create_experiment(photo.id, painting.id, [("gatys", dict(GATYS))]).id
    if hand_over:
        h.runner._step()
    return h, worker, h.job(experiment, "gatys")


def _store_down(h, monkeypatch, *methods):
    from stylelab.errors import OutputError

    def down(*args, **kwargs):
        raise OutputError("database x: database or disk is full")

    for name in methods:
        monkeypatch.setattr(h.store, name, down)


def _step_failing(h) -> None:
    from stylelab.errors import OutputError

    with pytest.raises(OutputError):
        h.runner._step()


def test_progress_kept_through_a_long_store_outage_is_one_message_per_job(tmp_path, monkeypatch):
    """Each monitor step drains the progress sent meanwhile; while the store could not be written they were
    all kept, one per step (about 2 a second per running job for as long as the outage lasted), and all
    written and published, stale, once it worked again."""
    h, worker, job = _by_hand(tmp_path, monkeypatch)
    with monkeypatch.context() as patch:
        _store_down(h, patch, "set_progress")
        for step in range(1, 51):
            h.runner._results.put({"type": "progress", "worker": 1, "job": job.id, "progress": {"iteration": step},
                                   "preview_version": 10 if step == 10 else None})
            _step_failing(h)
        assert len(h.runner._pending) == 1
    h.runner._step()
    assert h.store.job(job.id).progress == {"iteration": 50} and h.store.job(job.id).preview_version == 10
    assert [event["progress"]["iteration"] for event in h.events.of_type("progress")] == [50]


def test_a_coalesced_progress_message_takes_the_newest_dropped_preview_not_the_oldest(tmp_path):
    """Of two previews saved in one burst the first one's version was kept: the page asked for the preview
    file under an old version, which the browser may hold in its cache from before."""
    import queue

    h = Harness(tmp_path / "data", FakeMethods())
    h.runner._results = queue.Queue()
    for step, preview in ((1, 2), (2, 4), (3, None)):
        h.runner._results.put({"type": "progress", "worker": 1, "job": "a", "progress": {"iteration": step},
                               "preview_version": preview})
    assert [(m["progress"]["iteration"], m["preview_version"]) for m in _latest_progress(h.runner._drain())] == [(3, 4)]


def test_a_message_that_meets_a_mistake_in_our_sql_is_dropped_not_retried_for_ever(tmp_path, monkeypatch):
    h, worker, job = _by_hand(tmp_path, monkeypatch)

    def misspelt(*args):
        with h.store._connect(write=True) as connection:
            connection.execute("UPDATE jobs SET progresss = 1")

    monkeypatch.setattr(h.store, "set_progress", misspelt)
    h.runner._results.put({"type": "progress", "worker": 1, "job": job.id, "progress": {"iteration": 1},
                           "preview_version": None})
    h.runner._step()
    assert h.runner._pending == []


def test_a_job_claimed_while_the_store_fails_is_not_left_running_with_no_worker(tmp_path, monkeypatch):
    """The claim was written, then reading its experiment failed and so did writing that the job failed: the
    error left the job running, with no worker, for good (Cancel could not stop it either)."""
    from stylelab.errors import OutputError

    h, worker, job = _by_hand(tmp_path, monkeypatch, hand_over=False)
    with monkeypatch.context() as patch:
        _store_down(h, patch, "experiment", "end_job")
        for _ in range(3):
            with contextlib.suppress(OutputError):
                h.runner._step()
    assert h.store.job(job.id).state == RUNNING and worker.job is None
    h.runner._step()
    assert h.store.job(job.id).state == FAILED
    assert "database or disk is full" in h.store.job(job.id).error


def test_a_cancel_while_the_end_of_a_job_waits_for_the_store_does_not_cancel_its_re_run(tmp_path, monkeypatch):
    """The worker is free once its job's end is read, before the store takes it: a Cancel then found the job
    running with no worker, took it for one just claimed and kept the cancel for its hand-over, which came
    with the re-run: the re-run was cancelled as soon as it started."""
    h, worker, job = _by_hand(tmp_path, monkeypatch)
    h.runner._results.put({"type": "failed", "worker": 1, "job": job.id, "error": "out of memory"})
    with monkeypatch.context() as patch:
        _store_down(h, patch, "end_job")
        _step_failing(h)
        h.runner.cancel(job.id)
    h.runner._step()
    assert h.store.job(job.id).state == FAILED
    h.runner.rerun(job.id)
    h.runner._step()
    assert worker.job is not None and worker.job.id == job.id
    assert worker.cancel_requested is None and worker.cancel_token.value == 0


def test_a_result_sent_by_an_earlier_run_of_a_job_is_not_taken_as_its_re_runs(make, photo, painting):
    """A worker killed after a cancel may have sent its "done" first; read after the job was re-run, that
    message ended the re-run with the old run's picture. Messages now carry their run's token (the seq)."""
    from PIL import Image

    h = make(FakeMethods(step_seconds=0.1))
    experiment = h.experiment(photo, painting, fast=False)
    first = h.wait_state(experiment, "gatys", RUNNING)
    h.runner.cancel(first.id)
    h.wait_state(experiment, "gatys", CANCELLED)
    h.runner.rerun(first.id)
    rerun = h.wait_state(experiment, "gatys", RUNNING)
    assert rerun.seq != first.seq
    stale, width, height = h.files.save_image(Image.new("RGB", (8, 8), "red"))
    h.runner._results.put({"type": "done", "worker": 999, "job": first.id, "token": first.seq,
                           "image": {"id": stale, "width": width, "height": height}})
    time.sleep(0.3)
    assert h.job(experiment, "gatys").state == RUNNING  # was: done, with the stale picture
    done = h.wait_state(experiment, "gatys", DONE, timeout=20)
    assert done.result_id not in (None, stale)
    assert h.store.image(stale) is None and not h.files.image_path(stale).exists()  # nobody owns it


def _claimed(h: Harness, photo, painting, lane: str = "light", drawing: bool = False):
    """A job of a new experiment marked running, as the monitor would have it (the runner is not started)."""
    experiment = h.experiment(photo, painting)
    if drawing:
        picture = store_picture(h.store, h.files, photo, "drawing", "drawing", ImageLimits(), 128)
        h.store.set_drawing(experiment, picture.id, "canvas")
    return experiment, h.store.claim_next(lane)


def test_pressing_cancel_again_does_not_put_off_ending_a_job_that_ignores_it(tmp_path, photo, painting):
    """The grace time runs from the first request: a second press must not give the job another one."""
    h = Harness(tmp_path / "data", FakeMethods())
    _, job = _claimed(h, photo, painting)
    worker = _Worker(1, "light", process=None, tasks=None, cancel_token=type("Token", (), {"value": 0})(), job=job)
    JobRunner._request_cancel(worker)
    first = worker.cancel_requested
    time.sleep(0.01)
    JobRunner._request_cancel(worker)
    assert worker.cancel_requested == first and worker.cancel_token.value == job.seq


def test_a_result_that_arrives_after_its_job_was_cancelled_leaves_no_files(tmp_path, photo, painting):
    h = Harness(tmp_path / "data", FakeMethods())
    _, job = _claimed(h, photo, painting)
    h.store.end_job(job.id, CANCELLED)
    from PIL import Image

    image_id, width, height = h.files.save_image(Image.new("RGB", (32, 32)))  # what the worker stored
    message = {"type": "done", "worker": 1, "job": job.id, "image": {"id": image_id, "width": width, "height": height}}
    assert h.runner._record_end(job, message) is False
    assert not h.files.image_path(image_id).exists() and not h.files.thumb_path(image_id).exists()
    assert h.store.image(image_id) is None


def test_an_end_recorded_before_a_failed_write_still_queues_grading_when_tried_again(
    tmp_path, monkeypatch, photo, painting
):
    """The end is written once; if queueing the grades then fails (a locked database), the retry of the same
    message must still queue them, not find the job ended already and do nothing."""
    h = Harness(tmp_path / "data", FakeMethods())
    experiment, job = _claimed(h, photo, painting, drawing=True)
    queue_grading, calls = h.store.queue_grading, []

    def locked_once(experiment_id):
        calls.append(experiment_id)
        if len(calls) == 1:
            raise OutputError("database is locked")
        return queue_grading(experiment_id)

    monkeypatch.setattr(h.store, "queue_grading", locked_once)
    message = {"type": "done", "worker": 1, "job": job.id}
    with pytest.raises(OutputError):
        h.runner._finish(job, message)
    h.runner._finish(job, message)  # the monitor's next try
    assert h.job(experiment, "fast").state == DONE
    assert h.job(experiment, "grade").state == QUEUED


def test_stored_grades_are_announced_so_that_open_pages_show_them(tmp_path, photo, painting):
    h = Harness(tmp_path / "data", FakeMethods())
    experiment, _ = _claimed(h, photo, painting, drawing=True)
    for job in (h.job(experiment, "fast"), h.store.claim_next("gatys")):
        h.store.end_job(job.id, DONE)
    h.store.queue_grading(experiment)
    grade = h.store.claim_next("light")
    h.runner._finish(grade, {"type": "done", "worker": 1, "job": grade.id, "grades": {"drawing_fast": None}})
    assert h.events.of_type("experiment") == [{"type": "experiment", "experiment_id": experiment}]
    assert h.store.experiment(experiment).grades == {"drawing_fast": None, "drawing_gatys": None, "fast_gatys": None}


@pytest.mark.parametrize("cores, threads", [(8, 7), (2, 1), (1, 1), (None, 1)])
def test_workers_leave_one_core_to_the_server_and_the_browser(monkeypatch, cores, threads):
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert default_threads() == threads


def test_a_worker_that_dies_as_it_starts_is_not_respawned_in_a_tight_loop(make):
    h = make(FakeMethods(die_at_start="gatys"))
    time.sleep(0.5)
    before = h.runner._spawned
    time.sleep(3.0)
    assert h.runner._spawned - before <= 2  # one respawn per 2 s at most; without the wait, one per step
