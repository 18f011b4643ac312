"""Style Lab: neural style transfer on your own machine.

The public API is imported lazily so that ``import stylelab`` stays cheap:

* :func:`stylize` — optimisation-based transfer (Gatys et al. 2016).
* :func:`fast_stylize` — feed-forward arbitrary transfer (Ghiasi et al. 2017).
* :func:`grade` — similarity and a 0–10 grade between two images.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "stylize": "stylelab.gatys.engine",
    "StylizeResult": "stylelab.gatys.engine",
    "Progress": "stylelab.gatys.progress",
    "GatysConfig": "stylelab.gatys.config",
    "fast_stylize": "stylelab.fast",
    "FastConfig": "stylelab.fast",
    "FastResult": "stylelab.fast",
    "FastStylizer": "stylelab.fast",
    "grade": "stylelab.grading",
    "Grade": "stylelab.grading",
    "GradeConfig": "stylelab.grading",
    "Grader": "stylelab.grading",
    "load_image": "stylelab.imageio",
    "StylelabError": "stylelab.errors",
    "InputError": "stylelab.errors",
    "ConfigError": "stylelab.errors",
    "OutputError": "stylelab.errors",
    "ModelError": "stylelab.errors",
    "Cancelled": "stylelab.errors",
}
# subpackages reachable as attributes after a bare ``import stylelab`` (``stylelab.errors.Cancelled``)
_SUBMODULES = ("errors", "gatys", "fast", "grading", "imageio", "metrics", "grid", "experiments", "web")

__version__ = "0.1.0"
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"stylelab.{name}")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stylelab' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
