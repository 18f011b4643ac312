"""A small palette of a painting's main colours, by k-means in RGB."""

from __future__ import annotations

import numpy as np
from PIL import Image

SAMPLE_SIDE = 96
PALETTE_SIZE = 8


def extract_palette(image: Image.Image, count: int = PALETTE_SIZE, *, iterations: int = 20, seed: int = 0) -> list[str]:
    """Return up to ``count`` colours (``"#rrggbb"``) that summarise ``image``, darkest first.

    Lloyd's k-means on a thumbnail, seeded by k-means++ (Arthur & Vassilvitskii 2007)
    with a fixed seed, so the same image always gives the same palette. Fewer
    colours come back when the image has fewer distinct ones.
    """
    sample = image.convert("RGB")
    sample.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.NEAREST)  # sampling, not blending: no new colours
    pixels = np.asarray(sample, dtype=np.float64).reshape(-1, 3)
    distinct = np.unique(pixels, axis=0)
    if len(distinct) <= count:
        centres = distinct
    else:
        centres = _kmeans(pixels, count, iterations, np.random.default_rng(seed))
    colours = np.clip(np.round(centres), 0, 255).astype(int)
    luminance = colours @ np.array([0.299, 0.587, 0.114])
    unique = []
    for colour in colours[np.argsort(luminance, kind="stable")]:
        text = "#{:02x}{:02x}{:02x}".format(*colour)
        if text not in unique:
            unique.append(text)
    return unique


def _kmeans(pixels: np.ndarray, count: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    centres = _plus_plus(pixels, count, rng)
    for _ in range(iterations):
        labels = _nearest(pixels, centres)
        updated = centres.copy()
        for index in range(count):
            members = pixels[labels == index]
            if len(members):
                updated[index] = members.mean(axis=0)
        if np.allclose(updated, centres):
            break
        centres = updated
    return centres


def _plus_plus(pixels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    centres = [pixels[rng.integers(len(pixels))]]
    for _ in range(count - 1):
        distance = ((pixels[:, None, :] - np.array(centres)[None]) ** 2).sum(-1).min(axis=1)
        total = distance.sum()
        pick = rng.choice(len(pixels), p=distance / total) if total > 0 else rng.integers(len(pixels))
        centres.append(pixels[pick])
    return np.array(centres)


def _nearest(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((pixels[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
