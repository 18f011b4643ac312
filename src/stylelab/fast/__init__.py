"""Fast arbitrary style transfer (Ghiasi et al. 2017) at any resolution, with native detail.

``fast_stylize(content, styles, config=FastConfig(), weights=None)`` for one call;
:class:`FastStylizer` keeps the model sessions and a style-vector cache alive
between calls (web app, grids, folders).
"""

from stylelab.fast.config import FastConfig
from stylelab.fast.engine import FastResult, FastStylizer, fast_stylize, planned_sizes

__all__ = ["FastConfig", "FastResult", "FastStylizer", "fast_stylize", "planned_sizes"]
