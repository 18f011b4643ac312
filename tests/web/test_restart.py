"""Everything survives a restart on the same data dir; jobs cut off by it are interrupted and can re-run,
queued ones run after it; one server per data dir."""

from __future__ import annotations

import sqlite3

import pytest

from stylelab.errors import ConfigError
from stylelab.web.app import create_app
from tests.experiments.fakes import FakeMethods
from tests.web.conftest import (
    app_client,
    job_state,
    make_settings,
    png_bytes,
    start_experiment,
    upload,
    wait_for,
)


def test_history_and_images_survive_a_restart(tmp_path):
    settings = make_settings(tmp_path / "data")
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(lambda: not client.get(f"/api/experiments/{experiment['id']}").json()["active"])
        drawing = upload(client, png_bytes(), role="drawing").json()
        client.post(f"/api/experiments/{experiment['id']}/finish", json={"drawing": drawing["id"]})
        before = wait_for(
            lambda: (b := client.get(f"/api/experiments/{experiment['id']}").json())["grades"] and b
        )
    with app_client(settings) as client:
        history = client.get("/api/experiments").json()
        assert [item["id"] for item in history["items"]] == [experiment["id"]]
        after = client.get(f"/api/experiments/{experiment['id']}").json()
        assert after == before
        for image in (after["photo"], after["drawing"], after["jobs"]["gatys"]["result"]):
            assert client.get(image["url"]).status_code == 200
            assert client.get(image["thumb_url"]).status_code == 200


def test_jobs_cut_off_by_a_restart_are_interrupted_and_queued_ones_run_after_it(tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.05), gatys_iterations=500)
    with app_client(slow) as client:
        experiment = start_experiment(client)
        waiting = start_experiment(client)
        wait_for(lambda: job_state(client, experiment["id"], "gatys") == "running")
    with app_client(slow.replace(methods=FakeMethods(), gatys_iterations=3)) as client:
        body = client.get(f"/api/experiments/{experiment['id']}").json()
        gatys = body["jobs"]["gatys"]
        assert gatys["state"] == "interrupted"
        assert gatys["error"] == "the server stopped before this job finished"
        # the one that was still queued never started: it runs now, without a re-run
        wait_for(lambda: job_state(client, waiting["id"], "gatys") == "done")
        assert client.post(f"/api/jobs/{gatys['id']}/rerun").json()["state"] in ("queued", "running")
        wait_for(lambda: job_state(client, experiment["id"], "gatys") == "done")


def test_a_killed_server_leaves_running_rows_that_the_next_start_marks_interrupted(tmp_path):
    settings = make_settings(tmp_path / "data")
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(lambda: not client.get(f"/api/experiments/{experiment['id']}").json()["active"])
    with sqlite3.connect(settings.data_dir / "stylelab.sqlite3") as database:  # as if killed mid-job
        database.execute("UPDATE jobs SET state = 'running' WHERE kind = 'gatys'")
    with app_client(settings) as client:
        assert job_state(client, experiment["id"], "gatys") == "interrupted"
        assert job_state(client, experiment["id"], "fast") == "done"


def test_a_second_server_on_the_same_data_dir_is_refused_and_touches_nothing(tmp_path):
    settings = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.05), gatys_iterations=500)
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(lambda: job_state(client, experiment["id"], "gatys") == "running")
        arriving = settings.data_dir / "tmp" / "upload-in-progress"
        arriving.write_bytes(b"partial upload")
        with pytest.raises(ConfigError, match="is in use by another Style Lab server"):
            create_app(settings)
        assert arriving.read_bytes() == b"partial upload"  # tmp/ was not emptied under the first server
        assert job_state(client, experiment["id"], "gatys") == "running"  # nor its job interrupted
    with app_client(settings) as client:  # the first one stopped: the data dir is free again
        assert job_state(client, experiment["id"], "gatys") == "interrupted"


def test_files_that_no_record_owns_are_removed_at_start_and_others_kept(tmp_path):
    settings = make_settings(tmp_path / "data")
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(lambda: not client.get(f"/api/experiments/{experiment['id']}").json()["active"])
        kept = sorted(path.name for folder in ("images", "previews") for path in (settings.data_dir / folder).iterdir())
    data = settings.data_dir
    orphans = [  # a cancelled job's result, a deleted experiment's draft and job preview, a half-written file
        data / "images" / "0123456789abcdef.png",
        data / "images" / "0123456789abcdef.thumb.jpg",
        data / "drafts" / "fedcba9876543210.png",
        data / "previews" / "fedcba9876543210.jpg",
        data / "images" / ".0123456789abcdef.png.a1b2c3d4e5f6.tmp",
    ]
    foreign = data / "images" / "notes.txt"  # not named like ours: not ours to remove
    for path in [*orphans, foreign]:
        path.write_bytes(b"x")
    with app_client(settings) as client:
        assert client.get(f"/api/experiments/{experiment['id']}").status_code == 200
    assert not any(path.exists() for path in orphans)
    assert foreign.exists()
    assert sorted(path.name for folder in ("images", "previews") for path in (data / folder).iterdir()
                  if path != foreign) == kept


def test_a_database_locked_by_another_program_is_a_clear_error_and_the_server_keeps_going(tmp_path, monkeypatch):
    """An sqlite3 shell left in a write transaction: writes wait the busy timeout, then say why (they were
    a bare "internal error: OperationalError"); reads go on, and so does everything once it is closed."""
    from stylelab.experiments.store import Store

    monkeypatch.setattr(Store, "BUSY_TIMEOUT", 0.1)
    settings = make_settings(tmp_path / "data")
    with app_client(settings) as client:
        other = sqlite3.connect(settings.data_dir / "stylelab.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        refused = upload(client, png_bytes())
        assert refused.status_code == 500
        assert "is locked by another program" in refused.json()["detail"]
        assert client.get("/api/experiments").status_code == 200
        other.execute("ROLLBACK")
        other.close()
        assert upload(client, png_bytes()).status_code == 201
