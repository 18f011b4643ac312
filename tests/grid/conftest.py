"""Tiny grids: two photos × two paintings at 32 px, one or two steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

ASSETS = Path(__file__).parents[2] / "src/stylelab/assets/images"
# Distinct sizes let a test recognise a cell from the images it receives.
PICTURES = {
    "cat.png": ("photos/chelsea.jpg", (64, 48)),
    "cup.png": ("photos/coffee.jpg", (48, 64)),
    "udnie.png": ("styles/udnie.jpg", (56, 56)),
    "wreck.png": ("styles/shipwreck.jpg", (64, 40)),
}

TWO_BY_TWO = """\
title = "tiny"
contents = ["cat.png", "cup.png"]
styles = ["udnie.png", "wreck.png"]

[settings]
size = 32
iterations = 1
seed = 0
optimizer = ["lbfgs", "adam"]
"""


def make_pictures(folder: Path) -> Path:
    """Write the four tiny pictures and grid.toml (2 × 2 × 2 settings) into ``folder``."""
    for name, (source, size) in PICTURES.items():
        with Image.open(ASSETS / source) as picture:
            picture.convert("RGB").resize(size, Image.LANCZOS).save(folder / name)
    (folder / "grid.toml").write_text(TWO_BY_TWO)
    return folder


@pytest.fixture
def grid_dir(tmp_path) -> Path:
    """A folder with the four tiny pictures and grid.toml."""
    return make_pictures(tmp_path)


def write_grid(folder: Path, text: str) -> Path:
    path = folder / "grid.toml"
    path.write_text(text)
    return path
