"""The grid on a local Ray instance started by the test (slow: Ray takes seconds to start)."""

import os
import signal
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

import pytest

from stylelab.cli import main
from stylelab.grid import ExecutorConfig, load_grid, run_grid

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
SOURCE = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             _temp_dir=str(tmp_path_factory.mktemp("ray")))  # not /tmp/ray, where sessions pile up
    yield
    ray.shutdown()


def test_unreachable_cluster_is_a_user_error(grid_dir):
    # in a process of its own: in this one a Ray instance may already be connected (local_ray), whatever
    # the order the tests run in
    argv = ["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--executor", "ray",
            "--address", "127.0.0.1:1", "--quiet"]
    done = subprocess.run([sys.executable, "-m", "stylelab", *argv], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(SOURCE)})
    assert done.returncode == 2, done.stderr
    assert "error: --address 127.0.0.1:1: cannot connect to a Ray cluster" in done.stderr
    assert not (grid_dir / "out").exists()  # refused before the output folder was made


def test_no_cluster_at_auto_is_an_error_before_the_folder_is_made(grid_dir, monkeypatch):
    from stylelab.errors import ConfigError

    def no_cluster(**options):
        raise ConnectionError("Could not find any running Ray instance.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", no_cluster)
    with pytest.raises(ConfigError, match=r"^`address` auto: cannot connect to a Ray cluster \(Could not find"):
        run_grid(load_grid(grid_dir / "grid.toml"), grid_dir / "out", ExecutorConfig(executor="ray", address="auto"))
    assert not (grid_dir / "out").exists()  # was: index.sqlite, inputs/ and grid.lock left behind


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


def test_sigterm_stops_a_grid_on_ray_as_ctrl_c_does():
    from stylelab.cli.signals import terminate_as_interrupt
    from stylelab.grid.executors import _connect

    def init(**options):  # as ray.init does: a SIGTERM handler of its own, which calls sys.exit
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(signum))

    with terminate_as_interrupt(), pytest.raises(KeyboardInterrupt):  # was SystemExit: exit 1, no "interrupted"
        assert _connect(types.SimpleNamespace(is_initialized=lambda: False, init=init), None)
        signal.raise_signal(signal.SIGTERM)


@pytest.mark.parametrize("cpus, gpus, message", [(1.0, 1.0, "`gpus_per_cell` 1: each cell asks for 1 GPU"),
                                                  (3.0, 0.0, "`cpus_per_cell` 3: each cell asks for 3 CPU")])
def test_a_cell_too_big_for_the_local_ray_instance_is_an_error_not_a_wait_for_ever(grid_dir, monkeypatch, cpus,
                                                                                   gpus, message):
    from stylelab.errors import ConfigError
    from stylelab.grid import executors

    stopped = []
    fake = types.SimpleNamespace(is_initialized=lambda: False, init=lambda **options: None,
                                 cluster_resources=lambda: {"CPU": 2.0, "memory": 1e9},
                                 shutdown=lambda: stopped.append(True))
    monkeypatch.setattr(executors, "_import_ray", lambda: fake)
    cells = load_grid(grid_dir / "grid.toml").cells()
    with pytest.raises(ConfigError, match=message):  # Ray queued the cells for ever, silently
        next(executors.run_on_ray(cells, None, cpus, gpus))
    assert stopped == [True]
