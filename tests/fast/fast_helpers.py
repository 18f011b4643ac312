"""Helpers shared by the fast-method tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parents[2] / "src" / "stylelab" / "assets" / "images"


def small(path: Path, long_side: int) -> Image.Image:
    image = Image.open(path).convert("RGB")
    image.thumbnail((long_side, long_side), Image.LANCZOS)
    return image


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
