"""The progress event of the optimisation engine.

Kept apart from ``engine.py`` (and free of torch) so that processes that only
relay progress, like the web server, can use it without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class Progress:
    """One optimiser step, as reported to the progress callback.

    ``iteration`` counts steps over all scales (1-based) up to ``total``;
    ``preview`` is set every ``config.preview_every`` steps and on the last
    step of each scale: the picture the run would return at that point (the
    scale's best iterate so far, or the iterate average), not the optimiser's
    current iterate. ``eta`` (seconds left) is None on the first step, whose
    time includes warming up.
    """

    iteration: int
    total: int
    scale_index: int
    scale_count: int
    width: int
    height: int
    losses: dict[str, float]
    elapsed: float
    eta: float | None
    preview: Image.Image | None = None
