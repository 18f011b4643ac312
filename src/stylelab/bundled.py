"""Where the photos and paintings shipped with Style Lab live (``photos/`` and ``styles/``)."""

from __future__ import annotations

from pathlib import Path

IMAGES = Path(__file__).parent / "assets" / "images"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def bundled_names() -> list[str]:
    """The shipped pictures as ``bundled:`` takes them: ``photos/chelsea.jpg``, ``styles/udnie.jpg``, …"""
    return sorted(path.relative_to(IMAGES).as_posix() for path in IMAGES.rglob("*")
                  if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file())
