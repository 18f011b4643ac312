"""Settings of the optimisation engine: the single source of defaults.

The CLI builds its options from these fields (names, defaults and the help
text in ``field(metadata=...)``), and the web app reads them too.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from stylelab.backbones import POOLINGS, default_layers, parse_backbone
from stylelab.errors import ConfigError
from stylelab.imageio import DEFAULT_LIMITS
from stylelab.validate import (
    choice,
    device_name,
    help_text,
    inert_at_defaults,
    integer,
    number,
    plain_numbers,
    unordered,
)

MIN_SIZE, MAX_SIZE = 16, 8192  # long side of the output
MAX_ITERATIONS = 100_000
OPTIMIZERS = ("lbfgs", "adam")
COLOR_MODES = ("none", "luminance", "histogram")
INIT_KINDS = ("content", "noise")
INERT_NOTES = {  # what GatysConfig.notes says of a setting changed where the others make it irrelevant
    "learning_rate": "`learning_rate` is Adam's step size; L-BFGS (the `optimizer`) takes full steps",
    "lbfgs_history": "`lbfgs_history` has no effect with the Adam `optimizer`",
    "min_scale": "`min_scale` only sets the automatic schedule (`scales` 0); `scales` is {scales}",
}


def _plain_number(value: object) -> object:
    """A numpy number as a Python float (JSON-ready); anything else unchanged, for the checks to report."""
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else value


@dataclass(frozen=True)
class GatysConfig:
    """Everything that shapes one optimisation-based stylisation."""

    size: int = field(default=512, metadata=help_text("long side of the output in pixels"))
    iterations: int = field(default=60, metadata=help_text(
        "optimiser steps at the final scale (coarser scales get the same number)"))
    optimizer: str = field(default="lbfgs", metadata=help_text("lbfgs or adam"))
    learning_rate: float = field(default=0.02, metadata=help_text("Adam step size (pixels in 0..1)"))
    lbfgs_history: int = field(default=20, metadata=help_text(
        "L-BFGS history length (2 images per entry; shortened to fit 128 MB at large sizes, at least 5)"))
    init: str = field(default="content", metadata=help_text("start image: content, noise, or a path to an image"))
    content_weight: float = field(default=1.0, metadata=help_text("weight of the content loss"))
    style_weight: float = field(default=10.0, metadata=help_text("weight of the style loss"))
    tv_weight: float = field(default=0.0, metadata=help_text("weight of the total-variation loss"))
    content_layers: tuple[str, ...] | None = field(default=None, metadata=help_text(
        "content layer(s) (default: the backbone's: relu4_2 for VGG, layer3 for ResNet50)"))
    style_layers: tuple[str, ...] | None = field(default=None, metadata=help_text(
        "style layers (default: the backbone's: relu1_1 … relu5_1 for VGG, conv1 layer1 … layer4 for ResNet50)"))
    style_layer_weights: tuple[float, ...] | None = field(default=None, metadata=help_text(
        "one weight per style layer (default: equal)"))
    style_weights: tuple[float, ...] | None = field(default=None, metadata=help_text(
        "blend weight per style image (default: equal)"))
    style_scale: float = field(default=1.0, metadata=help_text(
        "style image long side relative to the output's (larger = bigger brush strokes)"))
    preserve_color: str = field(default="none", metadata=help_text("none, luminance or histogram"))
    scales: int = field(default=0, metadata=help_text(
        "number of coarse-to-fine scales (0 = automatic: halve the size down to min-scale)"))
    min_scale: int = field(default=256, metadata=help_text("long side of the coarsest scale in automatic mode"))
    average: float = field(default=0.0, metadata=help_text(
        "iterate averaging: decay of an exponential moving average of the image (0 = off, e.g. 0.9)"))
    preview_every: int = field(default=0, metadata=help_text(
        "attach a preview image to progress every N steps, and always at the end of a scale (0 = only there)"))
    seed: int | None = field(default=None, metadata=help_text("random seed (makes CPU runs reproducible)"))
    device: str = field(default="auto", metadata=help_text("auto, cpu, cuda or cuda:N"))
    backbone: str = field(default="vgg19", metadata=help_text(
        "feature network: vgg19 (bundled), or vgg16:PATH, resnet50:PATH, resnet50-plain:PATH (a checkpoint)"))
    pooling: str = field(default="max", metadata=help_text("max or avg pooling in the backbone"))
    max_pixels: int = field(default=DEFAULT_LIMITS.max_pixels, metadata=help_text(
        "reject input images with more pixels than this"))

    def __post_init__(self) -> None:
        plain_numbers(self)
        self._normalise()
        integer("size", self.size, minimum=MIN_SIZE, maximum=MAX_SIZE)
        integer("iterations", self.iterations, minimum=0, maximum=MAX_ITERATIONS)
        choice("optimizer", self.optimizer, OPTIMIZERS)
        number("learning_rate", self.learning_rate, minimum=0.0, maximum=1.0, exclusive_minimum=True)
        integer("lbfgs_history", self.lbfgs_history, minimum=1, maximum=1000)
        for name in ("content_weight", "style_weight", "tv_weight"):
            number(name, getattr(self, name), minimum=0.0)
        parse_backbone(self.backbone)
        for name in ("content_layers", "style_layers"):
            if isinstance(getattr(self, name), str):  # would be taken letter by letter
                raise ConfigError(f"{name}: expected a tuple of layer names, got the string "
                                  f"{getattr(self, name)!r}; write ({getattr(self, name)!r},)")
        content_layers, style_layers = self.layers()
        if not content_layers and self.content_weight > 0:
            raise ConfigError("content_layers: at least one layer is needed when content_weight > 0")
        if not style_layers:
            raise ConfigError("style_layers: at least one layer is needed")
        for name, layers in (("content_layers", content_layers), ("style_layers", style_layers)):
            repeated = sorted({layer for layer in layers if layers.count(layer) > 1})
            if repeated:  # a repeat would silently count once, or misalign the layer weights
                raise ConfigError(f"{name}: {', '.join(repeated)} given more than once")
        self._check_weights("style_layer_weights", self.style_layer_weights, len(style_layers))
        self._check_weights("style_weights", self.style_weights, None)
        number("style_scale", self.style_scale, minimum=0.05, maximum=4.0)
        choice("preserve_color", self.preserve_color, COLOR_MODES)
        integer("scales", self.scales, minimum=0, maximum=8)
        integer("min_scale", self.min_scale, minimum=16)
        number("average", self.average, minimum=0.0, maximum=0.999)
        integer("preview_every", self.preview_every, minimum=0)
        if self.seed is not None:
            integer("seed", self.seed, minimum=0, maximum=2**63 - 1)
        choice("pooling", self.pooling, POOLINGS)
        integer("max_pixels", self.max_pixels, minimum=256)
        device_name("device", self.device)

    def _normalise(self) -> None:
        """Sequences become tuples (so equal settings compare and hash equal) and a path ``init`` a string."""
        for name in ("content_layers", "style_layers", "style_layer_weights", "style_weights"):
            value = getattr(self, name)
            if value is None or isinstance(value, str):
                continue  # a string is refused with its own message below
            if isinstance(value, (int, float)) or not isinstance(value, Iterable):
                raise ConfigError(f"{name}: expected a sequence, got {value!r}; write ({value!r},)")
            if kind := unordered(value):
                raise ConfigError(f"{name}: expected a sequence, in order; got {kind}; give a list")
            convert = str if name.endswith("layers") else _plain_number
            object.__setattr__(self, name, tuple(map(convert, value)))  # frozen: rewritten here and in plain_numbers
        if isinstance(self.init, os.PathLike):
            object.__setattr__(self, "init", os.fspath(self.init))
        if not isinstance(self.init, str):
            raise ConfigError(f"init: expected {', '.join(INIT_KINDS)} or the path of an image, "
                              f"got {type(self.init).__name__}")

    @staticmethod
    def _check_weights(name: str, weights: tuple[float, ...] | None, count: int | None) -> None:
        if weights is None:
            return
        if count is not None and len(weights) != count:
            raise ConfigError(f"{name}: expected {count} values (one per layer), got {len(weights)}")
        for weight in weights:
            number(name, weight, minimum=0.0)
        if sum(weights) <= 0:
            raise ConfigError(f"{name}: at least one weight must be positive")

    def notes(self) -> list[str]:
        """Notes for the user: settings changed from their defaults that have no effect with the others,
        and combinations known to give poor results. Settings are named in backticks (the CLI shows its
        options there)."""
        default = GatysConfig()
        notes = [INERT_NOTES[name].format(scales=self.scales) for name in self.inert_settings()
                 if getattr(self, name) != getattr(default, name)]
        if self.iterations == 0:
            notes.append("`iterations` 0: the result is the start image, resized")
        elif self.content_weight == 0 and self.style_weight == 0 and self.tv_weight == 0:
            notes.append("every loss weight is 0: the result is the start image")
        elif self.init == "noise" and self.tv_weight == 0:
            notes.append("`init` noise without a `tv_weight` leaves coloured speckle in the result; "
                         "`tv_weight` 100 removes it")
        return notes

    def effective(self) -> GatysConfig:
        """This config with the settings that have no effect with the others at their defaults (two
        configs that stylise alike compare equal)."""
        return inert_at_defaults(self)

    def inert_settings(self) -> list[str]:
        """The settings that the others make irrelevant (``learning_rate`` with L-BFGS, ...)."""
        inert = ["learning_rate"] if self.optimizer == "lbfgs" else ["lbfgs_history"]
        return inert + (["min_scale"] if self.scales != 0 else [])

    def layers(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(content layers, style layers): the given ones, or the backbone's defaults where ``None``."""
        content_default, style_default = default_layers(self.backbone)
        content = content_default if self.content_layers is None else tuple(self.content_layers)
        style = style_default if self.style_layers is None else tuple(self.style_layers)
        return content, style

    def resolved(self) -> GatysConfig:
        """A copy with the backbone's default layers filled in (what the engine runs with)."""
        content, style = self.layers()
        return self.replace(content_layers=content, style_layers=style)

    def replace(self, **changes: object) -> GatysConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)
