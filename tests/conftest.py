"""Shared fixtures: bundled images, bad files and unusual-but-valid images built on the fly."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ASSETS = Path(__file__).parents[1] / "src/stylelab/assets/images"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep converted weights in a per-session temp dir, never in the user's cache; and give the
    libraries under test (onnxruntime's telemetry db, Ray's token, Chromium's crash reports) a home of
    their own, so that a test run leaves nothing in the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("STYLELAB_CACHE", str(tmp_path_factory.mktemp("cache")))
    home = tmp_path_factory.mktemp("home")  # kept, not undone: onnxruntime writes its db as the process exits
    os.environ.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def photo() -> Path:
    return ASSETS / "photos/chelsea.jpg"


@pytest.fixture(scope="session")
def painting() -> Path:
    return ASSETS / "styles/udnie.jpg"


@pytest.fixture(scope="session")
def second_painting() -> Path:
    return ASSETS / "styles/shipwreck.jpg"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (a decompression bomb's signature)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def _jpeg_bytes(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


BAD_INPUTS = {
    "missing": ("missing.jpg", None),
    "directory": ("a_folder.jpg", "dir"),
    "zero_byte": ("empty.jpg", b""),
    "text_as_jpg": ("notes.jpg", b"this is not an image, just text\n" * 10),
    "truncated_jpeg": ("truncated.jpg", "truncated"),
    "svg_as_png": ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"></svg>'),
    "html_as_jpg": ("page.jpg", b"<!doctype html><html><body>hello</body></html>"),
    "tiny": ("tiny.png", "tiny"),
    "bomb": ("bomb.png", "bomb"),
    "extreme_aspect": ("strip.png", "strip"),
}


@pytest.fixture(params=sorted(BAD_INPUTS))
def bad_input(request, tmp_path) -> tuple[str, Path]:
    """(kind, path) of one bad input file."""
    name, content = BAD_INPUTS[request.param]
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content == "truncated":
        data = _jpeg_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content == "tiny":
        Image.new("RGB", (12, 40), "red").save(path)
    elif content == "bomb":
        path.write_bytes(_png_header_only(100_000, 100_000))
    elif content == "strip":
        Image.new("RGB", (1000, 20), "blue").save(path)
    elif content is not None:
        path.write_bytes(content)
    return request.param, path


def _exif_rotated(path: Path) -> None:
    image = Image.new("RGB", (60, 30), "white")
    image.paste((255, 0, 0), (0, 0, 30, 30))  # left half red before rotation
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    image.save(path, "JPEG", exif=exif)


def _animated_gif(path: Path) -> None:
    frames = [Image.new("P", (40, 40), color) for color in (1, 2, 3)]
    frames[0].putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _sixteen_bit(path: Path) -> None:
    gradient = np.tile(np.linspace(0, 65535, 48, dtype=np.uint16), (32, 1))
    Image.fromarray(gradient).save(path)


def _rgba_half_transparent(path: Path) -> None:
    array = np.zeros((32, 32, 4), dtype=np.uint8)
    array[:, :16] = (0, 0, 255, 255)  # opaque blue left half; right half fully transparent black
    Image.fromarray(array, "RGBA").save(path)


UNUSUAL = {
    "grayscale.png": lambda p: Image.new("L", (40, 30), 128).save(p),
    "sixteen_bit.png": _sixteen_bit,
    "palette.png": lambda p: Image.new("RGB", (40, 30), (10, 200, 30)).convert("P", palette=Image.ADAPTIVE).save(p),
    "rgba.png": _rgba_half_transparent,
    "cmyk.jpg": lambda p: Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(p),
    "animated.gif": _animated_gif,
    "image.webp": lambda p: Image.new("RGB", (40, 30), (200, 100, 50)).save(p, "WEBP"),
    "image.bmp": lambda p: Image.new("RGB", (40, 30), (50, 100, 200)).save(p, "BMP"),
    "exif_rotated.jpg": _exif_rotated,
    "ünïcödé 画像.png": lambda p: Image.new("RGB", (40, 30), (90, 90, 90)).save(p),
}


@pytest.fixture(params=sorted(UNUSUAL))
def unusual_image(request, tmp_path) -> Path:
    """Path of one valid but unusual image."""
    path = tmp_path / request.param
    UNUSUAL[request.param](path)
    return path


def open_rgb(path) -> Image.Image:
    """Read an image fully and close the file (tests run with ResourceWarning as error)."""
    with Image.open(path) as image:
        return image.convert("RGB")


@pytest.fixture
def unwritable_dir(tmp_path) -> Path:
    """A folder no file can be created in: read-only for users; for root (who may write anywhere on
    disk, as in CI), /proc/self."""
    import os

    if os.geteuid() == 0:
        return Path("/proc/self")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return locked
