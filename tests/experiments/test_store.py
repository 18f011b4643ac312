"""The SQLite store and the data dir: order of the queues, grade gating, restarts, ids as the only paths."""

from __future__ import annotations

import contextlib

import pytest
from PIL import Image

from stylelab.errors import InputError, JobError
from stylelab.experiments.store import (
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    THUMB_SIZE,
    DataDir,
    ImageGone,
    ImageRecord,
    Store,
    decode_picture,
    is_id,
    new_id,
    record_picture,
    store_picture,
)
from stylelab.imageio import ImageLimits


@pytest.fixture
def files(tmp_path) -> DataDir:
    data = DataDir(tmp_path / "data")
    data.create()
    return data


@pytest.fixture
def store(files) -> Store:
    database = Store(files.database)
    database.create()
    return database


def _experiment(store: Store, kinds=("fast", "gatys")) -> str:
    photo = store.add_image(new_id(), "photo", "p", 10, 10)
    painting = store.add_image(new_id(), "painting", "q", 10, 10)
    return store.create_experiment(photo.id, painting.id, [(kind, {"size": 64}) for kind in kinds]).id


def test_new_ids_are_random_hex_and_validated():
    ids = {new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(is_id(value) for value in ids)
    for bad in ("../../etc/passwd", "ABCDEF0123456789", "0123", "0123456789abcdef/x"):
        assert not is_id(bad)


@pytest.mark.parametrize("bad", ["../secret", "0123456789abcdef/../x", "x" * 16])
def test_data_dir_never_turns_a_foreign_name_into_a_path(files, bad):
    with pytest.raises(JobError):
        files.image_path(bad)
    with pytest.raises(JobError):
        files.preview_path(bad)


def test_save_image_shrinks_to_max_side_and_writes_a_thumbnail(files):
    image_id, width, height = files.save_image(Image.new("RGB", (2000, 1000), "red"), max_side=1024)
    assert (width, height) == (1024, 512)
    with Image.open(files.image_path(image_id)) as stored:
        assert stored.size == (1024, 512) and stored.format == "PNG"
    with Image.open(files.thumb_path(image_id)) as thumb:
        assert max(thumb.size) == THUMB_SIZE and thumb.format == "JPEG"


def test_store_picture_decodes_by_content_and_records_it(store, files, tmp_path):
    path = tmp_path / "photo.txt"  # the name says text, the content is a PNG
    Image.new("RGB", (40, 30), "blue").save(path, format="PNG")
    record = store_picture(store, files, path, "photo", "photo.txt", ImageLimits(), 1024)
    assert store.image(record.id) == record
    assert (record.width, record.height) == (40, 30)
    fake = tmp_path / "photo.png"
    fake.write_text("hello")
    with pytest.raises(InputError, match="photo.png: not a supported image"):
        store_picture(store, files, fake, "photo", "photo.png", ImageLimits(), 1024)


def test_a_decoded_picture_has_its_stored_size_and_is_stored_only_once_recorded(store, files, tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (200, 100), "green").save(path, format="PNG")
    picture = decode_picture(path, "wide", ImageLimits(), 64)
    assert (picture.width, picture.height, picture.label) == (64, 32, "wide")
    assert list(files.images.iterdir()) == []  # a refused request stores nothing
    record = record_picture(store, files, picture, "painting")
    assert (record.role, record.label, record.width, record.height) == ("painting", "wide", 64, 32)
    with Image.open(files.image_path(record.id)) as stored:
        assert stored.size == (64, 32)


def test_claim_takes_the_oldest_job_of_each_lane(store):
    first = _experiment(store)
    second = _experiment(store)
    fast = store.claim_next("light")
    gatys = store.claim_next("gatys")
    assert (fast.experiment_id, fast.kind, fast.state) == (first, "fast", RUNNING)
    assert (gatys.experiment_id, gatys.kind) == (first, "gatys")
    positions = store.queue_positions()
    second_jobs = {job.kind: job.id for job in store.jobs_of(second)}
    assert positions == {second_jobs["fast"]: 1, second_jobs["gatys"]: 1}
    assert store.claim_next("gatys").experiment_id == second
    assert store.claim_next("gatys") is None


def test_grade_job_waits_until_the_other_jobs_of_its_experiment_end(store):
    experiment = _experiment(store, kinds=("fast", "gatys", "grade"))
    fast = store.claim_next("light")
    assert fast.kind == "fast"
    assert store.claim_next("light") is None  # grade is queued but gated: gatys not even started
    gatys = store.claim_next("gatys")
    store.end_job(fast.id, DONE)
    assert store.claim_next("light") is None
    store.end_job(gatys.id, FAILED, error="boom")
    grade = store.claim_next("light")
    assert (grade.kind, grade.experiment_id) == ("grade", experiment)


def test_end_job_only_moves_jobs_in_the_expected_state(store):
    _experiment(store)
    job = store.claim_next("gatys")
    assert store.end_job(job.id, CANCELLED)
    assert not store.end_job(job.id, DONE)  # a late "done" after a cancel changes nothing
    assert store.job(job.id).state == CANCELLED


def test_a_result_is_recorded_with_the_end_of_its_job_or_not_at_all(store):
    """One transaction: a retry after a failed end cannot record the picture twice, and a late result of a
    cancelled job is not recorded."""
    _experiment(store)
    cancelled, done = store.claim_next("gatys"), store.claim_next("light")
    store.end_job(cancelled.id, CANCELLED)
    late = ImageRecord(new_id(), "gatys", "gatys result", 8, 8, 0.0)
    assert not store.end_job(cancelled.id, DONE, result=late)
    assert store.image(late.id) is None and store.job(cancelled.id).result_id is None
    result = ImageRecord(new_id(), "fast", "fast result", 8, 8, 0.0)
    assert store.end_job(done.id, DONE, result=result)
    assert store.image(result.id) == result and store.job(done.id).result_id == result.id


def test_an_experiment_with_a_queued_or_running_job_is_not_deleted(store):
    experiment = _experiment(store)  # both jobs queued
    with pytest.raises(JobError, match="still has a queued or running job"):
        store.delete_experiment(experiment)
    job = store.claim_next("gatys")  # running; the fast job is still queued
    store.end_job(store.claim_next("light").id, DONE)  # the fast job
    with pytest.raises(JobError, match="still has a queued or running job"):
        store.delete_experiment(experiment)
    assert store.experiment(experiment) is not None and store.job(job.id).state == RUNNING
    store.end_job(job.id, DONE)
    assert store.delete_experiment(experiment) is not None
    assert store.experiment(experiment) is None


def test_images_nothing_used_for_a_while_are_forgotten(store):
    import sqlite3

    experiment = store.experiment(_experiment(store))
    old_upload = store.add_image(new_id(), "photo", "replaced", 10, 10).id
    new_upload = store.add_image(new_id(), "painting", "just chosen", 10, 10).id
    with sqlite3.connect(store.path) as connection:  # all but the newest upload are two days old
        connection.execute("UPDATE images SET created = created - 172800 WHERE id != ?", (new_upload,))
    assert store.remove_unused_images(86_400) == [old_upload]
    assert store.image(old_upload) is None and store.image(new_upload) is not None
    assert store.image(experiment.photo_id) is not None and store.image(experiment.painting_id) is not None


def test_sequence_numbers_are_never_reused_after_a_delete(store):
    experiment = _experiment(store)
    jobs = [store.claim_next("light"), store.claim_next("gatys")]
    for job in jobs:
        store.end_job(job.id, CANCELLED)
    highest = max(job.seq for job in jobs)
    store.delete_experiment(experiment)
    _experiment(store)
    assert store.claim_next("gatys").seq > highest  # a cancel token naming the old job cannot stop this one


def test_requeue_puts_a_job_at_the_back_of_its_lane(store):
    first = _experiment(store)
    job = store.claim_next("gatys")
    store.end_job(job.id, FAILED, error="x")
    second = _experiment(store)
    assert store.requeue(job.id)
    again = store.job(job.id)
    assert (again.state, again.error, again.progress) == (QUEUED, None, None)
    assert store.claim_next("gatys").experiment_id == second
    assert store.claim_next("gatys").experiment_id == first
    assert not store.requeue(job.id)  # running jobs are not re-run


def test_a_requeued_job_forgets_when_it_last_started_and_ended(store):
    """A job queued again showed the end time of its failed run (in the API) until it ended anew."""
    _experiment(store)
    job = store.claim_next("gatys")
    store.end_job(job.id, FAILED, error="x")
    assert store.requeue(job.id)
    again = store.job(job.id)
    assert (again.started, again.ended, again.preview_version) == (None, None, None)


def test_requeue_takes_only_failed_cancelled_or_interrupted_jobs_by_default(store):
    _experiment(store)
    done = store.claim_next("light")
    store.end_job(done.id, DONE)
    assert not store.requeue(done.id)  # a finished result is not thrown away
    assert store.job(done.id).state == DONE
    for state in (FAILED, CANCELLED, INTERRUPTED):
        job = store.claim_next("gatys")
        store.end_job(job.id, state)
        assert store.requeue(job.id)
        assert store.job(job.id).state == QUEUED


def test_progress_is_kept_only_for_running_jobs(store):
    _experiment(store)
    job = store.claim_next("gatys")
    store.set_progress(job.id, {"iteration": 3}, 3)
    assert store.job(job.id).progress == {"iteration": 3}
    assert store.job(job.id).preview_version == 3
    store.set_progress(job.id, {"iteration": 4}, None)
    assert store.job(job.id).preview_version == 3
    store.end_job(job.id, DONE)
    store.set_progress(job.id, {"iteration": 5}, 5)
    assert store.job(job.id).progress == {"iteration": 4}


def test_records_survive_a_new_store_on_the_same_file_and_running_jobs_become_interrupted(store, files):
    experiment = _experiment(store)
    store.claim_next("gatys")
    reopened = Store(files.database)
    reopened.create()
    assert reopened.experiment(experiment) == store.experiment(experiment)
    assert reopened.interrupt_running() == [experiment]
    jobs = {job.kind: job for job in reopened.jobs_of(experiment)}
    assert {kind: job.state for kind, job in jobs.items()} == {"fast": QUEUED, "gatys": INTERRUPTED}
    assert "server stopped" in jobs["gatys"].error and jobs["fast"].error is None
    assert reopened.claim_next("light").kind == "fast"  # the queued one still runs


def test_history_is_newest_first_with_paging(store):
    made = [_experiment(store) for _ in range(5)]
    assert [e.id for e in store.experiments(limit=3)] == made[::-1][:3]
    assert [e.id for e in store.experiments(limit=3, offset=3)] == made[::-1][3:]
    assert store.count_experiments() == 5


def test_grades_are_stored_with_the_end_of_the_grade_job_and_drawings_with_the_experiment(store):
    experiment = _experiment(store, kinds=("grade",))
    drawing = store.add_image(new_id(), "drawing", "d", 10, 10)
    store.set_drawing(experiment, drawing.id, "canvas")
    job = store.claim_next("light")
    assert not store.end_job(job.id, DONE, grades={"x": 1}, from_states=(QUEUED,))
    assert store.experiment(experiment).grades is None
    assert store.end_job(job.id, DONE, grades={"drawing_fast": {"score": 5.0}})
    record = store.experiment(experiment)
    assert (record.drawing_id, record.drawing_source) == (drawing.id, "canvas")
    assert record.finished is not None
    assert record.grades == {"drawing_fast": {"score": 5.0}}


class _EndsAJobAfterTheFirstRead:
    """A connection whose first SELECT is followed by another writer ending a grade job."""

    def __init__(self, connection, end_job):
        self._connection, self._end_job = connection, end_job

    def execute(self, sql, *args):
        cursor = self._connection.execute(sql, *args)
        if sql.startswith("SELECT") and self._end_job is not None:
            rows = cursor.fetchall()
            self._end_job()
            self._end_job = None
            return _Rows(rows)
        return cursor


class _Rows:
    def __init__(self, rows):
        self._rows = rows

    def fetchall(self):
        return self._rows


def test_a_snapshot_is_one_moment_even_when_a_grade_job_ends_between_its_reads(store):
    experiment = _experiment(store, kinds=("fast", "grade"))
    drawing = store.add_image(new_id(), "drawing", "d", 10, 10)
    store.set_drawing(experiment, drawing.id, "canvas")
    fast = store.claim_next("light")
    assert store.end_job(fast.id, DONE)
    grade = store.claim_next("light")
    writer = Store(store.path)
    real_connect = store._connect

    @contextlib.contextmanager
    def connect_with_a_writer_between_reads(write=False):
        with real_connect(write) as connection:
            yield _EndsAJobAfterTheFirstRead(
                connection, lambda: writer.end_job(grade.id, DONE, grades={"drawing_fast": {"score": 5.0}})
            )

    store._connect = connect_with_a_writer_between_reads
    record, jobs = store.snapshot([experiment])[experiment]
    # as of the first read: grading still running and no grades (never "done with no grades")
    assert record.grades is None
    assert [job.state for job in jobs] == [DONE, RUNNING]
    del store._connect
    record, jobs = store.snapshot([experiment])[experiment]
    assert record.grades == {"drawing_fast": {"score": 5.0}}
    assert [job.state for job in jobs] == [DONE, DONE]
    assert store.snapshot([new_id()]) == {}


def test_a_foreign_file_as_database_is_a_clear_error(tmp_path):
    from stylelab.errors import OutputError

    path = tmp_path / "not.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutputError, match="cannot be opened"):
        Store(path).create()


def test_a_job_for_an_experiment_that_is_gone_cannot_be_stored(store):
    import sqlite3

    experiment = _experiment(store)
    for job in (store.claim_next("light"), store.claim_next("gatys")):
        store.end_job(job.id, DONE)
    store.delete_experiment(experiment)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), store._connect(write=True) as connection:
        store._insert_job(connection, experiment, "grade", {}, 0.0)  # as every insert of a job does
    assert store.jobs_of(experiment) == []
    assert store.queue_grading(experiment) is False and store.jobs_of(experiment) == []


def test_jobs_left_by_an_experiment_deleted_before_foreign_keys_are_removed_at_start(store):
    import sqlite3

    gone = new_id()
    with contextlib.closing(sqlite3.connect(store.path)) as connection, connection:  # foreign keys off
        connection.execute(
            "INSERT INTO jobs (id, seq, experiment_id, kind, lane, state, options, created) "
            "VALUES (?, 99, ?, 'grade', 'light', 'queued', '{}', 0)", (new_id(), gone))
    kept = _experiment(store)
    Store(store.path).create()
    assert store.jobs_of(gone) == [] and len(store.jobs_of(kept)) == 2


def test_an_experiment_whose_picture_is_gone_is_refused_and_not_stored(store):
    photo = store.add_image(new_id(), "photo", "p", 10, 10)
    gone = new_id()
    with pytest.raises(ImageGone) as raised:
        store.create_experiment(photo.id, gone, [("fast", {"size": 64})])
    assert raised.value.image_id == gone
    assert store.count_experiments() == 0 and store.queue_positions() == {}


def test_a_result_that_arrives_while_the_old_results_are_graded_is_graded_after(store):
    """With two light workers a re-run fast job can run and end while the grade job grades the old results;
    queue_grading did nothing then (a grade job was running), so the grades stayed those of the old ones."""
    experiment = _experiment(store)
    fast, gatys = store.claim_next("light"), store.claim_next("gatys")
    store.end_job(fast.id, FAILED, error="boom")
    store.end_job(gatys.id, DONE)
    store.set_drawing(experiment, store.add_image(new_id(), "drawing", "d", 10, 10).id, "canvas")
    assert store.queue_grading(experiment)
    grading_old = store.claim_next("light")
    assert grading_old.kind == "grade"
    assert store.requeue(fast.id)  # re-run: the second light worker takes it while grading goes on
    rerun = store.claim_next("light")
    assert rerun.id == fast.id
    store.end_job(rerun.id, DONE)
    assert store.queue_grading(experiment)  # what the runner asks when the result arrives
    assert store.queue_grading(experiment)  # asked twice: one grade job waits, not two
    assert [job.state for job in store.jobs_of(experiment) if job.kind == "grade"] == [RUNNING, QUEUED]
    assert store.claim_next("light") is None  # not beside the running grade job: it would end second
    store.end_job(grading_old.id, DONE, grades={"drawing_gatys": {"score": 5.0}})
    grading_new = store.claim_next("light")
    assert grading_new is not None and grading_new.kind == "grade" and grading_new.id != grading_old.id


def test_a_graded_experiment_is_graded_again_when_a_rerun_brings_a_new_result(store):
    """The grade job that has ended (done) is queued again, so the grades are those of the new result."""
    experiment = _experiment(store)
    fast, gatys = store.claim_next("light"), store.claim_next("gatys")
    store.end_job(fast.id, DONE)
    store.end_job(gatys.id, FAILED, error="boom")
    store.set_drawing(experiment, store.add_image(new_id(), "drawing", "d", 10, 10).id, "canvas")
    assert store.queue_grading(experiment)
    grade = store.claim_next("light")
    store.end_job(grade.id, DONE, grades={"drawing_fast": {"score": 5.0}})
    assert store.requeue(gatys.id)
    store.end_job(store.claim_next("gatys").id, DONE)
    assert store.queue_grading(experiment)  # what the runner asks when the re-run's result arrives
    assert [(job.id, job.state) for job in store.jobs_of(experiment) if job.kind == "grade"] == [(grade.id, QUEUED)]


def test_a_database_damaged_while_the_server_runs_is_a_clear_error(store):
    """A file that stops being a database (a disk fault) was a bare sqlite3.DatabaseError, not an OutputError."""
    from stylelab.errors import OutputError

    experiment = _experiment(store)
    with open(store.path, "r+b") as database:
        database.write(b"\xff" * 100)  # the header
    with pytest.raises(OutputError, match="database .*: "):
        store.experiment(experiment)


def test_leftover_uploads_are_removed_when_the_data_dir_is_opened(files):
    leftover = files.tmp / f"{new_id()}.upload"
    leftover.write_bytes(b"half an upload")
    files.create()
    assert list(files.tmp.iterdir()) == []


def test_half_written_files_of_records_that_exist_are_removed_as_orphans(store, files):
    """A server killed while writing a draft or a preview leaves ``.<id>....tmp``; its record is kept."""
    experiment = _experiment(store)
    job = store.claim_next("gatys")
    temporaries = [
        files.drafts / f".{experiment}.png.a1b2c3d4e5f6.tmp",
        files.previews / f".{job.id}.jpg.a1b2c3d4e5f6.tmp",
    ]
    for path in temporaries:
        path.write_bytes(b"x")
    files.save_preview(job.id, Image.new("RGB", (32, 32)), 64)
    files.remove_orphans(store.known_ids())
    assert not any(path.exists() for path in temporaries)
    assert files.preview_path(job.id).exists()


def test_a_preview_is_shrunk_to_its_long_side(files):
    job_id = new_id()
    files.save_preview(job_id, Image.new("RGB", (200, 100), "red"), 64)
    with Image.open(files.preview_path(job_id)) as preview:
        assert preview.size == (64, 32) and preview.format == "JPEG"


def test_a_database_damaged_where_opening_does_not_look_is_refused_at_start(store):
    """`serve` on a data dir whose database had a damaged page ended in a traceback (the first query that
    read the page, after the tables were checked): create() checks the whole file."""
    from stylelab.errors import OutputError

    for _ in range(40):  # a few pages of rows
        _experiment(store)
    with open(store.path, "r+b") as database:
        database.seek(4096 + 10)
        database.write(b"\xff" * 200)
    with pytest.raises(OutputError, match="damaged"):
        store.create()


def test_a_statement_our_code_got_wrong_is_a_bug_not_an_unusable_database(store):
    """Every OperationalError was taken for the environment's doing: a misspelt column read as 'database
    ...: no such column' and the runner tried the message again for ever, holding up every job after it."""
    import sqlite3

    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        with store._connect(write=True) as connection:
            connection.execute("UPDATE jobs SET progresss = 1")
