"""The grid on a local Ray instance started by the test (slow: Ray takes seconds to start)."""

import sqlite3

import pytest

from stylelab.cli import main
from stylelab.grid import ExecutorConfig, load_grid, run_grid

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_unreachable_cluster_is_a_user_error(grid_dir, capsys):
    was_running = ray.is_initialized()
    if was_running:
        pytest.skip("a Ray instance is already connected in this process")
    code = main(
        [
            "grid",
            str(grid_dir / "grid.toml"),
            "--out",
            str(grid_dir / "out"),
            "--executor",
            "ray",
            "--address",
            "127.0.0.1:1",
            "--quiet",
        ]
    )
    assert code == 2
    assert "error: --address 127.0.0.1:1: cannot connect to a Ray cluster" in capsys.readouterr().err
    assert not (grid_dir / "out").exists()  # refused before the output folder was made


def test_two_by_two_grid_with_two_settings_on_ray(local_ray, grid_dir, capsys):
    out = grid_dir / "out"
    code = main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--executor", "ray", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "8 cells: 8 computed" in captured.out
    with sqlite3.connect(out / "index.sqlite") as connection:
        rows = connection.execute("SELECT status, output, history FROM cells").fetchall()
    assert len(rows) == 8 and {status for status, _, _ in rows} == {"done"}
    assert all((out / output).is_file() for _, output, _ in rows)
    assert all('"total"' in history for _, _, history in rows)
    assert ray.is_initialized()  # the grid used the test's instance and left it running


def test_ray_results_resume_like_local_ones(local_ray, grid_dir):
    grid = load_grid(grid_dir / "grid.toml")
    local = run_grid(grid, grid_dir / "out", ExecutorConfig(workers=0))
    (sorted((grid_dir / "out/cells").glob("*.png"))[0]).unlink()
    summary = run_grid(grid, grid_dir / "out", ExecutorConfig(executor="ray"))
    assert local.computed == 8 and (summary.computed, summary.skipped, summary.failed) == (1, 7, 0)
