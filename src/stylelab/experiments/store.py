"""Experiments and jobs in SQLite; their images as files under the data dir.

Layout of a data dir::

    stylelab.sqlite3          experiments, jobs, images (WAL mode)
    images/<id>.png           every stored picture, named by a random id
    images/<id>.thumb.jpg     its thumbnail
    previews/<job id>.jpg     the latest preview of a running Gatys job
    drafts/<experiment id>.png  the canvas as last saved while painting (RGBA)
    tmp/                      uploads while they arrive (emptied at start)

Ids are random hex strings made here; no user-chosen name ever becomes a path.
Each :class:`Store` call opens its own short-lived connection, so the store can
be used from request threads and the runner's thread at the same time.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from stylelab.errors import JobError, OutputError
from stylelab.imageio import ImageLimits, ImageSource, atomic_write, load_image, resize_long_side, why_no_folder

QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = (
    "queued",
    "running",
    "done",
    "failed",
    "cancelled",
    "interrupted",
)
ACTIVE_STATES = (QUEUED, RUNNING)
RERUNNABLE_STATES = (FAILED, CANCELLED, INTERRUPTED)
JOB_KINDS = ("fast", "gatys", "grade")
# Gatys jobs get their own worker(s); fast and grade jobs are short and share the "light" lane.
LANE_OF_KIND = {"fast": "light", "gatys": "gatys", "grade": "light"}
ID_PATTERN = r"^[0-9a-f]{16}$"
THUMB_SIZE = 256
_ID_RE = re.compile(ID_PATTERN)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    label TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    photo_id TEXT NOT NULL REFERENCES images(id),
    painting_id TEXT NOT NULL REFERENCES images(id),
    drawing_id TEXT REFERENCES images(id),
    drawing_source TEXT,
    finished REAL,
    grades TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    experiment_id TEXT NOT NULL REFERENCES experiments(id),
    kind TEXT NOT NULL,
    lane TEXT NOT NULL,
    state TEXT NOT NULL,
    options TEXT NOT NULL,
    progress TEXT,
    result_id TEXT REFERENCES images(id),
    preview_version INTEGER,
    error TEXT,
    created REAL NOT NULL,
    started REAL,
    ended REAL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_lane ON jobs(state, lane, seq);
CREATE INDEX IF NOT EXISTS jobs_by_experiment ON jobs(experiment_id);
CREATE INDEX IF NOT EXISTS experiments_by_time ON experiments(created);
"""


def _next_seq(connection: sqlite3.Connection) -> int:
    """The next job sequence number, never one used before, even by a deleted job: a worker's cancel
    token holds the sequence number of the job to stop, so a reused one would stop a stranger."""
    (value,) = connection.execute(
        "INSERT INTO counters (name, value) VALUES ('job_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs)) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
    ).fetchone()
    return value


def new_id() -> str:
    """A fresh random id (16 hex digits) for an image, experiment or job."""
    return secrets.token_hex(8)


def is_id(value: str) -> bool:
    """True if ``value`` has the shape of an id made by :func:`new_id`."""
    return bool(_ID_RE.match(value))


class ImageGone(LookupError):
    """An image that a new record would refer to is no longer stored."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"no image with id {image_id}")
        self.image_id = image_id


@dataclass(frozen=True)
class ImageRecord:
    id: str
    role: str
    label: str
    width: int
    height: int
    created: float


@dataclass(frozen=True)
class JobRecord:
    id: str
    seq: int
    experiment_id: str
    kind: str
    lane: str
    state: str
    options: dict[str, Any]
    progress: dict[str, Any] | None
    result_id: str | None
    preview_version: int | None
    error: str | None
    created: float
    started: float | None
    ended: float | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


@dataclass(frozen=True)
class DeletedExperiment:
    """What :meth:`Store.delete_experiment` removed, so that its files can go too."""

    experiment_id: str
    image_ids: tuple[str, ...]  # images no other experiment or job refers to
    job_ids: tuple[str, ...]


@dataclass(frozen=True)
class ExperimentRecord:
    id: str
    created: float
    photo_id: str
    painting_id: str
    drawing_id: str | None
    drawing_source: str | None
    finished: float | None
    grades: dict[str, Any] | None


@dataclass(frozen=True)
class KnownIds:
    """Ids on record, by table."""

    images: frozenset[str]
    experiments: frozenset[str]
    jobs: frozenset[str]


class DataDir:
    """The folders of a data dir and the files in them, addressed by id only."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.images = self.root / "images"
        self.previews = self.root / "previews"
        self.drafts = self.root / "drafts"
        self.tmp = self.root / "tmp"
        self.database = self.root / "stylelab.sqlite3"

    def make_root(self) -> None:
        """Make the data dir itself (its lock file lives there before anything else is touched).

        Raises:
            OutputError: the data dir cannot be created.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"data dir {self.root}: {why_no_folder(self.root, exc, 'cannot be created')}") from None

    def create(self) -> None:
        """Make the folders (and empty ``tmp/``).

        Raises:
            OutputError: the data dir cannot be created or written.
        """
        try:
            for folder in (self.images, self.previews, self.drafts, self.tmp):
                folder.mkdir(parents=True, exist_ok=True)
            for leftover in self.tmp.iterdir():
                leftover.unlink(missing_ok=True)
        except OSError as exc:
            raise OutputError(f"data dir {self.root}: cannot be created or written ({exc})") from None

    def image_path(self, image_id: str) -> Path:
        return self.images / f"{_checked(image_id)}.png"

    def thumb_path(self, image_id: str) -> Path:
        return self.images / f"{_checked(image_id)}.thumb.jpg"

    def preview_path(self, job_id: str) -> Path:
        return self.previews / f"{_checked(job_id)}.jpg"

    def draft_path(self, experiment_id: str) -> Path:
        return self.drafts / f"{_checked(experiment_id)}.png"

    def remove_files(self, deleted: DeletedExperiment) -> None:
        """Unlink the pictures, thumbnails, previews and draft of a deleted experiment.

        Best effort: the records are already gone, so a file that is missing or cannot be
        removed is left as it is rather than failing a deletion that has happened.
        """
        paths = [self.draft_path(deleted.experiment_id)]
        paths += [self.preview_path(job_id) for job_id in deleted.job_ids]
        _unlink_all(paths)
        self.remove_image_files(deleted.image_ids)

    def remove_image_files(self, image_ids: Iterable[str]) -> None:
        """Unlink pictures and their thumbnails whose records are gone (best effort, as remove_files)."""
        _unlink_all(path for image_id in image_ids for path in (self.image_path(image_id), self.thumb_path(image_id)))

    def remove_orphans(self, known: KnownIds) -> None:
        """Unlink files that no record owns: results stored by a job that was cancelled or whose
        server died before recording them, drafts of deleted experiments, previews of deleted jobs
        and half-written temporary files. Only for a data dir no server is using.
        """
        _unlink_all([
            *_files_without_record(self.images, known.images),
            *_files_without_record(self.previews, known.jobs),
            *_files_without_record(self.drafts, known.experiments),
        ])

    def temp_path(self) -> Path:
        return self.tmp / f"{new_id()}.upload"

    def save_image(self, image: Image.Image, max_side: int | None = None) -> tuple[str, int, int]:
        """Write ``image`` (shrunk to ``max_side`` if larger) and its thumbnail under a new id.

        Returns:
            ``(id, width, height)`` of the stored picture.
        """
        if max_side is not None:
            image = shrunk_to(image, max_side)
        image_id = new_id()
        with atomic_write(self.image_path(image_id)) as temp:
            image.save(temp, format="PNG")
        thumb = image.copy()
        thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.LANCZOS)
        try:
            with atomic_write(self.thumb_path(image_id)) as temp:
                thumb.convert("RGB").save(temp, format="JPEG", quality=85)
        except BaseException:  # the disk filled up between the two: no picture without its thumbnail
            self.remove_image_files([image_id])
            raise
        return image_id, image.width, image.height

    def save_preview(self, job_id: str, image: Image.Image, max_side: int) -> None:
        """Replace the preview of ``job_id``."""
        if max(image.size) > max_side:
            image = resize_long_side(image, max_side)
        with atomic_write(self.preview_path(job_id)) as temp:
            image.convert("RGB").save(temp, format="JPEG", quality=85)


def _checked(identifier: str) -> str:
    if not is_id(identifier):
        raise JobError(f"not a valid id: {identifier!r}")
    return identifier


def shrunk_to(image: Image.Image, max_side: int) -> Image.Image:
    """``image``, or a copy shrunk to ``max_side`` on its long side if it is larger (never enlarged)."""
    return resize_long_side(image, max_side) if max(image.size) > max_side else image


@dataclass(frozen=True)
class DecodedPicture:
    """A picture decoded and checked, at the size it will be stored at, not stored yet."""

    image: Image.Image
    label: str

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def decode_picture(source: ImageSource, label: str, limits: ImageLimits, max_side: int) -> DecodedPicture:
    """Decode ``source`` (the content decides the type, not the name) and shrink it to ``max_side``.

    Raises:
        InputError: not an image, damaged, or outside ``limits`` (the message names ``label``).
    """
    return DecodedPicture(shrunk_to(load_image(source, limits, name=label), max_side), label)


def record_picture(store: Store, files: DataDir, picture: DecodedPicture, role: str) -> ImageRecord:
    """Write a decoded picture (and its thumbnail) under a new id and record it as ``role``."""
    image_id, width, height = files.save_image(picture.image)
    return store.add_image(image_id, role, picture.label, width, height)


def store_picture(
    store: Store,
    files: DataDir,
    source: ImageSource,
    role: str,
    label: str,
    limits: ImageLimits,
    max_side: int,
) -> ImageRecord:
    """Decode ``source``, store it and record it: :func:`decode_picture`, then :func:`record_picture`.

    Raises:
        InputError: not an image, damaged, or outside ``limits`` (the message names ``label``).
    """
    return record_picture(store, files, decode_picture(source, label, limits, max_side), role)


class Store:
    """Experiments, jobs and image records in one SQLite file."""

    BUSY_TIMEOUT = 10.0  # seconds a write waits for another connection's write transaction

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection (in a write transaction if ``write``); a database that cannot be used now (locked by
        another program, a full or read-only disk, a damaged file) is an OutputError that says so."""
        try:
            with self._open(write) as connection:
                yield connection
        except sqlite3.DatabaseError as exc:
            if not _unusable_database(exc):
                raise  # a constraint broken by our own code is a bug, not the environment
            raise OutputError(self._problem(exc)) from None

    def _problem(self, exc: sqlite3.DatabaseError, doing: str = "") -> str:
        if _primary_code(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return (f"database {self.path} is locked by another program (for over {self.BUSY_TIMEOUT:g} s); "
                    "close it and try again")
        return f"database {self.path}: {doing}{exc}"

    @contextlib.contextmanager
    def _open(self, write: bool) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT, isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            # WAL with synchronous=NORMAL: no fsync per commit (a power cut may lose the last
            # progress update, never consistency); progress is written after every step.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite, per connection
            if write:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (disk full)
                        connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            else:
                yield connection
        finally:
            connection.close()

    def create(self) -> None:
        """Create the tables if needed (safe on an existing database) after checking the whole file.

        Raises:
            OutputError: the database file cannot be opened, is damaged or is not a Style Lab database.
        """
        try:
            with self._open(write=False) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                problems = [row[0] for row in connection.execute("PRAGMA quick_check(1)")]
                if problems != ["ok"]:
                    detail = " ".join(problems[0].replace("*** in database main ***", "").split())
                    raise OutputError(f"database {self.path} is damaged ({detail}); restore a backup, "
                                      "or move it away to start with an empty history")
                connection.executescript(_SCHEMA)
                # written before foreign keys were enforced: a grade job queued for an experiment
                # deleted a moment before
                connection.execute("DELETE FROM jobs WHERE experiment_id NOT IN (SELECT id FROM experiments)")
        except sqlite3.DatabaseError as exc:
            raise OutputError(self._problem(exc, "cannot be opened: ")) from None

    # images -----------------------------------------------------------------------------------------

    def add_image(self, image_id: str, role: str, label: str, width: int, height: int) -> ImageRecord:
        record = ImageRecord(image_id, role, label, width, height, time.time())
        with self._connect(write=True) as connection:
            _insert_image(connection, record)
        return record

    def image(self, image_id: str) -> ImageRecord | None:
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        return ImageRecord(**dict(row)) if row else None

    def images(self, image_ids: list[str]) -> dict[str, ImageRecord]:
        wanted = sorted({image_id for image_id in image_ids if image_id})
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self._connect() as connection:
            rows = connection.execute(f"SELECT * FROM images WHERE id IN ({marks})", wanted).fetchall()
        return {row["id"]: ImageRecord(**dict(row)) for row in rows}

    # experiments ------------------------------------------------------------------------------------

    def create_experiment(
        self, photo_id: str, painting_id: str, jobs: list[tuple[str, dict[str, Any]]]
    ) -> ExperimentRecord:
        """Insert an experiment and queue its jobs, given as ``(kind, options)``, in order.

        Raises:
            ImageGone: the photo or the painting is no longer stored (deleted a moment ago with the last
                experiment that used it).
        """
        experiment_id = new_id()
        now = time.time()
        with self._connect(write=True) as connection:
            for image_id in (photo_id, painting_id):  # checked in the transaction that inserts
                if connection.execute("SELECT 1 FROM images WHERE id = ?", (image_id,)).fetchone() is None:
                    raise ImageGone(image_id)
            connection.execute(
                "INSERT INTO experiments (id, created, photo_id, painting_id) VALUES (?, ?, ?, ?)",
                (experiment_id, now, photo_id, painting_id),
            )
            for kind, options in jobs:
                self._insert_job(connection, experiment_id, kind, options, now)
        return self.experiment(experiment_id)

    def experiment(self, experiment_id: str) -> ExperimentRecord | None:
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM experiments WHERE id = ?", (experiment_id,)).fetchone()
        return _experiment(row) if row else None

    def experiments(self, limit: int, offset: int = 0) -> list[ExperimentRecord]:
        """Newest first."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT * FROM experiments ORDER BY created DESC, id LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
        return [_experiment(row) for row in rows]

    def count_experiments(self) -> int:
        with self._connect() as connection:
            return connection.execute("SELECT COUNT(*) FROM experiments").fetchone()[0]

    def delete_experiment(self, experiment_id: str) -> DeletedExperiment | None:
        """Remove an experiment, its jobs and the images nothing else uses, in one transaction.

        Returns:
            What was removed (for :meth:`DataDir.remove_files`), or None if there is no such experiment.

        Raises:
            JobError: a job of the experiment is still queued or running.
        """
        with self._connect(write=True) as connection:
            row = connection.execute("SELECT * FROM experiments WHERE id = ?", (experiment_id,)).fetchone()
            if row is None:
                return None
            jobs = connection.execute("SELECT * FROM jobs WHERE experiment_id = ?", (experiment_id,)).fetchall()
            if any(job["state"] in ACTIVE_STATES for job in jobs):
                raise JobError("this experiment still has a queued or running job; cancel it or let it "
                               "finish, then delete the experiment")
            used = {row["photo_id"], row["painting_id"], row["drawing_id"], *(job["result_id"] for job in jobs)}
            connection.execute("DELETE FROM jobs WHERE experiment_id = ?", (experiment_id,))
            connection.execute("DELETE FROM experiments WHERE id = ?", (experiment_id,))
            orphans = sorted(image_id for image_id in used - {None} if not _still_used(connection, image_id))
            connection.executemany("DELETE FROM images WHERE id = ?", [(image_id,) for image_id in orphans])
        return DeletedExperiment(experiment_id, tuple(orphans), tuple(job["id"] for job in jobs))

    def remove_unused_images(self, older_than: float) -> list[str]:
        """Forget images that no experiment or job uses and that were stored over ``older_than`` seconds
        ago (uploads chosen and then replaced, or never started); returns their ids for the files."""
        with self._connect(write=True) as connection:
            rows = connection.execute(
                "SELECT id FROM images WHERE created < ? AND id NOT IN ("
                "SELECT photo_id FROM experiments UNION SELECT painting_id FROM experiments "
                "UNION SELECT drawing_id FROM experiments WHERE drawing_id IS NOT NULL "
                "UNION SELECT result_id FROM jobs WHERE result_id IS NOT NULL)",
                (time.time() - older_than,),
            ).fetchall()
            unused = [row["id"] for row in rows]
            connection.executemany("DELETE FROM images WHERE id = ?", [(image_id,) for image_id in unused])
        return unused

    def known_ids(self) -> KnownIds:
        """The ids of every image, experiment and job on record (to find files that have none)."""
        with self._connect() as connection:
            ids = [
                frozenset(row[0] for row in connection.execute(f"SELECT id FROM {table}"))
                for table in ("images", "experiments", "jobs")
            ]
        return KnownIds(*ids)

    def set_drawing(self, experiment_id: str, image_id: str, source: str) -> None:
        """Attach the drawing that finishes the experiment.

        Raises:
            JobError: the experiment is finished already (a second tab, or a second press).
        """
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "UPDATE experiments SET drawing_id = ?, drawing_source = ?, finished = ? "
                "WHERE id = ? AND drawing_id IS NULL",
                (image_id, source, time.time(), experiment_id),
            )
        if cursor.rowcount != 1:
            raise JobError("this experiment is finished already; its drawing can no longer change")

    # jobs -------------------------------------------------------------------------------------------

    def _insert_job(
        self,
        connection: sqlite3.Connection,
        experiment_id: str,
        kind: str,
        options: dict[str, Any],
        now: float,
    ) -> str:
        if kind not in JOB_KINDS:
            raise JobError(f"unknown job kind {kind!r}")
        job_id = new_id()
        connection.execute(
            "INSERT INTO jobs (id, seq, experiment_id, kind, lane, state, options, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (job_id, _next_seq(connection), experiment_id, kind, LANE_OF_KIND[kind], QUEUED,
             json.dumps(options), now),
        )
        return job_id

    def job(self, job_id: str) -> JobRecord | None:
        with self._connect() as connection:
            row = connection.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs_of(self, experiment_id: str) -> list[JobRecord]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT * FROM jobs WHERE experiment_id = ? ORDER BY seq", (experiment_id,)
            ).fetchall()
        return [_job(row) for row in rows]

    def snapshot(self, experiment_ids: list[str]) -> dict[str, tuple[ExperimentRecord, list[JobRecord]]]:
        """Experiments and their jobs (in queue order) as of one moment; ids not found are left out.

        One read transaction: read apart, a grade job could end between the two reads
        and a view would show it done with no grades stored.
        """
        if not experiment_ids:
            return {}
        marks = ",".join("?" * len(experiment_ids))
        with self._connect() as connection:
            connection.execute("BEGIN")
            experiments = connection.execute(
                f"SELECT * FROM experiments WHERE id IN ({marks})", experiment_ids
            ).fetchall()
            jobs = connection.execute(
                f"SELECT * FROM jobs WHERE experiment_id IN ({marks}) ORDER BY seq", experiment_ids
            ).fetchall()
            connection.execute("COMMIT")
        found = {row["id"]: (_experiment(row), []) for row in experiments}
        for row in jobs:
            if row["experiment_id"] in found:
                found[row["experiment_id"]][1].append(_job(row))
        return found

    def queue_positions(self) -> dict[str, int]:
        """1-based place of every queued job in its lane's queue."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT id, lane FROM jobs WHERE state = ? ORDER BY seq", (QUEUED,)
            ).fetchall()
        positions: dict[str, int] = {}
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["lane"]] = counts.get(row["lane"], 0) + 1
            positions[row["id"]] = counts[row["lane"]]
        return positions

    def claim_next(self, lane: str) -> JobRecord | None:
        """Mark the oldest runnable queued job of ``lane`` running and return it.

        A grade job is runnable only once no other job of its experiment is
        queued or running (nor another grade job running), so it grades the finished results.
        """
        with self._connect(write=True) as connection:
            rows = connection.execute(
                "SELECT * FROM jobs WHERE state = ? AND lane = ? ORDER BY seq", (QUEUED, lane)
            ).fetchall()
            for row in rows:
                if row["kind"] == "grade" and self._has_active_siblings(connection, row["experiment_id"]):
                    continue
                connection.execute(
                    "UPDATE jobs SET state = ?, started = ? WHERE id = ?", (RUNNING, time.time(), row["id"])
                )
                return _job(connection.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone())
        return None

    @staticmethod
    def _has_active_siblings(connection: sqlite3.Connection, experiment_id: str) -> bool:
        return (
            connection.execute(
                "SELECT 1 FROM jobs WHERE experiment_id = ? AND (kind != 'grade' AND state IN (?, ?) "
                "OR kind = 'grade' AND state = ?) LIMIT 1",
                (experiment_id, *ACTIVE_STATES, RUNNING),
            ).fetchone()
            is not None
        )

    def set_progress(self, job_id: str, progress: dict[str, Any], preview_version: int | None) -> None:
        with self._connect(write=True) as connection:
            connection.execute(
                "UPDATE jobs SET progress = ?, preview_version = COALESCE(?, preview_version) "
                "WHERE id = ? AND state = ?",
                (json.dumps(progress), preview_version, job_id, RUNNING),
            )

    def end_job(
        self,
        job_id: str,
        state: str,
        *,
        result: ImageRecord | None = None,
        error: str | None = None,
        grades: dict[str, Any] | None = None,
        from_states: tuple[str, ...] = (RUNNING,),
    ) -> bool:
        """Move a job from one of ``from_states`` to the final ``state``; False if it was not there.

        ``result`` (a picture the job stored) is recorded and ``grades`` are stored on the job's experiment
        in the same transaction, only if the job ends here: all of it or nothing, so that the runner can
        try again after a failed write.
        """
        marks = ",".join("?" * len(from_states))
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                f"UPDATE jobs SET state = ?, error = ?, ended = ? WHERE id = ? AND state IN ({marks})",
                (state, error, time.time(), job_id, *from_states),
            )
            if cursor.rowcount == 1 and result is not None:
                _insert_image(connection, result)
                connection.execute("UPDATE jobs SET result_id = ? WHERE id = ?", (result.id, job_id))
            if cursor.rowcount == 1 and grades is not None:
                connection.execute(
                    "UPDATE experiments SET grades = ? WHERE id = "
                    "(SELECT experiment_id FROM jobs WHERE id = ?)",
                    (json.dumps(grades), job_id),
                )
        return cursor.rowcount == 1

    def requeue(self, job_id: str, from_states: tuple[str, ...] = RERUNNABLE_STATES) -> bool:
        """Queue a finished job again (at the back of its lane); False if it was not in ``from_states``."""
        with self._connect(write=True) as connection:
            return self._requeue(connection, job_id, from_states)

    @staticmethod
    def _requeue(connection: sqlite3.Connection, job_id: str, from_states: tuple[str, ...]) -> bool:
        marks = ",".join("?" * len(from_states))
        if connection.execute(f"SELECT 1 FROM jobs WHERE id = ? AND state IN ({marks})",
                              (job_id, *from_states)).fetchone() is None:
            return False
        cursor = connection.execute(
            "UPDATE jobs SET state = ?, seq = ?, progress = NULL, preview_version = NULL, error = NULL, "
            "started = NULL, ended = NULL WHERE id = ?",
            (QUEUED, _next_seq(connection), job_id),
        )
        return cursor.rowcount == 1

    def queue_grading(self, experiment_id: str) -> bool:
        """Queue the grade job of an experiment that has a drawing: add it, or queue the last one again
        if it has ended; nothing if one is queued already. False if there is no such experiment or it has
        no drawing.

        If one is running, it may be grading results that a re-run has just replaced (a re-run can run
        beside it on another worker): another one is added, which :meth:`claim_next` holds back until the
        running one has ended, so that the last grades stored are those of the results as they are now.

        One transaction: the web app (a drawing arrives) and the runner (a result arrives) may ask at
        the same moment, and read apart from the insert both would add a grade job.
        """
        with self._connect(write=True) as connection:
            drawing = connection.execute(
                "SELECT drawing_id FROM experiments WHERE id = ?", (experiment_id,)
            ).fetchone()
            if drawing is None or drawing[0] is None:
                return False
            last = connection.execute(
                "SELECT id, state FROM jobs WHERE experiment_id = ? AND kind = 'grade' ORDER BY seq DESC LIMIT 1",
                (experiment_id,),
            ).fetchone()
            if last is None or last["state"] == RUNNING:
                self._insert_job(connection, experiment_id, "grade", {}, time.time())
            elif last["state"] != QUEUED:
                self._requeue(connection, last["id"], (DONE, *RERUNNABLE_STATES))
        return True

    def interrupt_running(self) -> list[str]:
        """Mark every running job interrupted; return their experiments' ids.

        Called when the server starts (after a crash) and when it stops. Queued
        jobs never started, so they stay queued and run after the next start.
        """
        with self._connect(write=True) as connection:
            rows = connection.execute(
                "SELECT DISTINCT experiment_id FROM jobs WHERE state = ?", (RUNNING,)
            ).fetchall()
            connection.execute(
                "UPDATE jobs SET state = ?, error = ?, ended = ? WHERE state = ?",
                (INTERRUPTED, "the server stopped before this job finished", time.time(), RUNNING),
            )
        return [row[0] for row in rows]


# What the environment does to a database: locked, disk full or read-only, I/O error, damaged file, no memory.
_ENVIRONMENT_ERRORS = frozenset({
    sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_NOTADB,
})


def _unusable_database(exc: sqlite3.DatabaseError) -> bool:
    """True for what the environment does to a database, False for a constraint or statement that our own
    code got wrong (an OperationalError too: "no such column", a syntax error are SQLITE_ERROR)."""
    return _primary_code(exc) in _ENVIRONMENT_ERRORS


def _primary_code(exc: sqlite3.DatabaseError) -> int | None:
    """SQLite's primary result code of ``exc`` (extended codes keep it in the low byte), None if it has none."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _insert_image(connection: sqlite3.Connection, record: ImageRecord) -> None:
    connection.execute("INSERT INTO images VALUES (?, ?, ?, ?, ?, ?)", (
        record.id, record.role, record.label, record.width, record.height, record.created))


def _experiment(row: sqlite3.Row) -> ExperimentRecord:
    values = dict(row)
    values["grades"] = json.loads(values["grades"]) if values["grades"] else None
    return ExperimentRecord(**values)


def _job(row: sqlite3.Row) -> JobRecord:
    values = dict(row)
    values["options"] = json.loads(values["options"])
    values["progress"] = json.loads(values["progress"]) if values["progress"] else None
    return JobRecord(**values)


def _files_without_record(folder: Path, ids: frozenset[str]) -> list[Path]:
    """Files in ``folder`` named after an id not in ``ids`` (``<id>.png``, ``<id>.thumb.jpg``, and the
    ``.<id>....tmp`` of an interrupted atomic write); other files are not Style Lab's and stay."""
    found = []
    for path in folder.iterdir():
        name = path.name.removeprefix(".")
        identifier = name.partition(".")[0]
        temporary = path.name.startswith(".") and name.endswith(".tmp")
        if is_id(identifier) and (temporary or identifier not in ids) and path.is_file():
            found.append(path)
    return found


def _unlink_all(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _still_used(connection: sqlite3.Connection, image_id: str) -> bool:
    """True if any experiment or job refers to ``image_id``."""
    return connection.execute(
        "SELECT 1 FROM experiments WHERE ? IN (photo_id, painting_id, drawing_id) "
        "UNION ALL SELECT 1 FROM jobs WHERE result_id = ? LIMIT 1",
        (image_id, image_id),
    ).fetchone() is not None
