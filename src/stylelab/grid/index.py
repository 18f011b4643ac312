"""The SQLite index beside a grid's outputs (``index.sqlite``).

One row per cell key with its status (``done`` or ``failed``), the error text,
timings, loss history (JSON), the output file and, once a report computed
them, the quality numbers. The layout of the latest run (which contents,
styles and settings, in which order) is kept too, so a report needs only the
folder. Only the driver process writes; each write is one transaction, made
after the cell's output file is in place.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stylelab.errors import OutputError

INDEX_NAME = "index.sqlite"
SCHEMA_VERSION = 2
# what brings an index of the version before up to each version, in order
MIGRATIONS = {
    # the grade's structure component now leaves out the borders of the feature maps: cached grades
    # of the old formula would sit beside new ones in a report
    2: "DELETE FROM grades;",
}
SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    setting TEXT NOT NULL,
    content TEXT NOT NULL,
    style TEXT NOT NULL,
    output TEXT,
    width INTEGER,
    height INTEGER,
    error TEXT,
    timings TEXT NOT NULL DEFAULT '{}',
    history TEXT NOT NULL DEFAULT '{}',
    seconds REAL,
    host TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    finished_at REAL NOT NULL,
    style_distance REAL,
    content_distance REAL,
    eval_size INTEGER
);
CREATE TABLE IF NOT EXISTS layouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    source TEXT NOT NULL,
    layout TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grades (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    score REAL NOT NULL,
    components TEXT NOT NULL,
    PRIMARY KEY (a, b)
);
"""


@dataclass(frozen=True)
class CellRecord:
    """One row of the index."""

    key: str
    status: str
    setting: str
    content: str
    style: str
    output: str | None
    width: int | None
    height: int | None
    error: str | None
    timings: dict[str, float]
    history: dict[str, list[float]]
    seconds: float | None
    host: str | None
    attempts: int
    finished_at: float
    style_distance: float | None
    content_distance: float | None
    eval_size: int | None


class Index:
    """Open (creating if needed) the index in ``folder``.

    Raises:
        OutputError: the file cannot be opened or is not a Style Lab grid index.
    """

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / INDEX_NAME
        try:
            self.connection = sqlite3.connect(self.path)
            try:
                self._bring_up_to_date()
            except BaseException:
                self.connection.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"{self.path}: not a usable grid index ({exc})") from None

    def _bring_up_to_date(self) -> None:
        """Create the tables of a new index and migrate an older one; refuse a newer one."""
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutputError(
                f"{self.path}: index schema {version} is newer than this Style Lab understands ({SCHEMA_VERSION})"
            )
        with self.connection:
            self.connection.executescript(SCHEMA)
            for step in range(version + 1, SCHEMA_VERSION + 1) if version else ():
                self.connection.executescript(MIGRATIONS[step])
            self.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(
        self,
        key: str,
        *,
        status: str,
        setting: str,
        content: str,
        style: str,
        output: str | None = None,
        width: int | None = None,
        height: int | None = None,
        error: str | None = None,
        timings: dict | None = None,
        history: dict | None = None,
        seconds: float | None = None,
        host: str | None = None,
    ) -> None:
        """Insert or replace the row of ``key``; ``attempts`` counts every record of it; quality numbers reset."""
        with self.connection:
            previous = self.connection.execute("SELECT attempts FROM cells WHERE key = ?", (key,)).fetchone()
            attempts = previous[0] + 1 if previous else 1
            self.connection.execute(
                "INSERT OR REPLACE INTO cells (key, status, setting, content, style, output, width, height, error,"
                " timings, history, seconds, host, attempts, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    status,
                    setting,
                    content,
                    style,
                    output,
                    width,
                    height,
                    error,
                    json.dumps(timings or {}),
                    json.dumps(history or {}),
                    seconds,
                    host,
                    attempts,
                    time.time(),
                ),
            )

    def set_quality(self, key: str, style_distance: float | None, content_distance: float | None,
                    eval_size: int | None) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE cells SET style_distance = ?, content_distance = ?, eval_size = ? WHERE key = ?",
                (style_distance, content_distance, eval_size, key),
            )

    def cells(self, keys: Iterable[str] | None = None) -> dict[str, CellRecord]:
        """Rows by key (all, or those of ``keys`` that exist)."""
        rows = self.connection.execute(f"SELECT {', '.join(CellRecord.__dataclass_fields__)} FROM cells")
        records = {row[0]: _record(row) for row in rows}
        if keys is None:
            return records
        return {key: records[key] for key in keys if key in records}

    def done_keys(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT key FROM cells WHERE status = 'done'")}

    def save_layout(self, source: str, layout: dict[str, Any]) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT INTO layouts (created_at, source, layout) VALUES (?, ?, ?)",
                (time.time(), source, json.dumps(layout)),
            )

    def latest_layout(self) -> dict[str, Any] | None:
        row = self.connection.execute("SELECT layout FROM layouts ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def grade(self, a: str, b: str) -> tuple[float, dict[str, float]] | None:
        row = self.connection.execute(
            "SELECT score, components FROM grades WHERE a = ? AND b = ?", (a, b)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def set_grade(self, a: str, b: str, score: float, components: dict[str, float]) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT OR REPLACE INTO grades (a, b, score, components) VALUES (?, ?, ?, ?)",
                (a, b, score, json.dumps(components)),
            )


def _record(row: tuple) -> CellRecord:
    values = dict(zip(CellRecord.__dataclass_fields__, row, strict=True))
    values["timings"] = json.loads(values["timings"])
    values["history"] = json.loads(values["history"])
    return CellRecord(**values)


def open_existing(folder: str | Path) -> Index:
    """The index of a grid folder that must already exist (for reports).

    Raises:
        OutputError: no folder or no index in it.
    """
    folder = Path(folder)
    if folder.is_file():  # most likely the grid's TOML instead of its output folder
        raise OutputError(f"{folder}: is a file; give the folder a grid was run into, not its TOML file")
    if not (folder / INDEX_NAME).is_file():
        raise OutputError(
            f"{folder}: no grid here (no {INDEX_NAME}); run `stylelab grid` (or run_grid) into this folder first"
        )
    return Index(folder)
