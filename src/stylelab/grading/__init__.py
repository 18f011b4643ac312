"""Similarity and a 0–10 grade between any two images.

Both images are resized to a working size (long side ``GradeConfig.size``) and
passed once through a feature network — VGG19 (``scorer="vgg19"``) or the
encoder of a small autoencoder (``scorer="autoencoder"``). Three distances
are measured, each symmetric and 0 for identical images:

* **style** (texture, brushwork): d_style = mean over layers of
  1 − 2⟨Gₐ, G_b⟩ / (‖Gₐ‖² + ‖G_b‖²), G = Gram matrix of the layer
  (VGG19 relu1_1 … relu5_1; encoder stages 1–4). In [0, 1].
* **structure** (layout): the layer relu3_1 (encoder: the code), without its
  borders, is average-pooled to a grid × grid layout and centred per channel;
  d_structure = 1 − cosine of the two layouts (with a small ε). In [0, 2].
* **colour** (palette): d_colour = sliced Wasserstein distance between the
  images' CIELAB pixel distributions, in ΔE.

Each distance becomes a similarity s = exp(−(d / τ)²) and a component grade
10·s; the grade is the weighted mean of the component grades::

    grade = 10 · (w_style·s_style + w_structure·s_structure + w_colour·s_colour)

with weights w (normalised to sum to 1) and scales τ calibrated per scorer in
the frozen :class:`GradeConfig` — ``vgg19``: w = 0.375 / 0.5 / 0.125,
τ = 0.2 / 0.5 / 10 ΔE; ``autoencoder``: w = 0.2 / 0.6 / 0.2, τ = 0.1 / 0.4 / 5 ΔE —
so that identical images get 10, a photo against an unrelated painting at most 3,
and (VGG19) painted attempts at imitating a picture land mid-scale
(benchmarks/grade_discrimination.py). When neither image has a layout (two flat
canvases) structure has nothing to compare: its weight shrinks with the larger
share of layout energy that varies over the grid (full from 2 %), and the
weights actually used are part of the result.

Use :func:`grade` for one pair, a :class:`Grader` for many: it caches each
image's features by a hash of its pixels.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "grade": "stylelab.grading.grader",
    "Grade": "stylelab.grading.grader",
    "Grader": "stylelab.grading.grader",
    "GradeConfig": "stylelab.grading.config",
    "Calibration": "stylelab.grading.config",
    "TrainConfig": "stylelab.grading.config",
    "SCORERS": "stylelab.grading.config",
    "VGG19_CALIBRATION": "stylelab.grading.config",
    "AUTOENCODER_CALIBRATION": "stylelab.grading.config",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    # lazy, like the top-level package: reading the config (for CLI defaults) must not import torch
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stylelab.grading' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
