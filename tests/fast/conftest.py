"""Shared fixtures for the fast method: one warm stylizer and small images made on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from stylelab.fast import FastStylizer
from tests.fast.fast_helpers import ASSETS, small


@pytest.fixture(scope="session")
def stylizer() -> FastStylizer:
    return FastStylizer("cpu")


@pytest.fixture(scope="session")
def content() -> Image.Image:
    return small(ASSETS / "photos" / "rocket.jpg", 96)


@pytest.fixture(scope="session")
def style() -> Image.Image:
    return small(ASSETS / "styles" / "udnie.jpg", 96)


@pytest.fixture(scope="session")
def other_style() -> Image.Image:
    return small(ASSETS / "styles" / "shipwreck.jpg", 96)


@pytest.fixture()
def files(tmp_path: Path, content: Image.Image) -> dict[str, Path]:
    """A content and a style JPEG in ``tmp_path`` (the style at 128 px: 4× to the default style size, not
    yet enlarged enough for the CLI's note about small style images)."""
    paths = {"content": tmp_path / "content.jpg", "style": tmp_path / "style.jpg"}
    content.save(paths["content"])
    small(ASSETS / "styles" / "udnie.jpg", 128).save(paths["style"])
    return paths

