"""Palette extraction: finds the colours that are there, deterministically, darkest first."""

from __future__ import annotations

import numpy as np
from PIL import Image

from stylelab.experiments.palette import extract_palette


def _blocks(colours, size=60) -> Image.Image:
    array = np.zeros((size, size * len(colours), 3), dtype=np.uint8)
    for index, colour in enumerate(colours):
        array[:, index * size : (index + 1) * size] = colour
    return Image.fromarray(array)


def test_an_image_of_three_colours_gives_exactly_those_three():
    image = _blocks([(200, 30, 30), (20, 40, 160), (240, 220, 90)])
    assert extract_palette(image, 8) == ["#1428a0", "#c81e1e", "#f0dc5a"]


def test_k_means_finds_the_centres_of_noisy_clusters():
    rng = np.random.default_rng(1)
    centres = np.array([(30, 30, 30), (220, 60, 60), (60, 200, 90), (240, 240, 240)], dtype=float)
    blocks = [np.clip(c + rng.normal(0, 6, (50, 50, 3)), 0, 255) for c in centres]
    image = Image.fromarray(np.concatenate(blocks, axis=1).astype(np.uint8))
    found = np.array(
        [[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in extract_palette(image, 4)], dtype=float
    )
    for centre in centres:
        assert np.abs(found - centre).sum(axis=1).min() < 12


def test_palette_is_deterministic_and_sorted_by_luminance(painting):
    with Image.open(painting) as image:
        first = extract_palette(image, 8)
        assert first == extract_palette(image, 8)
    assert len(first) == 8
    luminance = [np.dot([int(h[i : i + 2], 16) for i in (1, 3, 5)], [0.299, 0.587, 0.114]) for h in first]
    assert luminance == sorted(luminance)
