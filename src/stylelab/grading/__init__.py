"""Similarity and a 0–10 grade between any two images.

Both images are resized to a working size (long side ``GradeConfig.size``) and
passed once through a feature network — VGG19 (``scorer="vgg19"``) or the
encoder of a small autoencoder (``scorer="autoencoder"``). Three distances
are measured, each symmetric and 0 for identical images:

* **style** (texture, brushwork): d_style = mean over layers of
  1 − 2⟨Gₐ, G_b⟩ / (‖Gₐ‖² + ‖G_b‖²), G = Gram matrix of the layer
  (VGG19 relu1_1 … relu5_1; encoder stages 1–4). In [0, 1].
* **structure** (layout): the layer relu3_1 (encoder: the code) is
  average-pooled to a grid × grid layout and centred per channel;
  d_structure = 1 − cosine of the two layouts (with a small ε). In [0, 2].
* **colour** (palette): d_colour = sliced Wasserstein distance between the
  images' CIELAB pixel distributions, in ΔE.

Each distance becomes a similarity s = exp(−(d / τ)²) and a component grade
10·s; the grade is the weighted mean of the component grades::

    grade = 10 · (w_style·s_style + w_structure·s_structure + w_colour·s_colour)

with weights w (normalised to sum to 1) and scales τ calibrated per scorer
(:data:`stylelab.grading.config.VGG19_CALIBRATION`: w = 0.375 / 0.5 / 0.125,
τ = 0.2 / 0.5 / 10 ΔE) so that identical images get 10, a photo against an
unrelated painting at most 3, and hand-painted attempts at imitating a picture
land mid-scale.
"""

from stylelab.grading.config import AUTOENCODER_CALIBRATION, SCORERS, VGG19_CALIBRATION, Calibration, GradeConfig
from stylelab.grading.grader import Grade, Grader, grade

__all__ = ["AUTOENCODER_CALIBRATION", "SCORERS", "VGG19_CALIBRATION", "Calibration", "Grade", "GradeConfig",
           "Grader", "grade"]
