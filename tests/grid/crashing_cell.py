"""A stand-in for ``run_cell`` that the spawned workers of a test pool can import: it kills its worker
process (as the out-of-memory killer would) on one chosen cell and finishes every other one."""

from __future__ import annotations

import os
import time

from PIL import Image

from stylelab.grid.worker import CellResult, CellTask

DEADLY = ((64, 48), (56, 56), "lbfgs")  # the cat photo, the udnie painting, L-BFGS: the first cell


def run_cell_or_die(task: CellTask, content: str, style: str) -> CellResult:
    with Image.open(content) as photo, Image.open(style) as painting:
        if (photo.size, painting.size, task.config.optimizer) == DEADLY:
            os._exit(1)
    time.sleep(0.2)
    return CellResult(task.key, True)
