"""Load, validate and normalise images; write outputs atomically.

Every image that enters Style Lab passes through :func:`load_image`, which
returns an 8-bit RGB PIL image or raises :class:`InputError` with a message a
person can act on. Every file Style Lab writes goes through :func:`atomic_write`
so that a failure never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import secrets
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from stylelab.errors import InputError, OutputError
from stylelab.validate import instance, integer, number, plain_numbers

ImageSource = str | os.PathLike | Image.Image | np.ndarray

OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP",
                  ".tif": "TIFF", ".tiff": "TIFF"}
FORMAT_MAX_SIDE = {"JPEG": 65500, "WEBP": 16383}  # the formats' own limits; PNG, BMP and TIFF have none this low
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


@dataclass(frozen=True)
class ImageLimits:
    """What :func:`load_image` accepts.

    Attributes:
        min_side: smallest allowed width or height in pixels.
        max_pixels: largest allowed width × height (guards against decompression bombs).
        max_aspect: largest allowed ratio of the long side to the short side.
    """

    min_side: int = 16
    max_pixels: int = 64_000_000
    max_aspect: float = 16.0

    def __post_init__(self) -> None:
        plain_numbers(self)
        integer("min_side", self.min_side, minimum=1)
        integer("max_pixels", self.max_pixels, minimum=1)
        number("max_aspect", self.max_aspect, minimum=1.0)


DEFAULT_LIMITS = ImageLimits()
EXIF_ORIENTATION = 0x0112
TURNED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that swap width and height
FLOAT_SLACK = 0.01  # float arrays may stray this far outside 0..1 (rounding) and are clipped


def load_image(source: ImageSource | bytes, limits: ImageLimits = DEFAULT_LIMITS, *, name: str | None = None
               ) -> Image.Image:
    """Return ``source`` as an 8-bit RGB PIL image, validated against ``limits``.

    Accepts a path, a file's bytes, a PIL image or an array (H×W, H×W×3 or H×W×4;
    uint8, uint16 or float in [0, 1]). EXIF rotation is applied, transparency is composited
    on white, 16-bit and float images are rescaled, animations give their
    first frame.

    Raises:
        InputError: the file is missing, unreadable, not an image, or outside ``limits``.
    """
    label = name or (str(source) if _named_path(source) else "image")
    instance("limits", limits, ImageLimits)
    if isinstance(source, str) and not source:  # Path("") would be the current folder
        raise InputError(f"{label}: the path is empty; give the path of an image file")
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        image = _array_to_image(source, limits, label)
    elif isinstance(source, (str, os.PathLike)):
        image = _open_file(Path(source), limits, label)
    elif isinstance(source, (bytes, bytearray)):  # a file's bytes, checked as the file would be
        if not source:
            raise InputError(f"{label}: file is empty")
        image = _decode(io.BytesIO(source), limits, label)
    else:
        raise InputError(f"{label}: expected a path, bytes, PIL image or array, got {type(source).__name__}")
    _check_size(image.size, limits, label)
    return _to_rgb(image, label)


def source_label(source: ImageSource, role: str, index: int = 0, count: int = 1) -> str | None:
    """What errors call an input: None for a path (:func:`load_image` names it by its path), else
    "style image", or "style image 2 of 3" when it is one of several."""
    if _named_path(source):
        return None
    return f"{role} image" + (f" {index + 1} of {count}" if count > 1 else "")


_WEB_ADDRESS = re.compile(r"(?i)(https?|ftp):/")  # a Path keeps one slash of "https://"


def _web_address(path: Path) -> bool:
    """Whether a missing ``path`` reads as a web address (and is not in a local folder named "http:")."""
    return bool(_WEB_ADDRESS.match(str(path))) and not Path(path.parts[0]).is_dir()


def _named_path(source: object) -> bool:
    """Whether ``source`` is a path that can name itself in errors (not an empty string)."""
    return isinstance(source, os.PathLike) or (isinstance(source, str) and source != "")


def _open_file(path: Path, limits: ImageLimits, label: str) -> Image.Image:
    try:
        status = path.stat()
    except FileNotFoundError:
        if _web_address(path):
            raise InputError(f"{label}: a web address; Style Lab reads local files only (nothing is downloaded): "
                             "save the picture and give its path") from None
        raise InputError(f"{label}: no such file") from None
    except OSError as exc:  # a name too long, a loop of links, a folder we may not enter
        raise InputError(f"{label}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError(f"{label}: is a directory, not an image file")
    if status.st_size == 0:
        raise InputError(f"{label}: file is empty")
    return _decode(path, limits, label)


def _decode(file: Path | io.BytesIO, limits: ImageLimits, label: str) -> Image.Image:
    """Open ``file`` (a path or a file's bytes), check its size against ``limits`` from the header, then
    decode it (the first frame), or raise :class:`InputError`."""
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning (above 89 MP) would override a larger max_pixels: the size is
            # checked against ``limits`` right after opening, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as opened:
                _check_size(opened.size, limits, label)
                opened.seek(0)  # animations: the first frame
                opened.load()
                image = opened.copy()  # detached from the file, which is closed on leaving
    except InputError:
        raise
    except Image.DecompressionBombError as exc:  # over twice Pillow's limit: it refuses to open the file at all
        if limits.max_pixels < 2 * Image.MAX_IMAGE_PIXELS:  # the limit the user knows of is exceeded too
            pixels = re.search(r"\((\d+) pixels\)", str(exc))  # Pillow names the size, not the sides
            size = f"{int(pixels[1]):,} px, " if pixels else ""
            raise InputError(f"{label}: image is too large: {size}over the limit of {limits.max_pixels:,} px") from None
        raise InputError(f"{label}: image is too large; the image library opens at most "
                         f"{2 * Image.MAX_IMAGE_PIXELS:,} px") from None
    except UnidentifiedImageError:
        raise InputError(f"{label}: not a supported image file (could not decode it)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        detail = str(exc).removeprefix("image file is truncated").strip(" ()")  # not "truncated (... truncated"
        raise InputError(f"{label}: image file is damaged or truncated" + (f" ({detail})" if detail else "")
                         ) from None
    return image


def upright_size(path: str | os.PathLike) -> tuple[int, int] | None:
    """(width, height) as :func:`load_image` would give them (EXIF rotation applied), read from the
    header without decoding the pixels; None if the file cannot be opened."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                turned = image.getexif().get(EXIF_ORIENTATION) in TURNED_ORIENTATIONS
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None
    return (height, width) if turned else (width, height)


def within_limits(size: tuple[int, int], limits: ImageLimits = DEFAULT_LIMITS) -> bool:
    """Whether an image of ``size`` = (width, height) passes :func:`load_image`'s size checks."""
    try:
        _check_size(size, limits, "image")
    except InputError:
        return False
    return True


def _check_size(size: tuple[int, int], limits: ImageLimits, label: str) -> None:
    width, height = size
    if min(width, height) < limits.min_side:
        raise InputError(f"{label}: image is {width}×{height} px; both sides must be at least "
                         f"{limits.min_side} px")
    if width * height > limits.max_pixels:
        raise InputError(f"{label}: image is {width}×{height} = {width * height:,} px, over the limit of "
                         f"{limits.max_pixels:,} px")
    aspect = max(width, height) / min(width, height)
    if aspect > limits.max_aspect:
        raise InputError(f"{label}: aspect ratio {aspect:.1f}:1 is too extreme (at most "
                         f"{limits.max_aspect:g}:1)")


def _array_to_image(array: np.ndarray, limits: ImageLimits, label: str) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError(f"{label}: array of shape {array.shape} is not an H×W, H×W×3 or H×W×4 image")
    _check_size((array.shape[1], array.shape[0]), limits, label)  # before any copy of the pixels
    unsigned = array.dtype.kind == "u"  # either byte order
    if unsigned and array.dtype.itemsize == 1:
        data = array
    elif unsigned and array.dtype.itemsize == 2:
        data = (array.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InputError(f"{label}: array contains NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < -FLOAT_SLACK or high > 1.0 + FLOAT_SLACK:  # most likely 0-255 values in a float array
            hint = "; divide 0-255 values by 255" if high > 1.0 + FLOAT_SLACK else ""
            raise InputError(f"{label}: a float array must hold values in 0..1, this one spans "
                             f"{low:.4g}..{high:.4g}{hint}")
        data = (np.clip(array, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    else:
        raise InputError(f"{label}: array dtype {array.dtype} is not uint8, uint16 or float")
    mode = {2: "L", 3: "RGB", 4: "RGBA"}[data.shape[2] if data.ndim == 3 else 2]
    return Image.fromarray(np.ascontiguousarray(data), mode=mode)


def _to_rgb(image: Image.Image, label: str) -> Image.Image:
    try:
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # a damaged EXIF block should not reject an otherwise good image
    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "F":
        return _high_depth_to_rgb(image, label)
    try:
        if image.mode in ("P", "L", "RGB") and "transparency" in image.info:  # a palette entry or colour key
            image = image.convert("RGBA")
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB")
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        if "truncated" in str(exc):
            raise InputError(f"{label}: image file is damaged or truncated") from None
        raise InputError(f"{label}: cannot convert image mode {image.mode} to RGB ({exc})") from None


def _high_depth_to_rgb(image: Image.Image, label: str) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    if not np.isfinite(values).all():  # a float TIFF may hold NaN or infinity, as an array may
        raise InputError(f"{label}: image contains NaN or infinite values")
    if image.mode == "F":
        low, high = float(values.min()), float(values.max())
        if low >= -FLOAT_SLACK and high <= 1.0 + FLOAT_SLACK:  # 0..1 like a float array
            scaled = values
        else:  # any other range (a measurement, say) is stretched to black..white
            scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    else:
        # I;16 modes are 16-bit by definition; a plain 32-bit "I" image may hold 8- or 16-bit values
        sixteen_bit = image.mode.startswith("I;16") or values.max() > 255
        scaled = values / (65535.0 if sixteen_bit else 255.0)
    gray = (np.clip(scaled, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    return Image.fromarray(gray, mode="L").convert("RGB")


def resize_long_side(image: Image.Image, size: int) -> Image.Image:
    """Return ``image`` scaled (Lanczos) so that its longer side is ``size`` pixels."""
    width, height = image.size
    scale = size / max(width, height)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new_size == image.size:
        return image
    return image.resize(new_size, Image.LANCZOS)


def check_output_path(path: str | os.PathLike, inputs: Iterable[object] = ()) -> Path:
    """Fail early, before any work, if ``path`` cannot receive an output image.

    ``inputs`` are the command's input images: paths among them must not be the output.

    Raises:
        OutputError: the folder is missing or not writable, the path is a folder,
            the extension is not one of OUTPUT_FORMATS, or the output would overwrite an input.
    """
    return check_output_file(path, "out.png", inputs, _check_image_extension)


def check_output_file(path: str | os.PathLike, example: str, inputs: Iterable[object] = (),
                      check_name: Callable[[Path], None] | None = None,
                      clash: str = "would overwrite an input image; choose another output name") -> Path:
    """Fail early, before any work, if ``path`` cannot receive the file a command writes.

    Args:
        example: a file name to suggest when ``path`` is empty or a folder.
        inputs: the command's inputs; a path among them must not be the output (``clash`` says so).
        check_name: raises OutputError for a name the command cannot write (a wrong extension).

    Raises:
        OutputError: the path is empty, an input or a folder, its name is refused or too long, or its
            folder is missing or not writable.
    """
    path = check_not_empty(path, example)
    try:
        paths = [Path(source) for source in inputs if isinstance(source, (str, os.PathLike))]
        if any(_same_file(source, path) for source in paths):
            raise OutputError(f"{path}: {clash}")
        if path.is_dir():
            raise OutputError(f"{path}: is a directory; give a file name such as {path / example}")
        if check_name is not None:
            check_name(path)
        check_output_dir(path.parent if str(path.parent) else Path("."))
        _check_name_length(path)
    except OSError as exc:  # a name too long, a file where a folder should be, a symlink loop
        raise OutputError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    return path


def _same_file(source: Path, path: Path) -> bool:
    try:
        return source.exists() and source.resolve() == path.resolve()
    except RuntimeError:  # Python before 3.13 raises this for a symlink loop, later ones OSError
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None


def _check_image_extension(path: Path) -> None:
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise OutputError(f"{path}: unsupported output extension {path.suffix or '(none)'}; use one of "
                          f"{', '.join(sorted(OUTPUT_FORMATS))}")


def _check_name_length(path: Path) -> None:
    """Refuse a name that :func:`atomic_write`'s temporary name would push past the system's limit."""
    try:
        longest = os.pathconf(path.parent if str(path.parent) else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    extra = len(os.fsencode(_temporary_name(path))) - len(os.fsencode(path.name))
    if len(os.fsencode(path.name)) + extra > longest:
        raise OutputError(f"{path}: the file name is too long (at most {longest - extra} bytes)")


def _temporary_name(path: Path) -> str:
    return f".{path.name}.{secrets.token_hex(6)}.tmp"


def check_not_empty(path: str | os.PathLike, example: str = "out.png", what: str = "the output path") -> Path:
    """``path`` as a Path, unless it is empty (``Path("")`` would quietly mean the current folder)."""
    if not str(path).strip():
        raise OutputError(f"{what} is empty; give a name such as {example}")
    return Path(path)


def check_output_dir(folder: str | os.PathLike) -> Path:
    """Raise :class:`OutputError` unless ``folder`` exists and is writable."""
    folder = check_not_empty(folder, "out", "the output folder")
    try:
        if not folder.exists():
            raise OutputError(f"{folder}: output directory does not exist")
        if not folder.is_dir():
            raise OutputError(f"{folder}: is not a directory")
    except OSError as exc:
        raise OutputError(f"{folder}: cannot use it as output directory ({exc.strerror or exc})") from None
    try:  # a real probe: permission bits say nothing for root or read-only mounts
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        raise OutputError(f"{folder}: output directory is not writable") from None
    return folder


def ensure_output_dir(folder: str | os.PathLike) -> Path:
    """Create ``folder`` (and parents) if missing, then check it is a writable directory."""
    folder = check_not_empty(folder, "out", "the output folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: {why_no_folder(folder, exc, 'cannot create output directory')}") from None
    return check_output_dir(folder)


def why_no_folder(folder: Path, exc: OSError, failure: str) -> str:
    """Why ``folder.mkdir(parents=True)`` raised ``exc``: a file or a broken link in the way, named, or
    ``failure`` and the system's reason ("File exists" alone reads as if the folder were there)."""
    for path in (folder, *folder.parents):
        try:
            if path.is_dir():
                break
            what = (f"a broken link (to {os.readlink(path)})" if path.is_symlink() and not path.exists()
                    else "a file" if path.exists() else None)
            if what is not None:
                return f"is {what}, not a folder" if path == folder else f"{path} is {what}, not a folder"
        except OSError:  # cannot be looked at either (a name too long, a folder we may not enter): exc says why
            break
    return f"{failure} ({exc.strerror or exc})"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Raises:
        OutputError: the temporary file cannot be created or renamed.
    """
    path = Path(path)
    temp = path.with_name(_temporary_name(path))
    try:  # created with mode 0666 less the umask, as open() would (mkstemp would make it 0600)
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        yield temp
        os.replace(temp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        temp.unlink(missing_ok=True)


def check_format_fits(path: str | os.PathLike, size: tuple[int, int]) -> None:
    """Refuse an image of ``size`` (width, height) that the format of ``path``'s extension cannot hold.

    Raises:
        OutputError: naming the format's largest side.
    """
    path = Path(path)
    image_format = OUTPUT_FORMATS.get(path.suffix.lower())
    largest = FORMAT_MAX_SIDE.get(image_format)
    if largest is not None and max(size) > largest:
        raise OutputError(f"{path}: {image_format} images can be at most {largest} px on a side, this one is "
                          f"{size[0]}×{size[1]}; save it as .png")


def save_image(image: Image.Image, path: str | os.PathLike) -> Path:
    """Write ``image`` atomically; the format follows the extension (PNG, JPEG, WebP ...)."""
    path = Path(path)
    image_format = OUTPUT_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise OutputError(f"{path}: unsupported output extension {path.suffix or '(none)'}")
    check_format_fits(path, image.size)
    options = {"quality": 95} if image_format in ("JPEG", "WEBP") else {}
    with atomic_write(path) as temp:
        image.save(temp, format=image_format, **options)
    return path
