"""Shared fixtures for the grading tests: small images, bad files and graders loaded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from stylelab.grading import Grader, GradeConfig

ASSETS = Path(__file__).resolve().parents[2] / "src" / "stylelab" / "assets" / "images"
PHOTOS = sorted((ASSETS / "photos").glob("*.jpg"))
PAINTINGS = sorted((ASSETS / "styles").glob("*.jpg"))
SMALL = GradeConfig(size=64)


def shapes_picture(seed: int, width: int = 48, height: int = 48) -> Image.Image:
    """A random picture of coloured rectangles and ellipses on a coloured ground."""
    rng = np.random.default_rng(seed)
    picture = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(6):
        x0, x1 = sorted(int(v) for v in rng.integers(0, width, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, height, 2))
        box = [x0, y0, x1 + 4, y1 + 4]
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return picture


@pytest.fixture(scope="session")
def small_grader() -> Grader:
    """VGG19 scorer at a 64 px working size (fast)."""
    return Grader(SMALL, cache_size=256)


@pytest.fixture(scope="session")
def default_grader() -> Grader:
    """VGG19 scorer with the default, calibrated configuration."""
    return Grader(GradeConfig(), cache_size=256)


@pytest.fixture(scope="session")
def autoencoder_grader() -> Grader:
    """The shipped autoencoder scorer with the default configuration."""
    return Grader(GradeConfig(scorer="autoencoder"), cache_size=256)


@pytest.fixture
def good_image(tmp_path: Path) -> Path:
    path = tmp_path / "good.png"
    shapes_picture(1, 64, 48).save(path)
    return path


@pytest.fixture
def other_image(tmp_path: Path) -> Path:
    path = tmp_path / "other.png"
    shapes_picture(2, 48, 64).save(path)
    return path


@pytest.fixture
def bad_images(tmp_path: Path) -> dict[str, Path]:
    """One file for each kind of bad input named in the issue."""
    folder = tmp_path / "bad"
    folder.mkdir()
    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    text = folder / "notes.jpg"
    text.write_text("this is not a picture\n")
    jpeg = folder / "full.jpg"
    shapes_picture(3, 128, 128).save(jpeg, quality=90)
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(jpeg.read_bytes()[: jpeg.stat().st_size // 2])
    tiny = folder / "tiny.png"
    shapes_picture(4, 12, 12).save(tiny)
    a_dir = folder / "a_directory.jpg"
    a_dir.mkdir()
    return {"missing": folder / "missing.jpg", "directory": a_dir, "empty": empty, "text": text,
            "truncated": truncated, "tiny": tiny}
