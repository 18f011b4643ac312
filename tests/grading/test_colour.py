"""The colour component against known CIELAB values and the documented sliced-Wasserstein formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from stylelab.grading.colour import palette_distance, palette_signature, srgb_to_lab


@pytest.mark.parametrize("rgb, lab", [
    ((0, 0, 0), (0.0, 0.0, 0.0)),
    ((255, 255, 255), (100.0, 0.0, 0.0)),
    ((119, 119, 119), (50.03, 0.0, 0.0)),  # mid greys depend on the sRGB curve (exponent 2.4, not 2.2)
    ((128, 128, 128), (53.59, 0.0, 0.0)),
    ((255, 0, 0), (53.24, 80.09, 67.20)),
])
def test_srgb_to_lab_gives_the_published_values(rgb, lab):
    assert srgb_to_lab(np.array(rgb, dtype=np.uint8)) == pytest.approx(lab, abs=0.01)


def test_palette_distance_of_two_flat_canvases_is_the_mean_over_the_13_directions():
    # white and black differ by ΔL = 100 only; a direction with an L component of c (unit vector) sees
    # 100·c: 1 on the L axis, 1/√2 on 4 face diagonals, 1/√3 on 4 body diagonals, 0 on the other 4
    white = palette_signature(Image.new("RGB", (40, 30), "white"))
    black = palette_signature(Image.new("RGB", (40, 30), "black"))
    expected = 100 * (1 + 4 / math.sqrt(2) + 4 / math.sqrt(3)) / 13
    assert palette_distance(white, black) == pytest.approx(expected, abs=1e-3)
    assert palette_distance(black, white) == palette_distance(white, black)
