"""The canvas of an unfinished experiment, saved as the person paints so that a reload loses nothing.

A draft is the paint layer as the browser holds it: a PNG with transparency, at
most ``MAX_DRAFT_SIDE`` on a side. It is replaced atomically on every save and
removed when the experiment is finished with a drawing.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from stylelab.errors import InputError
from stylelab.experiments.store import DataDir
from stylelab.imageio import atomic_write

MAX_DRAFT_SIDE = 4096


def read_draft(path: Path) -> Image.Image:
    """The RGBA image of an uploaded draft.

    Raises:
        InputError: not a readable PNG, or larger than ``MAX_DRAFT_SIDE`` on a side.
    """
    too_large = f"draft: larger than {MAX_DRAFT_SIDE} px on a side"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the side limit is stricter
            image = Image.open(path)  # reads the header only
    except Image.DecompressionBombError:
        raise InputError(too_large) from None
    except (OSError, SyntaxError, ValueError):
        raise InputError("draft: not a readable PNG image") from None
    with image:
        if image.format != "PNG":
            raise InputError(f"draft: must be a PNG image, not {image.format or 'unknown'}")
        if max(image.size) > MAX_DRAFT_SIDE:
            raise InputError(f"{too_large} ({image.width}×{image.height} px)")
        try:
            return image.convert("RGBA")
        except (OSError, SyntaxError, ValueError):
            raise InputError("draft: not a readable PNG image") from None


def save_draft(files: DataDir, experiment_id: str, image: Image.Image) -> None:
    """Replace the draft of ``experiment_id`` (atomically)."""
    with atomic_write(files.draft_path(experiment_id)) as temp:
        image.save(temp, format="PNG")


def remove_draft(files: DataDir, experiment_id: str) -> None:
    files.draft_path(experiment_id).unlink(missing_ok=True)
