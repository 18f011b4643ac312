"""Grid overhead: a 4 × 4 grid against the same 16 cells run alone, and a re-run of the finished grid.

Setting: the bundled photos (astronaut, chelsea, coffee, rocket) × four bundled paintings
(udnie, shipwreck, water_lilies, woman_with_hat), Gatys with VGG19 at 256 px, L-BFGS, ``--iterations``
steps (default 10), seed 0.

* **alone**: each cell is one ``stylize()`` call plus writing its PNG, in this process, one after
  another; the sum of their wall times is the peer. Measured before and after the grid and
  averaged, since other programs' load on a shared machine drifts.
* **grid**: ``load_grid`` + ``run_grid`` with one local worker process (the default), from an
  empty folder: worker start-up, hashing, index and output writes included.
* **orchestration**: the grid's wall time minus the sum of its cells' own times (as its workers
  measured them): what the grid adds, whatever the load.
* **re-run**: the same on the finished folder, in this process and as the real command
  (``python -m stylelab grid``: interpreter and imports included); it must compute nothing.

This process and the grid's worker both use passive OpenMP waiting and 2 torch threads, so the
two sides run the same numerical code the same way (busy-waiting OpenMP threads are many times
slower when other programs share the cores).

    python benchmarks/grid_overhead.py [--iterations 10] [--workers 1]
"""

from __future__ import annotations

import os

from _tables import publish

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP; see the docstring

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).parent
ROOT = HERE.parent
PHOTOS = ["astronaut", "chelsea", "coffee", "rocket"]
PAINTINGS = ["udnie", "shipwreck", "water_lilies", "woman_with_hat"]
OVERHEAD_TARGET = 1.1
RERUN_TARGET_S = 5.0


def grid_text(iterations: int) -> str:
    contents = ", ".join(f'"bundled:photos/{name}.jpg"' for name in PHOTOS)
    styles = ", ".join(f'"bundled:styles/{name}.jpg"' for name in PAINTINGS)
    return (
        f'title = "grid overhead benchmark"\ncontents = [{contents}]\nstyles = [{styles}]\n'
        f'[settings]\nsize = 256\niterations = {iterations}\nseed = 0\noptimizer = "lbfgs"\n'
    )


def run_alone(grid, folder: Path) -> list[float]:
    from stylelab.gatys.engine import stylize
    from stylelab.imageio import save_image

    seconds = []
    for index, cell in enumerate(grid.cells()):
        started = time.perf_counter()
        result = stylize(cell.content.path, cell.style.path, cell.setting.config)
        save_image(result.image, folder / f"{index}.png")
        seconds.append(time.perf_counter() - started)
        print(f"alone {index + 1}/16: {seconds[-1]:.2f} s", file=sys.stderr)
    return seconds


def run_grid_timed(config: Path, out: Path, workers: int):
    from stylelab.grid import ExecutorConfig, load_grid, run_grid

    started = time.perf_counter()
    summary = run_grid(load_grid(config), out, ExecutorConfig(workers=workers))
    return time.perf_counter() - started, summary


def worker_seconds(out: Path) -> list[float]:
    import sqlite3

    with sqlite3.connect(out / "index.sqlite") as connection:
        return [row[0] for row in connection.execute("SELECT seconds FROM cells")]


def rerun_command(config: Path, out: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "stylelab", "grid", str(config), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"re-run failed:\n{completed.stderr}")
    return elapsed, completed.stdout.strip().splitlines()[0].split(", in ")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    import torch

    from stylelab.grid import load_grid

    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        config = work / "grid.toml"
        config.write_text(grid_text(args.iterations))
        (work / "alone").mkdir()
        before = run_alone(load_grid(config), work / "alone")
        grid_seconds, summary = run_grid_timed(config, work / "out", args.workers)
        if summary.computed != 16:
            raise SystemExit(f"the grid computed {summary.computed} cells, not 16: {summary.failures}")
        cell_seconds = worker_seconds(work / "out")
        after = run_alone(load_grid(config), work / "alone")
        rerun_seconds, rerun = run_grid_timed(config, work / "out", args.workers)
        command_seconds, command_line = rerun_command(config, work / "out")
    alone = [(a + b) / 2 for a, b in zip(before, after, strict=True)]
    total_alone = sum(alone)
    ratio = grid_seconds / total_alone
    orchestration = grid_seconds - sum(cell_seconds)
    lines = [
        f"Grid overhead: 4 × 4 grid, 256 px, L-BFGS {args.iterations} steps, {args.workers} worker(s); "
        f"{torch.get_num_threads()} torch threads; {os.cpu_count()} cores; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}.",
        "",
        "| measure | seconds | ratio | target |",
        "|---|---:|---:|---|",
        f"| 16 cells alone, sum (before grid {sum(before):.1f}, after {sum(after):.1f}) | {total_alone:.1f} | 1.00 | |",
        f"| grid from empty folder (load + run) | {grid_seconds:.1f} | {ratio:.3f} | ≤ {OVERHEAD_TARGET} "
        f"{'✓' if ratio <= OVERHEAD_TARGET else '✗'} |",
        f"| grid's cells, sum of their own times in the worker | {sum(cell_seconds):.1f} | "
        f"{sum(cell_seconds) / total_alone:.3f} | |",
        f"| orchestration: grid wall − its cells (start-up, hashing, index, writes) | {orchestration:.1f} | "
        f"{orchestration / total_alone:.3f} | |",
        f"| re-run, in process: {rerun.computed} computed, {rerun.skipped} skipped | {rerun_seconds:.2f} | | "
        f"< {RERUN_TARGET_S:g} s {'✓' if rerun_seconds < RERUN_TARGET_S and rerun.computed == 0 else '✗'} |",
        f"| re-run, `python -m stylelab grid` ({command_line}) | {command_seconds:.2f} | | "
        f"< {RERUN_TARGET_S:g} s {'✓' if command_seconds < RERUN_TARGET_S else '✗'} |",
    ]
    publish(lines, "grid_overhead")


if __name__ == "__main__":
    main()
