"""Grading settings: frozen dataclasses that hold every default and calibrated constant.

This module imports no torch, so the command line can read defaults cheaply.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Iterable
from dataclasses import dataclass

from stylelab.errors import ConfigError
from stylelab.validate import choice, device_name, instance, integer, number, plain_numbers

SCORERS = ("vgg19", "autoencoder")
COMPONENTS = ("style", "structure", "colour")


@dataclass(frozen=True)
class Calibration:
    """How one scorer's three distances become a grade.

    Each component's similarity is ``exp(-(distance / scale)²)``; the grade is
    10 × the weighted mean of the three similarities (weights are normalised).

    Attributes:
        style_weight / structure_weight / colour_weight: relative weights (≥ 0, not all 0).
        style_scale: style distance (1 − Dice of Gram matrices, 0…1) at which style similarity is 1/e.
        structure_scale: structure distance (1 − layout cosine, 0…2) at which structure similarity is 1/e.
        colour_scale: colour distance (ΔE, CIE76) at which colour similarity is 1/e.
    """

    style_weight: float
    structure_weight: float
    colour_weight: float
    style_scale: float
    structure_scale: float
    colour_scale: float

    def __post_init__(self) -> None:
        plain_numbers(self)
        for name in ("style_weight", "structure_weight", "colour_weight"):
            number(name, getattr(self, name), minimum=0.0)
        if self.style_weight + self.structure_weight + self.colour_weight <= 0:
            raise ConfigError("grade weights: at least one of style, structure and colour must be above 0")
        for name in ("style_scale", "structure_scale", "colour_scale"):
            number(name, getattr(self, name), minimum=0.0, exclusive_minimum=True)

    @property
    def weights(self) -> dict[str, float]:
        """The weights normalised to sum to 1, by component name."""
        raw = (self.style_weight, self.structure_weight, self.colour_weight)
        total = sum(raw)
        return {name: value / total for name, value in zip(COMPONENTS, raw, strict=True)}

    @property
    def scales(self) -> dict[str, float]:
        """The distance scales by component name."""
        return dict(zip(COMPONENTS, (self.style_scale, self.structure_scale, self.colour_scale), strict=True))


# Calibrated on the pairs of benchmarks/grade_discrimination.py (bundled images, their stylisations and
# synthetic painted attempts): identical → 10, photo vs unrelated painting ≤ 3, attempts mid-scale,
# and every discrimination check right. Scales are round numbers near the optimum, not fitted decimals.
VGG19_CALIBRATION = Calibration(
    style_weight=0.375,
    structure_weight=0.5,
    colour_weight=0.125,
    style_scale=0.2,
    structure_scale=0.5,
    colour_scale=10.0,
)
# The encoder's features change little under brush strokes, so attempts sit high (8–9) whenever
# unrelated pairs are kept low; this trades some of the mid-scale for meaningful low grades.
AUTOENCODER_CALIBRATION = Calibration(
    style_weight=0.2,
    structure_weight=0.6,
    colour_weight=0.2,
    style_scale=0.1,
    structure_scale=0.4,
    colour_scale=5.0,
)


@dataclass(frozen=True)
class GradeConfig:
    """Settings of :func:`stylelab.grading.grade` and :class:`stylelab.grading.Grader`.

    Attributes:
        scorer: ``"vgg19"`` (Caffe VGG19 features) or ``"autoencoder"`` (encoder of the
            small convolutional autoencoder, as in the original desktop app).
        size: working long side in pixels; both images are resized to it before features.
        grid: the structure component compares deep features pooled to ``grid × grid`` cells.
        checkpoint: autoencoder checkpoint path; ``None`` uses the one shipped with Style Lab.
        device: auto, cpu, cuda or cuda:N: where the feature network runs.
        vgg19 / autoencoder: the calibration used by each scorer.
    """

    scorer: str = "vgg19"
    size: int = 256
    grid: int = 8
    checkpoint: str | None = None
    device: str = "cpu"
    vgg19: Calibration = VGG19_CALIBRATION
    autoencoder: Calibration = AUTOENCODER_CALIBRATION

    def __post_init__(self) -> None:
        plain_numbers(self)
        choice("scorer", self.scorer, SCORERS)
        integer("size", self.size, minimum=32, maximum=2048)
        integer("grid", self.grid, minimum=1, maximum=32)
        if isinstance(self.checkpoint, os.PathLike):
            object.__setattr__(self, "checkpoint", os.fspath(self.checkpoint))
        if self.checkpoint is not None and not isinstance(self.checkpoint, str):
            raise ConfigError(f"checkpoint: expected a path, got {type(self.checkpoint).__name__}")
        device_name("device", self.device)
        for name in SCORERS:
            instance(name, getattr(self, name), Calibration)

    @property
    def calibration(self) -> Calibration:
        """The calibration of the chosen scorer."""
        return getattr(self, self.scorer)

    def replace(self, **changes) -> GradeConfig:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`train_autoencoder` (and defaults of ``stylelab train-grader``).

    Attributes:
        steps: optimisation steps (Adam, cosine-decayed learning rate).
        crops: number of random crops drawn once from the images; 1/8 of them are held out.
        crop_size: side of each square crop in pixels.
        image_size: images are first resized so their long side is this (the grading size).
        batch_size: crops per step.
        learning_rate: Adam's initial learning rate.
        widths: channels of the four encoder stages.
        code_channels: channels of the code (the embedding) at 1/8 resolution.
        seed: seeds crops, initialisation and batch order.
        evaluations: how many times the held-out loss is measured during training.
    """

    steps: int = 1500
    crops: int = 512
    crop_size: int = 48
    image_size: int = 256
    batch_size: int = 16
    learning_rate: float = 2e-3
    widths: tuple[int, int, int, int] = (16, 48, 96, 96)
    code_channels: int = 32
    seed: int = 0
    evaluations: int = 24

    def __post_init__(self) -> None:
        plain_numbers(self)
        integer("steps", self.steps, minimum=1, maximum=1_000_000)
        integer("crops", self.crops, minimum=2, maximum=100_000)
        integer("image_size", self.image_size, minimum=16, maximum=4096)
        integer("crop_size", self.crop_size, minimum=16, maximum=512)
        if self.crop_size % 8:
            raise ConfigError(f"crop_size: must be a multiple of 8, got {self.crop_size}")
        if self.crop_size > self.image_size:
            raise ConfigError(f"crop_size: must be at most {self.image_size} (images are scaled to "
                              f"{self.image_size} px before cropping), got {self.crop_size}")
        integer("batch_size", self.batch_size, minimum=1, maximum=4096)
        number("learning_rate", self.learning_rate, minimum=0.0, maximum=1.0, exclusive_minimum=True)
        if isinstance(self.widths, (str, int, float)) or not isinstance(self.widths, Iterable):
            raise ConfigError(f"widths: expected 4 channel counts, got {self.widths!r}")
        # a list compares and hashes as the tuple; numpy integers become ints, as plain_numbers does for scalars
        widths = tuple(int(w) if isinstance(w, numbers.Integral) and not isinstance(w, bool) else w
                       for w in self.widths)
        object.__setattr__(self, "widths", widths)
        if len(self.widths) != 4:
            raise ConfigError(f"widths: expected 4 channel counts, got {len(self.widths)}")
        for width in (*self.widths, self.code_channels):
            integer("channels", width, minimum=1, maximum=1024)
        integer("seed", self.seed, minimum=0)
        integer("evaluations", self.evaluations, minimum=1, maximum=10_000)
