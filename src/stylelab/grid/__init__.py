"""Experiment grids: every content × style × setting, resumable, run locally or on Ray.

:func:`load_grid` reads a TOML file (:mod:`stylelab.grid.spec`), :func:`run_grid`
computes the missing cells into a folder with an SQLite index
(:mod:`stylelab.grid.runner`), and :func:`write_report` turns that folder into
``report.html`` and ``report.md`` (:mod:`stylelab.grid.report`).
"""

from stylelab.grid.runner import ExecutorConfig, GridEvent, GridSummary, run_grid
from stylelab.grid.spec import Cell, Grid, InputImage, Setting, load_grid

__all__ = [
    "Cell",
    "ExecutorConfig",
    "Grid",
    "GridEvent",
    "GridSummary",
    "InputImage",
    "Setting",
    "load_grid",
    "run_grid",
]
