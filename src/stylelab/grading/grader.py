"""The grade between two images, and a grader that caches per-image features."""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from stylelab.backbones.layers import VGG_STYLE_LAYERS
from stylelab.devices import resolve_device
from stylelab.errors import ConfigError, InputError, ModelError
from stylelab.grading.config import COMPONENTS, Calibration, GradeConfig
from stylelab.grading.features import (
    DISTANCES,
    ImageFeatures,
    image_features,
    structure_evidence,
    working_image,
)
from stylelab.imageio import ImageSource, load_image
from stylelab.metrics import image_to_tensor
from stylelab.validate import instance

VGG_LAYOUT_LAYER = "relu3_1"
DEFAULT_CACHE_SIZE = 64

FeatureMaps = Callable[[torch.Tensor], tuple[list[torch.Tensor], torch.Tensor]]


@dataclass(frozen=True)
class Grade:
    """How close two images are.

    Attributes:
        score: the grade, 0 (unrelated) to 10 (identical).
        similarity: score / 10, the weighted mean of the component similarities.
        components: per-component grades 0–10 (``style``, ``structure``, ``colour``).
        distances: the raw distances behind them (style 0–1, structure 0–2, colour in ΔE).
        scorer: the feature network used (``vgg19`` or ``autoencoder``).
        weights: the weight of each component in ``score`` (sum 1): the calibration's, with
            structure weighed less when neither image has much of a layout (two flat canvases).
    """

    score: float
    similarity: float
    components: dict[str, float]
    distances: dict[str, float]
    scorer: str
    weights: dict[str, float]

    def as_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return {
            "score": self.score,
            "similarity": self.similarity,
            "components": dict(self.components),
            "distances": dict(self.distances),
            "scorer": self.scorer,
            "weights": dict(self.weights),
        }


def component_similarity(distance: float, scale: float) -> float:
    """exp(−(distance / scale)²): 1 at distance 0, 1/e at ``scale``."""
    return math.exp(-((distance / scale) ** 2))


def weights_for(calibration: Calibration, structure_evidence: float) -> dict[str, float]:
    """The calibration's weights with structure's scaled by ``structure_evidence`` (0–1), summing to 1."""
    if structure_evidence >= 1.0:
        return calibration.weights
    scaled = {**calibration.weights, "structure": calibration.weights["structure"] * structure_evidence}
    total = sum(scaled.values())
    if total == 0.0:  # a calibration that weighs only structure still grades flat canvases by it
        return calibration.weights
    return {name: weight / total for name, weight in scaled.items()}


def combine(distances: dict[str, float], calibration: Calibration, scorer: str,
            structure_evidence: float = 1.0) -> Grade:
    """Turn the three distances into a :class:`Grade` (the formula in the package docstring)."""
    broken = sorted(name for name in COMPONENTS if not math.isfinite(distances[name]))
    if broken:  # min(1, nan) would be a perfect grade
        raise ModelError(f"the {scorer} scorer gave a non-finite {', '.join(broken)} distance "
                         f"({', '.join(str(distances[name]) for name in broken)}); its weights are broken")
    scales, weights = calibration.scales, weights_for(calibration, structure_evidence)
    similarities = {name: component_similarity(distances[name], scales[name]) for name in COMPONENTS}
    similarity = min(1.0, sum(weights[name] * similarities[name] for name in COMPONENTS))
    if all(distances[name] == 0.0 for name in COMPONENTS):
        similarity = 1.0  # exactly, whatever rounding the weighted sum did
    return Grade(
        score=10.0 * similarity,
        similarity=similarity,
        components={name: 10.0 * similarities[name] for name in COMPONENTS},
        distances=dict(distances),
        scorer=scorer,
        weights=weights,
    )


def content_key(image: Image.Image) -> str:
    """SHA-256 of an RGB image's size and pixels: equal pictures share a key, whatever their source."""
    digest = hashlib.sha256(f"{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


class Grader:
    """Grades pairs of images, computing each image's features once.

    Features are cached by image content (SHA-256 of the pixels), so an n × n
    matrix costs n feature passes, and a long-lived grader (the web app keeps
    one) never recomputes a picture it has seen recently. The feature network
    is loaded on first use. Safe to share between threads.

    Args:
        config: scorer, working size and calibration.
        cache_size: how many images' features to keep (least recently used are dropped;
            about 2.5 MB each with VGG19).

    Attributes:
        feature_passes: how many times the feature network has run (cache misses).
    """

    def __init__(self, config: GradeConfig = GradeConfig(), cache_size: int = DEFAULT_CACHE_SIZE):  # noqa: B008 (frozen)
        instance("config", config, GradeConfig)
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ConfigError(f"cache_size: expected an integer ≥ 0, got {cache_size!r}")
        self.config = config
        self.cache_size = cache_size
        self._cache: OrderedDict[str, ImageFeatures] = OrderedDict()
        self._maps: FeatureMaps | None = None
        self._device: torch.device | str = "cpu"  # resolved from config.device with the network
        self._lock = threading.RLock()
        self.feature_passes = 0

    def grade(self, a: ImageSource, b: ImageSource) -> Grade:
        """The grade between ``a`` and ``b`` (paths, PIL images or arrays); symmetric.

        Both images are read and checked before any feature is computed.

        Raises:
            InputError: an image is missing, unreadable or too small.
            ModelError: the feature network cannot be loaded.
        """
        first, second = _load(a, "first image"), _load(b, "second image")
        return self.grade_features(self._features_of(first), self._features_of(second))

    def grade_features(self, a: ImageFeatures, b: ImageFeatures) -> Grade:
        """The grade between two images' precomputed features."""
        distances = {name: DISTANCES[name](a, b) for name in COMPONENTS}
        return combine(distances, self.config.calibration, self.config.scorer, structure_evidence(a, b))

    def matrix(self, images: Sequence[ImageSource]) -> list[list[Grade]]:
        """All pairwise grades of ``images`` (n feature passes for n distinct images)."""
        if isinstance(images, (str, os.PathLike, Image.Image, np.ndarray)):  # one image, not a list
            raise InputError(f"images: expected a list of images, got one {type(images).__name__}")
        if not isinstance(images, Iterable):
            raise InputError(f"images: expected a list of images, got {type(images).__name__}")
        pictures = [_load(image, f"image {index + 1}") for index, image in enumerate(images)]
        features = [self._features_of(picture) for picture in pictures]
        return [[self.grade_features(x, y) for y in features] for x in features]

    def features(self, image: ImageSource, name: str | None = None) -> ImageFeatures:
        """The (cached) features of one image; ``name`` labels it in error messages."""
        return self._features_of(_load(image, name))

    def _features_of(self, picture: Image.Image) -> ImageFeatures:
        key = content_key(picture)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            features = self._compute(picture)
            if self.cache_size:
                self._cache[key] = features
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return features

    @torch.no_grad()
    def _compute(self, picture: Image.Image) -> ImageFeatures:
        working = working_image(picture, self.config.size)
        maps = self._feature_maps()
        style_maps, layout_map = maps(image_to_tensor(working, self._device))
        self.feature_passes += 1
        return image_features(working, style_maps, layout_map, self.config.grid)

    def _feature_maps(self) -> FeatureMaps:
        if self._maps is None:
            self._device = resolve_device(self.config.device)
            try:
                self._maps = load_feature_maps(self.config, self._device)
            except (RuntimeError, AssertionError) as exc:  # what torch raises for an unusable device
                raise ConfigError(f"device {self.config.device!r} cannot be used: {exc}") from None
        return self._maps


def _load(image: ImageSource, name: str | None) -> Image.Image:
    """Read and check an image; paths name themselves in errors, other sources use ``name``."""
    return load_image(image, name=None if isinstance(image, (str, os.PathLike)) and str(image) else name)


def load_feature_maps(config: GradeConfig, device: torch.device | str = "cpu") -> FeatureMaps:
    """The scorer's network on ``device`` as a function image → (style activations, layout activation)."""
    if config.scorer == "vgg19":
        from stylelab.backbones import load_backbone

        net = load_backbone("vgg19", device=device).truncated(VGG_STYLE_LAYERS)

        def vgg_maps(image: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
            maps = net(image, VGG_STYLE_LAYERS)
            return [maps[layer] for layer in VGG_STYLE_LAYERS], maps[VGG_LAYOUT_LAYER]

        return vgg_maps
    from stylelab.grading.autoencoder import CODE_LAYER, ENCODER_LAYERS, load_autoencoder

    model = load_autoencoder(config.checkpoint, device=device)

    def autoencoder_maps(image: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        maps = model.encode(image)
        return [maps[layer] for layer in ENCODER_LAYERS], maps[CODE_LAYER]

    return autoencoder_maps


def grade(a: ImageSource, b: ImageSource, config: GradeConfig = GradeConfig()) -> Grade:  # noqa: B008 (frozen)
    """The grade (0–10) between two images; see :mod:`stylelab.grading` for the formula.

    This loads the feature network for one pair. To grade many pairs, keep a
    :class:`Grader`: it loads the network once and caches each image's features.

    Args:
        a, b: paths, PIL images or arrays.
        config: scorer, working size and calibration.

    Returns:
        The :class:`Grade`, symmetric in ``a`` and ``b``.

    Raises:
        InputError: an image is missing, unreadable or too small.
        ConfigError: ``config`` is invalid.
        ModelError: the feature network cannot be loaded.
    """
    return Grader(config, cache_size=2).grade(a, b)
