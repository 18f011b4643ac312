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
def files(tmp_path: Path, content: Image.Image, style: Image.Image) -> dict[str, Path]:
    """A content and a style JPEG in ``tmp_path``."""
    paths = {"content": tmp_path / "content.jpg", "style": tmp_path / "style.jpg"}
    content.save(paths["content"])
    style.save(paths["style"])
    return paths

