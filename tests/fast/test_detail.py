"""add_detail: the two-band blend of a large-stroke image and a native-resolution one."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from stylelab.fast.detail import add_detail


def _noise(seed: int, size: tuple[int, int] = (40, 30)) -> Image.Image:
    values = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(values, "RGB")


def test_the_same_image_in_both_bands_comes_back_unchanged():
    image = _noise(1)
    assert np.array_equal(np.asarray(add_detail(image, image)), np.asarray(image))


def test_a_flat_native_image_adds_no_detail():
    strokes = _noise(2)
    flat = Image.new("RGB", strokes.size, (90, 140, 200))
    expected = np.asarray(strokes.filter(ImageFilter.GaussianBlur(1.25)))
    assert np.array_equal(np.asarray(add_detail(strokes, flat)), expected)


def test_detail_is_the_native_image_minus_its_blur_and_is_clipped():
    strokes = Image.new("RGB", (40, 30), (250, 5, 128))
    native = _noise(3)
    blurred = np.asarray(native.filter(ImageFilter.GaussianBlur(1.25)), dtype=np.int16)
    expected = np.clip(np.asarray(native, dtype=np.int16) - blurred + np.array([250, 5, 128]), 0, 255)
    result = np.asarray(add_detail(strokes, native))
    assert np.array_equal(result, expected) and result.min() == 0 and result.max() == 255
