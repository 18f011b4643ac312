"""Per-image features and the three symmetric distances between them.

* style: Gram matrices G = F Fᵀ / (H·W) of several layers (Gatys et al. 2016);
  distance = mean over layers of 1 − Dice(Gₐ, G_b), Dice = 2⟨Gₐ, G_b⟩ / (‖Gₐ‖² + ‖G_b‖²).
  Gram entries are ≥ 0 (post-ReLU features), so the distance lies in [0, 1].
* structure: one deep layer average-pooled to a grid × grid layout, each channel
  centred over the grid (so only *where* things are counts, not how strong the
  texture is); distance = 1 − cosine of the two layouts, with a small constant
  ε added to the dot product and both squared norms so that flat images are
  stable and identical images give exactly 0. Range [0, 2]. The cells are pooled
  from the interior: zero padding makes every convolution respond at the border,
  which would give even a flat canvas a "layout". How much a pair's structure
  counts is :func:`structure_evidence`: two canvases without a layout have none
  to compare.
* colour: sliced Wasserstein distance between Lab palettes (see :mod:`.colour`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from stylelab.gatys.losses import gram
from stylelab.grading.colour import palette_distance, palette_signature

MIN_WORKING_SIDE = 32
# ε of the structure cosine, relative to the mean squared norm of the two (uncentred) layouts.
LAYOUT_EPSILON = 0.01
# working pixels left out at each border of the layout map, where zero padding, not the picture, shapes
# the features: VGG19's relu3_1 feels the padding 3 pixels in (1 + 1, pool, + 1 + 1, pool, + 1 at 1/4
# scale; = 12 px), the autoencoder's code (1/8 scale) 2
LAYOUT_MARGIN_PX = 12
# the share of a layout's energy that varies over the grid from which it counts fully as a layout:
# flat canvases have 0, photos and paintings 0.2-0.45 (VGG19) or 0.1-0.5 (autoencoder), noise 0.02-0.08
LAYOUT_SHARE_FULL = 0.02


@dataclass(frozen=True)
class ImageFeatures:
    """What the grader keeps of one image.

    Attributes:
        grams: one (C, C) Gram matrix per style layer.
        layout: (C, cells) pooled features of the structure layer, not centred.
        palette: Lab palette signature, see :func:`stylelab.grading.colour.palette_signature`.
    """

    grams: tuple[torch.Tensor, ...]
    layout: torch.Tensor
    palette: np.ndarray


def working_image(image: Image.Image, size: int) -> Image.Image:
    """Resize so the long side is ``size`` (the short side at least MIN_WORKING_SIDE)."""
    width, height = image.size
    scale = max(size / max(width, height), MIN_WORKING_SIDE / min(width, height))
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image if new_size == image.size else image.resize(new_size, Image.LANCZOS)


def image_features(
    picture: Image.Image, style_maps: Sequence[torch.Tensor], layout_map: torch.Tensor, grid: int
) -> ImageFeatures:
    """Summarise a working-size image and its activations (each (1, C, H, W))."""
    grams = tuple(gram(fmap)[0] for fmap in style_maps)
    pooled = torch.nn.functional.adaptive_avg_pool2d(_interior(layout_map, picture.height).double(), grid)[0]
    return ImageFeatures(grams=grams, layout=pooled.flatten(1), palette=palette_signature(picture))


def _interior(layout_map: torch.Tensor, image_height: int) -> torch.Tensor:
    """The map without LAYOUT_MARGIN_PX at each border (less where that would leave under 2 pixels)."""
    height, width = layout_map.shape[-2:]
    margin = min(math.ceil(LAYOUT_MARGIN_PX * height / image_height), (min(height, width) - 2) // 2)
    margin = max(0, margin)
    return layout_map[..., margin:height - margin, margin:width - margin]


def dice(a: torch.Tensor, b: torch.Tensor) -> float:
    """2⟨a, b⟩ / (‖a‖² + ‖b‖²); 1 when both are zero."""
    a, b = a.double(), b.double()
    denominator = float(a.pow(2).sum() + b.pow(2).sum())
    if denominator == 0.0:
        return 1.0
    return 2.0 * float((a * b).sum()) / denominator


def style_distance(a: ImageFeatures, b: ImageFeatures) -> float:
    """Mean over style layers of 1 − Dice of the Gram matrices, in [0, 1]."""
    return float(np.mean([1.0 - dice(ga, gb) for ga, gb in zip(a.grams, b.grams, strict=True)]))


def structure_distance(a: ImageFeatures, b: ImageFeatures) -> float:
    """1 − ε-regularised cosine of the channel-centred layouts, in [0, 2]."""
    x, y = a.layout, b.layout
    epsilon = LAYOUT_EPSILON * float(x.pow(2).sum() + y.pow(2).sum()) / 2.0 + 1e-12
    x = x - x.mean(dim=1, keepdim=True)
    y = y - y.mean(dim=1, keepdim=True)
    dot = float((x * y).sum()) + epsilon
    norms = math.sqrt((float(x.pow(2).sum()) + epsilon) * (float(y.pow(2).sum()) + epsilon))
    distance = 1.0 - dot / norms
    return distance if math.isnan(distance) else max(0.0, distance)  # max(0, nan) would be 0: identical


def layout_share(features: ImageFeatures) -> float:
    """The share of the layout's energy that varies over the grid: 0 for a flat canvas."""
    layout = features.layout
    total = float(layout.pow(2).sum())
    if total == 0.0:
        return 0.0
    return float((layout - layout.mean(dim=1, keepdim=True)).pow(2).sum()) / total


def structure_evidence(a: ImageFeatures, b: ImageFeatures) -> float:
    """How much the structure component counts (0-1): as much as the more structured image has a layout.

    White against black has no layout to compare (without this, their interiors' equal
    flatness made a structure grade of 9.6 and an overall 4.8); a blank canvas against a
    drawing keeps its full structure difference.
    """
    return min(1.0, max(layout_share(a), layout_share(b)) / LAYOUT_SHARE_FULL)


def colour_distance(a: ImageFeatures, b: ImageFeatures) -> float:
    """Sliced Wasserstein distance between the Lab palettes, in ΔE."""
    return palette_distance(a.palette, b.palette)


DISTANCES = {"style": style_distance, "structure": structure_distance, "colour": colour_distance}
