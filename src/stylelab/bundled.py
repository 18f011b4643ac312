"""Where the photos and paintings shipped with Style Lab live (``photos/`` and ``styles/``)."""

from __future__ import annotations

from pathlib import Path

IMAGES = Path(__file__).parent / "assets" / "images"
