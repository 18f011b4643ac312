"""Compute a grid's missing cells into a folder, resumably.

Folder layout::

    DIR/index.sqlite            status, timings, loss histories, quality numbers
    DIR/cells/<key>.png         one output per finished cell (key = first 24 hex digits)
    DIR/inputs/<digest>.<ext>   a copy of every content and style image (for reports)

A cell counts as finished when the index says ``done`` and its file exists;
a re-run skips those and recomputes everything else, failed cells included.
Each output is written atomically and the index is updated after it, so an
interruption at any moment leaves finished cells intact.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stylelab.errors import ConfigError, InputError, OutputError
from stylelab.grid.index import Index
from stylelab.grid.spec import Cell, Grid, InputImage, inert_settings
from stylelab.grid.worker import CellResult
from stylelab.imageio import atomic_write, check_not_empty, check_output_dir, why_no_folder
from stylelab.locks import grid_lock
from stylelab.validate import choice, help_text, integer, number, plain_numbers

EXECUTORS = ("local", "ray")
CELLS_DIR = "cells"
INPUTS_DIR = "inputs"
KEY_CHARS = 24


@dataclass(frozen=True)
class ExecutorConfig:
    """Where and how widely the cells run (the single source of the grid command's defaults)."""

    executor: str = field(default="local", metadata=help_text("local (process pool on this machine) or ray"))
    workers: int = field(
        default=1,
        metadata=help_text(
            "local worker processes, each with cores/workers torch threads; 0 runs cells in this process"
        ),
    )
    address: str | None = field(
        default=None,
        metadata=help_text(
            "Ray cluster to use: auto, HOST:PORT or ray://HOST:PORT (default: this process's Ray instance, "
            "else a new local one)"
        ),
    )
    cpus_per_cell: float = field(default=1.0, metadata=help_text("CPUs Ray reserves for each cell"))
    gpus_per_cell: float = field(
        default=0.0,
        metadata=help_text(
            'GPUs Ray reserves for each cell (set device = "cuda" or "auto" in the grid\'s settings)'
        ),
    )

    def __post_init__(self) -> None:
        plain_numbers(self)
        choice("executor", self.executor, EXECUTORS)
        integer("workers", self.workers, minimum=0, maximum=512)
        number("cpus_per_cell", self.cpus_per_cell, minimum=0.0, exclusive_minimum=True)
        number("gpus_per_cell", self.gpus_per_cell, minimum=0.0)
        if self.executor == "local" and (self.address is not None or self.gpus_per_cell > 0
                                         or self.cpus_per_cell != ExecutorConfig.cpus_per_cell):
            raise ConfigError("`address`, `cpus_per_cell` and `gpus_per_cell` apply only with `executor` ray")
        if self.executor == "ray" and self.workers != ExecutorConfig.workers:
            raise ConfigError("`workers` applies only to local runs; Ray runs as many cells as the cluster has "
                              "room for (see `cpus_per_cell`)")


@dataclass(frozen=True)
class GridEvent:
    """Progress of a grid run: sent once at the start (``cell`` None) and after every cell."""

    total: int
    skipped: int
    to_run: int
    finished: int
    failed: int
    cell: Cell | None = None
    result: CellResult | None = None


@dataclass
class GridSummary:
    """What :func:`run_grid` did.

    Attributes:
        total: cells in the grid; skipped: already done before this run;
        computed: finished now; failed: failed now (their errors in ``failures``);
        interrupted: stopped by Ctrl-C (finished cells are kept).
    """

    folder: Path
    total: int
    skipped: int
    computed: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    failures: list[tuple[Cell, str]] = field(default_factory=list)


ProgressCallback = Callable[[GridEvent], None]


def output_name(key: str) -> str:
    return f"{CELLS_DIR}/{key[:KEY_CHARS]}.png"


def input_name(image: InputImage) -> str:
    return f"{INPUTS_DIR}/{image.digest[:16]}{image.path.suffix.lower()}"


def run_grid(
    grid: Grid,
    folder: str | Path,
    executor: ExecutorConfig = ExecutorConfig(),
    progress: ProgressCallback | None = None,
) -> GridSummary:
    """Compute every cell of ``grid`` that ``folder`` does not hold yet.

    Args:
        grid: from :func:`stylelab.grid.load_grid`.
        folder: output folder (created if missing); holds the index and outputs.
        executor: local processes, this process, or Ray.
        progress: called with a :class:`GridEvent` at the start and after each cell.

    Returns:
        A :class:`GridSummary`; Ctrl-C returns one with ``interrupted=True``.

    Raises:
        OutputError: the folder cannot be created or written.
        ConfigError: another grid is running in the folder, Ray asked for but unavailable, or (run
            locally) a device this machine lacks.

    Local workers are spawned processes: a script that calls this with ``workers >= 1``
    needs the usual ``if __name__ == "__main__":`` guard.
    """
    started = time.perf_counter()
    cells = grid.cells()
    folder = check_not_empty(folder, "grid-out", "the grid folder")
    with _executor_ready(executor, cells):  # before the output folder is made
        return _run_in_folder(grid, cells, _prepare_folder(folder), executor, progress, started)


def _executor_ready(executor: ExecutorConfig, cells: Sequence[Cell]) -> contextlib.AbstractContextManager:
    """Fail now if the cells cannot run where asked: a device this machine lacks (locally; a Ray cluster's
    nodes may have GPUs this machine lacks), or no Ray cluster at the address (then stay connected)."""
    if executor.executor == "local":
        _check_devices(cells)
        return contextlib.nullcontext()
    from stylelab.grid.executors import ray_cluster

    return ray_cluster(executor.address)


def _run_in_folder(grid: Grid, cells: Sequence[Cell], out: Path, executor: ExecutorConfig,
                   progress: ProgressCallback | None, started: float) -> GridSummary:
    with grid_lock(out), Index(out) as index:
        _remove_stale_temporaries(out)
        index.save_layout(str(grid.source.resolve()), layout(grid, cells))
        _copy_inputs(grid, out)
        done = index.done_keys()
        todo = [_reading_copies(cell, out) for cell in cells
                if cell.key not in done or not (out / output_name(cell.key)).is_file()]
        summary = GridSummary(out, total=len(cells), skipped=len(cells) - len(todo))
        _notify(progress, summary, len(todo))
        if todo:
            _compute(todo, out, index, executor, summary, progress)
    summary.seconds = time.perf_counter() - started
    return summary


def _check_devices(cells: Sequence[Cell]) -> None:
    """Fail before any work if a cell asks for a device this machine cannot give (not once per cell)."""
    from stylelab.grid.methods import get_method

    devices = {(cell.setting.method, getattr(cell.setting.config, "device", None)) for cell in cells}
    for method, device in sorted((method, device) for method, device in devices if device is not None):
        try:
            get_method(method).check_device(device)
        except ConfigError as exc:
            raise ConfigError(f"{method} cells: {exc}") from None


def _compute(
    todo: Sequence[Cell],
    out: Path,
    index: Index,
    executor: ExecutorConfig,
    summary: GridSummary,
    progress: ProgressCallback | None,
) -> None:
    by_key = {cell.key: cell for cell in todo}
    results = _results(todo, executor)
    try:
        for result in results:
            cell = by_key[result.key]
            _store(index, out, cell, result)
            if result.ok:
                summary.computed += 1
            else:
                summary.failed += 1
                summary.failures.append((cell, result.error or "unknown error"))
            _notify(progress, summary, len(todo), cell, result)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        results.close()


def _results(todo: Sequence[Cell], executor: ExecutorConfig) -> Iterator[CellResult]:
    from stylelab.grid import executors

    if executor.executor == "ray":
        return executors.run_on_ray(todo, executor.address, executor.cpus_per_cell, executor.gpus_per_cell)
    if executor.workers == 0:
        return executors.run_inline(todo)
    return executors.run_local(todo, min(executor.workers, len(todo)))


def _notify(
    progress: ProgressCallback | None,
    summary: GridSummary,
    to_run: int,
    cell: Cell | None = None,
    result: CellResult | None = None,
) -> None:
    if progress is not None:
        progress(
            GridEvent(
                summary.total,
                summary.skipped,
                to_run,
                summary.computed + summary.failed,
                summary.failed,
                cell,
                result,
            )
        )


def _store(index: Index, out: Path, cell: Cell, result: CellResult) -> None:
    """Write the output file (atomically), then the index row."""
    labels = {"setting": cell.setting.label, "content": cell.content.label, "style": cell.style.label}
    if not result.ok:
        index.record(
            cell.key, status="failed", error=result.error, seconds=result.seconds, host=result.host, **labels
        )
        return
    name = output_name(cell.key)
    with atomic_write(out / name) as temp:
        temp.write_bytes(result.png)
    index.record(
        cell.key,
        status="done",
        output=name,
        width=result.width,
        height=result.height,
        timings=result.timings,
        history=result.history,
        seconds=result.seconds,
        host=result.host,
        **labels,
    )


def _prepare_folder(folder: Path) -> Path:
    try:
        for sub in (folder, folder / CELLS_DIR, folder / INPUTS_DIR):
            sub.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: {why_no_folder(folder, exc, 'cannot create the grid folder')}") from None
    check_output_dir(folder)
    return folder


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files left by a run killed mid-write (only with the folder's lock: not a live run's)."""
    for stale in (folder / CELLS_DIR).glob(".*.tmp"):
        stale.unlink(missing_ok=True)


def _copy_inputs(grid: Grid, out: Path) -> None:
    """Copy each picture into ``inputs/``, named by its digest (checked: it may have changed since read)."""
    for image in (*grid.contents, *grid.styles):
        target = out / input_name(image)
        if target.is_file():
            continue
        try:
            data = image.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{image.path}: cannot be read any more ({exc.strerror or exc})") from None
        if hashlib.sha256(data).hexdigest() != image.digest:
            raise InputError(f"{image.path}: changed since the grid file was read; run the grid again")
        with atomic_write(target) as temp:
            temp.write_bytes(data)


def _reading_copies(cell: Cell, out: Path) -> Cell:
    """``cell`` with its pictures read from ``inputs/``: a photo edited or deleted during the run cannot
    end up under the key of its old bytes."""

    def copy(image: InputImage) -> InputImage:
        return dataclasses.replace(image, path=out / input_name(image))

    return dataclasses.replace(cell, content=copy(cell.content), style=copy(cell.style))


def layout(grid: Grid, cells: Sequence[Cell]) -> dict[str, Any]:
    """The grid's shape, as JSON, for reports: images, settings and which key is which cell."""

    def image(item: InputImage) -> dict[str, str]:
        return {
            "label": item.label,
            "digest": item.digest,
            "file": input_name(item),
            "source": str(item.path),
        }

    position = {id(setting): i for i, setting in enumerate(grid.settings)}
    contents = {content.digest: i for i, content in enumerate(grid.contents)}
    styles = {style.digest: i for i, style in enumerate(grid.styles)}
    return {
        "title": grid.title,
        "source": str(grid.source.resolve()),  # the report may be made from another folder
        "contents": [image(item) for item in grid.contents],
        "styles": [image(item) for item in grid.styles],
        "settings": [
            {
                "label": s.label,
                "method": s.method,
                "values": _jsonable(_effective_values(s)),
                "config": _jsonable(dataclasses.asdict(s.config)),
            }
            for s in grid.settings
        ],
        "cells": [
            {
                "key": c.key,
                "setting": position[id(c.setting)],
                "content": contents[c.content.digest],
                "style": styles[c.style.digest],
            }
            for c in cells
        ],
    }


def _effective_values(setting) -> dict:
    """The settings given for ``setting`` without those its others make irrelevant (a learning rate given
    to an L-BFGS setting): the report lists these as the settings given."""
    inert = inert_settings(setting.config)
    return {key: value for key, value in setting.values.items() if key not in inert}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value
