"""The grid index's schema versions: older indexes are brought up to date, newer ones refused."""

import sqlite3

import pytest

from stylelab.errors import OutputError
from stylelab.grid.index import INDEX_NAME, SCHEMA, SCHEMA_VERSION, Index


def _index_of_version(folder, version: int) -> None:
    with sqlite3.connect(folder / INDEX_NAME) as connection:
        connection.executescript(SCHEMA)
        connection.execute(
            "INSERT INTO cells (key, status, setting, content, style, timings, history, finished_at) "
            "VALUES ('k', 'done', 's', 'c', 'p', '{}', '{}', 0)"
        )
        connection.execute("INSERT INTO grades VALUES ('k', 'r', 4.8, '{}')")
        connection.execute(f"PRAGMA user_version = {version}")


def test_grades_cached_by_the_first_version_are_dropped_and_cells_kept(tmp_path):
    _index_of_version(tmp_path, 1)  # its grades weighed structure between flat canvases
    with Index(tmp_path) as index:
        assert index.grade("k", "r") is None
        assert list(index.cells()) == ["k"]
        assert index.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_up_to_date_index_keeps_its_grades(tmp_path):
    _index_of_version(tmp_path, SCHEMA_VERSION)
    with Index(tmp_path) as index:
        assert index.grade("k", "r") == (4.8, {})


def test_an_index_newer_than_this_style_lab_is_refused(tmp_path):
    _index_of_version(tmp_path, SCHEMA_VERSION + 1)
    with pytest.raises(OutputError, match="newer than this Style Lab understands"):
        Index(tmp_path)


class _ClosingTracked(sqlite3.Connection):
    closed: list = []

    def close(self):
        _ClosingTracked.closed.append(self)
        super().close()


@pytest.fixture
def closed_connections(monkeypatch):
    """The connections that the index closed (sqlite3 warns of none left open before Python 3.13)."""
    connect = sqlite3.connect
    monkeypatch.setattr(_ClosingTracked, "closed", [])
    monkeypatch.setattr(sqlite3, "connect", lambda *args, **kwargs: connect(*args, factory=_ClosingTracked, **kwargs))
    return _ClosingTracked.closed


def test_a_refused_newer_index_is_closed(tmp_path, closed_connections):
    _index_of_version(tmp_path, SCHEMA_VERSION + 1)
    with pytest.raises(OutputError, match="newer"):
        Index(tmp_path)
    assert len(closed_connections) == 1


def test_a_file_that_is_not_an_index_is_closed(tmp_path, closed_connections):
    (tmp_path / INDEX_NAME).write_bytes(b"not a database, " * 100)
    with pytest.raises(OutputError, match="not a usable grid index"):
        Index(tmp_path)
    assert len(closed_connections) == 1
