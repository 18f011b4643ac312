"""Colour component: how far one image's palette is from another's, in CIELAB ΔE.

The palette of an image is the distribution of its pixels in CIELAB (D65).
The distance between two palettes is the sliced 1-Wasserstein distance
(Rabin et al. 2011): project both pixel clouds on fixed directions of Lab
space, compare the sorted projections (quantiles) and average. It reads as
"how many ΔE units, on average, each pixel's colour has to move to turn one
palette into the other"; it is a metric, so it is symmetric and 0 only for
equal palettes.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from PIL import Image

QUANTILES = 32
MAX_SAMPLES = 16_384
# sRGB (D65) → XYZ, IEC 61966-2-1.
_SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(…, 3) uint8 sRGB → (…, 3) CIELAB (L in 0…100), D65 white."""
    linear = rgb.astype(np.float64) / 255.0
    linear = np.where(linear <= 0.04045, linear / 12.92, ((linear + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _D65_WHITE
    delta = 6.0 / 29.0
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4.0 / 29.0)
    lightness = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


def projection_directions() -> np.ndarray:
    """The 13 unit directions of a cube's symmetry axes (3 axes, 6 face and 4 body diagonals) in Lab."""
    # one of each ±v pair: the first non-zero coordinate is positive
    canonical = [v for v in itertools.product((-1, 0, 1), repeat=3) if any(v) and next(x for x in v if x) > 0]
    directions = np.array(canonical, dtype=np.float64)
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def palette_signature(image: Image.Image) -> np.ndarray:
    """(QUANTILES, 13) array: quantiles of the image's Lab pixels projected on each direction.

    Large images are sampled on a regular pixel lattice (every k-th row and column) so that
    at most about MAX_SAMPLES pixels are sorted; the quantiles of such a sample are unbiased.
    """
    pixels = np.asarray(image.convert("RGB"))
    stride = max(1, math.ceil(math.sqrt(pixels.shape[0] * pixels.shape[1] / MAX_SAMPLES)))
    lab = srgb_to_lab(pixels[::stride, ::stride]).reshape(-1, 3)
    levels = (np.arange(QUANTILES) + 0.5) / QUANTILES
    return np.quantile(lab @ projection_directions().T, levels, axis=0)


def palette_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Sliced 1-Wasserstein distance (ΔE) between two palette signatures."""
    return float(np.abs(a - b).mean())
