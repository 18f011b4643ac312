"""Running, re-running, resuming after a failure, and Ctrl-C."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from stylelab.cli import main
from stylelab.errors import InputError
from stylelab.grid import ExecutorConfig, load_grid, run_grid
from stylelab.grid.methods import Method, MethodOutput
from tests.conftest import open_rgb

INLINE = ExecutorConfig(workers=0)


def statuses(folder: Path) -> dict[str, str]:
    with sqlite3.connect(folder / "index.sqlite") as connection:
        return dict(connection.execute("SELECT key, status FROM cells"))


def count_runs(monkeypatch, fail=None, interrupt_at=None) -> list:
    """Replace Method.run by a quick stand-in (these tests are about the grid, not the engine): record
    every call; fail the cells ``fail(content, style, config)`` picks; Ctrl-C on call ``interrupt_at``."""
    calls = []

    def run(self, content, style, config, stylizer=None):
        calls.append((content.size, style.size, config.optimizer))
        if interrupt_at is not None and len(calls) == interrupt_at:
            raise KeyboardInterrupt
        if fail is not None and fail(content, style, config):
            raise RuntimeError("injected failure")
        image = content.resize((32, round(32 * content.height / content.width)))
        return MethodOutput(image, {"total": [2.0, 1.0]}, {"total": 0.01})

    monkeypatch.setattr(Method, "run", run)
    monkeypatch.setattr(Method, "warm_up", lambda self, config, stylizer=None: None)
    return calls


@pytest.mark.slow
def test_two_by_two_grid_with_two_settings_on_a_process_pool(grid_dir, capsys):
    out = grid_dir / "out"
    code = main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "8 cells: 8 computed, 0 already done, 0 failed" in captured.out
    lines = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert len(lines) == 8 and lines[-1].startswith("[8/8] ")  # stderr is not a terminal: a line per cell
    assert "\r" not in captured.err  # no bar redrawing itself into the log
    done = statuses(out)
    assert len(done) == 8 and set(done.values()) == {"done"}
    outputs = sorted((out / "cells").glob("*.png"))
    assert len(outputs) == 8
    assert {open_rgb(path).size for path in outputs} == {(32, 24), (24, 32)}
    assert len(list((out / "inputs").iterdir())) == 4


def test_rerunning_a_finished_grid_recomputes_nothing_and_is_quick(grid_dir, capsys, monkeypatch):
    grid = load_grid(grid_dir / "grid.toml")
    count_runs(monkeypatch)
    run_grid(grid, grid_dir / "out", INLINE)
    monkeypatch.undo()
    before = {p.name: p.stat().st_mtime_ns for p in (grid_dir / "out/cells").iterdir()}
    calls = count_runs(monkeypatch)
    started = time.perf_counter()
    code = main(["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--quiet"])
    elapsed = time.perf_counter() - started
    assert code == 0 and calls == []
    assert "0 computed, 8 already done" in capsys.readouterr().out
    assert elapsed < 5
    assert {p.name: p.stat().st_mtime_ns for p in (grid_dir / "out/cells").iterdir()} == before


def test_a_failed_cell_is_recorded_and_only_it_is_retried(grid_dir, capsys, monkeypatch):
    # cat (64×48) × wreck (64×40) with adam fails once.
    def unlucky(content, style, config):
        return content.size == (64, 48) and style.size == (64, 40) and config.optimizer == "adam"

    count_runs(monkeypatch, fail=unlucky)
    code = main(
        ["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--workers", "0", "--quiet"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "failed: optimizer=adam | cat × wreck: unexpected RuntimeError: injected failure" in captured.err
    assert sorted(statuses(grid_dir / "out").values()) == ["done"] * 7 + ["failed"]
    with sqlite3.connect(grid_dir / "out/index.sqlite") as connection:
        (error,) = connection.execute("SELECT error FROM cells WHERE status = 'failed'").fetchone()
    assert "injected failure" in error and "Traceback" in error

    monkeypatch.undo()  # the failure is gone now
    calls = count_runs(monkeypatch)
    code = main(
        ["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--workers", "0", "--quiet"]
    )
    assert code == 0
    assert calls == [((64, 48), (64, 40), "adam")]
    assert set(statuses(grid_dir / "out").values()) == {"done"}
    with sqlite3.connect(grid_dir / "out/index.sqlite") as connection:
        assert connection.execute("SELECT max(attempts) FROM cells").fetchone() == (2,)


def test_a_done_cell_whose_output_was_deleted_is_recomputed(grid_dir, monkeypatch):
    grid = load_grid(grid_dir / "grid.toml")
    count_runs(monkeypatch)
    run_grid(grid, grid_dir / "out", INLINE)
    monkeypatch.undo()
    victim = sorted((grid_dir / "out/cells").glob("*.png"))[0]
    victim.unlink()
    calls = count_runs(monkeypatch)
    summary = run_grid(grid, grid_dir / "out", INLINE)
    assert (summary.computed, summary.skipped, len(calls)) == (1, 7, 1)
    assert victim.exists()


def test_ctrl_c_keeps_finished_cells_and_the_rerun_does_the_rest(grid_dir, capsys, monkeypatch):
    count_runs(monkeypatch, interrupt_at=3)
    code = main(
        ["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--workers", "0", "--quiet"]
    )
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(statuses(grid_dir / "out").values()) == ["done", "done"]
    assert len(list((grid_dir / "out/cells").iterdir())) == 2  # no partial or temporary file
    monkeypatch.undo()
    calls = count_runs(monkeypatch)
    summary = run_grid(load_grid(grid_dir / "grid.toml"), grid_dir / "out", INLINE)
    assert (summary.computed, summary.skipped, len(calls)) == (6, 2, 6)


def test_ctrl_c_after_failed_cells_exits_as_interrupted(grid_dir, capsys, monkeypatch):
    count_runs(monkeypatch, fail=lambda *cell: True, interrupt_at=3)
    code = main(
        ["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--workers", "0", "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 130 and "interrupted" in err and err.count("failed: ") == 2


def _grid_process_after_a_cell(grid_dir: Path, iterations: int = 15) -> tuple[subprocess.Popen, Path]:
    """``stylelab grid --workers 1`` in a process (and session) of its own, once a cell is done."""
    text = (
        (grid_dir / "grid.toml")
        .read_text()
        .replace("iterations = 1", f"iterations = {iterations}")
        .replace("size = 32", "size = 64")
    )
    (grid_dir / "grid.toml").write_text(text)
    out = grid_dir / "out"
    command = [sys.executable, "-m", "stylelab", "grid", str(grid_dir / "grid.toml"), "--out", str(out),
               "--workers", "1", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # SIGINT as a terminal leaves it: pytest run as a background job (`make test &`) ignores it, and
    # the grid would inherit that and never see the test's Ctrl-C
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "index.sqlite").exists() and "done" in statuses(out).values():
            break
        time.sleep(0.2)
    return process, out


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGKILL])
def test_workers_end_with_a_killed_driver_and_sigterm_stops_like_ctrl_c(grid_dir, signal_number):
    process, out = _grid_process_after_a_cell(grid_dir, iterations=60)
    workers = _children(process.pid)
    assert workers  # the pool's worker (and its resource tracker)
    os.kill(process.pid, signal_number)  # the driver only, as `kill` or an out-of-memory killer does
    try:
        _, stderr = process.communicate(timeout=60)  # workers left behind would hold its pipes open
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(_gone(pid) for pid in workers):
            time.sleep(0.2)
        assert all(_gone(pid) for pid in workers), stderr.decode()
    finally:
        for pid in workers:  # a failing run must not leave them computing
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    if signal_number == signal.SIGTERM:
        assert process.returncode == 130 and b"interrupted: finished cells are kept" in stderr, stderr.decode()
        assert "done" in statuses(out).values()


@pytest.mark.slow
def test_ctrl_c_on_the_process_pool(grid_dir, monkeypatch):
    """A real SIGINT to the command's process group (what a terminal sends) while worker processes run."""
    process, out = _grid_process_after_a_cell(grid_dir)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    done = [key for key, status in statuses(out).items() if status == "done"]
    assert 1 <= len(done) < 8
    assert sorted(p.name for p in (out / "cells").iterdir()) == sorted(f"{key[:24]}.png" for key in done)
    calls = count_runs(monkeypatch)
    summary = run_grid(load_grid(grid_dir / "grid.toml"), out, INLINE)
    assert summary.computed == len(calls) == 8 - len(done) and summary.skipped == len(done)


def test_one_grid_at_a_time_in_a_folder_and_no_report_while_it_runs(grid_dir, capsys):
    from stylelab.locks import grid_lock

    out = grid_dir / "out"
    assert main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--workers", "0", "--quiet"]) == 0
    capsys.readouterr()
    stale = out / "cells" / ".abc.png.0123456789ab.tmp"  # a running grid's file being written
    stale.write_bytes(b"half")
    with grid_lock(out):  # another process's grid, running
        assert main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--workers", "0", "--quiet"]) == 2
        assert f"a grid is running in this folder (pid {os.getpid()})" in capsys.readouterr().err
        assert stale.exists()  # its temporary files are left alone
        assert main(["report", str(out), "--eval-size", "64", "--thumbnail", "64"]) == 2
        assert "a grid is running in this folder" in capsys.readouterr().err
    assert main(["report", str(out), "--eval-size", "64", "--thumbnail", "64"]) == 0


def test_a_photo_edited_during_the_run_does_not_reach_the_cells_keyed_by_its_old_bytes(grid_dir, monkeypatch):
    calls = count_runs(monkeypatch)
    grid = load_grid(grid_dir / "grid.toml")
    edited = []

    def edit_the_photo_after_the_first_cell(event):
        if event.finished == 1 and not edited:
            Image.new("RGB", (80, 60), "red").save(grid_dir / "cat.png")  # another picture, same name
            edited.append(1)

    summary = run_grid(grid, grid_dir / "out", ExecutorConfig(workers=0), progress=edit_the_photo_after_the_first_cell)
    assert edited and summary.computed == 8
    assert {content for content, _, _ in calls} == {(64, 48), (48, 64)}  # never the 80 × 60 edit
    Image.new("RGB", (80, 60), "blue").save(grid_dir / "cup.png")  # changed after load_grid read it
    grid = load_grid(grid_dir / "grid.toml")
    (grid_dir / "cup.png").write_bytes(b"")
    with pytest.raises(InputError, match="cup.png: changed since the grid file was read"):
        run_grid(grid, grid_dir / "out2", ExecutorConfig(workers=0))


@pytest.mark.slow
def test_a_worker_killed_on_one_cell_does_not_fail_the_cells_that_never_reached_it(grid_dir, monkeypatch):
    from stylelab.grid import executors
    from tests.grid.crashing_cell import run_cell_or_die

    monkeypatch.setattr(executors, "run_cell", run_cell_or_die)
    cells = load_grid(grid_dir / "grid.toml").cells()
    results = list(executors.run_local(cells, workers=2))
    assert sorted(result.key for result in results) == sorted(cell.key for cell in cells)  # each cell once
    failed = [result for result in results if not result.ok]
    assert 1 <= len(failed) <= 3  # the deadly cell and those sharing its pool's workers (2 + 1 queued)
    assert all("worker process died" in result.error for result in failed)


def test_a_cell_that_cannot_read_its_picture_names_its_role_not_the_inputs_copy(grid_dir, tmp_path):
    from stylelab.grid.executors import task_of
    from stylelab.grid.worker import run_cell

    cell = load_grid(grid_dir / "grid.toml").cells()[0]
    damaged = tmp_path / "inputs" / "0123456789abcdef.png"
    damaged.parent.mkdir()
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = run_cell(task_of(cell), str(damaged), str(cell.style.path))
    assert not result.ok and result.error.startswith("InputError: content: ")  # after "cat × udnie" in the log
    assert "inputs" not in result.error


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` × ``height`` and holds no pixels (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(
        b"IEND", b"")


@pytest.mark.parametrize("payload", ["not an image", "truncated", "huge header", "empty"])
def test_pictures_shipped_as_bytes_fail_as_the_same_files_do(grid_dir, tmp_path, payload):
    from stylelab.grid.executors import task_of
    from stylelab.grid.worker import run_cell

    cell = load_grid(grid_dir / "grid.toml").cells()[0]
    data = {"not an image": b"plain text, not a picture\n" * 4,
            "truncated": (grid_dir / "cat.png").read_bytes()[:200],
            "huge header": _png_header_only(20_000, 20_000),  # 400 MP: Pillow refuses to open it at all
            "empty": b""}[payload]
    (tmp_path / "bad.png").write_bytes(data)
    as_file = run_cell(task_of(cell), str(tmp_path / "bad.png"), str(cell.style.path))
    as_bytes = run_cell(task_of(cell), data, cell.style.path.read_bytes())  # as Ray ships them
    assert not as_file.ok and as_file.error.startswith("InputError: content: ")
    assert not as_bytes.ok and as_bytes.error == as_file.error  # was "unexpected UnidentifiedImageError: ..."
