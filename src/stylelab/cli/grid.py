"""``stylelab grid CONFIG.toml --out DIR``: every content × style × setting, resumable."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from stylelab.cli import EXIT_INTERRUPTED
from stylelab.cli.options import add_config_options, config_from_args, named_as_options, print_notes
from stylelab.cli.signals import terminate_as_interrupt

NAME = "grid"
HELP = (
    "Run every combination of contents × styles × settings from a TOML file into a folder; "
    "a re-run skips finished cells and retries failed ones."
)
EXIT_FAILED_CELLS = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from stylelab.grid.runner import ExecutorConfig

    parser.add_argument("config", help="grid file (TOML); see examples/grid.toml")
    parser.add_argument(
        "--out", required=True, help="output folder (created if missing): outputs and index.sqlite"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_options(parser, ExecutorConfig)


def run(args: argparse.Namespace) -> int:
    from stylelab.grid import load_grid, run_grid
    from stylelab.grid.index import INDEX_NAME
    from stylelab.grid.runner import ExecutorConfig

    executor = config_from_args(args, ExecutorConfig)
    if executor.executor == "local" and executor.workers == 0:  # cells in this process: wait as workers do
        from stylelab.grid.worker import OPENMP_ENVIRONMENT

        for name, value in OPENMP_ENVIRONMENT.items():  # before anything starts torch's OpenMP
            os.environ.setdefault(name, value)
    grid = load_grid(args.config)
    print_notes(grid.notes)
    with (
        _GridBar(enabled=not args.quiet) as bar,
        terminate_as_interrupt(),
        named_as_options(field.name for field in dataclasses.fields(ExecutorConfig)),  # Ray's errors
    ):
        summary = run_grid(grid, args.out, executor, progress=bar.update)
    for cell, error in summary.failures:
        print(
            f"failed: {cell.setting.label} | {cell.content.label} × {cell.style.label}: "
            f"{error.splitlines()[0]}",
            file=sys.stderr,
        )
    print(
        f"{summary.total} cells: {summary.computed} computed, {summary.skipped} already done, "
        f"{summary.failed} failed, in {summary.seconds:.1f} s. Index: {summary.folder / INDEX_NAME}"
    )
    if summary.interrupted:
        print("interrupted: finished cells are kept; run the same command again to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    if summary.failed:
        print(
            "some cells failed (errors are in the index); run the same command again to retry them",
            file=sys.stderr,
        )
        return EXIT_FAILED_CELLS
    print(f"next: stylelab report {summary.folder}")
    return 0


class _GridBar:
    """One tqdm bar over the whole grid (finished cells count from the start), with tqdm's ETA; a
    plain line per cell when stderr is a file or a pipe (a bar's carriage returns garble logs)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self) -> _GridBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, event) -> None:
        if not self.enabled:
            return
        if not sys.stderr.isatty():
            self._log(event)
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=event.total,
                initial=event.skipped,
                unit="cell",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.1,
            )
        if event.cell is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(
                f"failed {event.failed} | last: {event.cell.setting.label} "
                f"{event.cell.content.label}×{event.cell.style.label}",
                refresh=True,
            )

    @staticmethod
    def _log(event) -> None:
        if event.cell is None:
            return
        print(f"[{event.skipped + event.finished}/{event.total}] {event.cell.setting.label} | "
              f"{event.cell.content.label} × {event.cell.style.label}"
              + (f" ({event.failed} failed so far)" if event.failed else ""), file=sys.stderr, flush=True)
