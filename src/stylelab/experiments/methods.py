"""The one adapter between experiments and the engines (Gatys, fast, grading).

Every call into :mod:`stylelab.gatys`, :mod:`stylelab.fast` and
:mod:`stylelab.grading` made by the web app is in :class:`NeuralMethods`; the
rest of the app only knows the :class:`Methods` protocol and the small
dataclasses below. Tests pass their own quick, deterministic ``Methods``.

Methods objects are handed to worker processes, so they must pickle: keep
only plain settings in them and build models inside the worker.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image

from stylelab.errors import ModelError
from stylelab.gatys.progress import Progress as StepReport  # the engine's own event; torch-free


@dataclass(frozen=True)
class FastOptions:
    size: int


@dataclass(frozen=True)
class GatysOptions:
    size: int
    iterations: int
    seed: int
    preview_every: int


@dataclass(frozen=True)
class GatysOutcome:
    image: Image.Image
    interrupted: bool


@dataclass(frozen=True)
class GradeReport:
    """A grade between two pictures.

    Attributes:
        score: 0 (unrelated) to 10 (identical).
        similarity: score / 10.
        components: per-component grades, each 0–10 (e.g. style, structure, colour).
    """

    score: float
    similarity: float
    components: dict[str, float]


class Methods(Protocol):
    """What a worker process needs to run the three kinds of job."""

    def prepare(self, lane: str, threads: int | None) -> None:
        """Called once in each worker process before its first job (set threads, warm models)."""

    def run_fast(self, content: Path, style: Path, options: FastOptions) -> Image.Image:
        """Return the one-pass stylisation of ``content`` in the style of ``style``."""

    def run_gatys(
        self, content: Path, style: Path, options: GatysOptions, progress: Callable[[StepReport], None]
    ) -> GatysOutcome:
        """Run the optimisation; ``progress`` may raise ``Cancelled`` to stop it."""

    def grade(self, candidate: Path, reference: Path) -> GradeReport:
        """Grade ``candidate`` against ``reference``."""


class NeuralMethods:
    """The real engines.

    Args:
        device: torch device for Gatys and fast transfer ("auto" picks CUDA when present).
        warm_up: run each engine once on a tiny image when a worker starts, so the
            first real job does not pay for loading models.
    """

    def __init__(self, device: str = "auto", warm_up: bool = True) -> None:
        self.device = device
        self.warm_up = warm_up
        self._fast_stylizer = None  # built in the worker process, kept between jobs
        self._grader = None  # likewise; caches the features of pictures it has seen

    def __getstate__(self) -> dict[str, object]:
        return {"device": self.device, "warm_up": self.warm_up}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(**state)

    def prepare(self, lane: str, threads: int | None) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        if not self.warm_up:
            return
        tiny = Image.new("RGB", (32, 32), (128, 96, 64))
        try:
            if lane == "gatys":
                self._stylize(tiny, tiny, GatysOptions(size=32, iterations=1, seed=0, preview_every=0), None)
            else:
                self._fast(tiny, tiny, FastOptions(size=32))
                self._grade(tiny, tiny)
        except ModelError:
            pass  # reported to the person when a job of this kind runs

    def run_fast(self, content: Path, style: Path, options: FastOptions) -> Image.Image:
        return self._fast(content, style, options)

    def run_gatys(
        self, content: Path, style: Path, options: GatysOptions, progress: Callable[[StepReport], None]
    ) -> GatysOutcome:
        return self._stylize(content, style, options, progress)

    def grade(self, candidate: Path, reference: Path) -> GradeReport:
        return self._grade(candidate, reference)

    def _fast(self, content, style, options: FastOptions) -> Image.Image:
        fast = importlib.import_module("stylelab.fast")
        if self._fast_stylizer is None:
            self._fast_stylizer = fast.FastStylizer(self.device)
        config = fast.FastConfig(size=options.size, device=self.device)
        return fast.fast_stylize(content, [style], config, stylizer=self._fast_stylizer).image

    def _stylize(
        self, content, style, options: GatysOptions, progress: Callable[[StepReport], None] | None
    ) -> GatysOutcome:
        config_module = importlib.import_module("stylelab.gatys.config")
        engine = importlib.import_module("stylelab.gatys.engine")
        config = config_module.GatysConfig().replace(
            size=options.size,
            iterations=options.iterations,
            seed=options.seed,
            preview_every=options.preview_every,
            device=self.device,
        )

        result = engine.stylize(content, [style], config, progress=progress)
        return GatysOutcome(result.image, bool(result.interrupted))

    def _grade(self, candidate, reference) -> GradeReport:
        grading = importlib.import_module("stylelab.grading")
        if self._grader is None:
            self._grader = grading.Grader()
        result = self._grader.grade(candidate, reference)
        return GradeReport(
            float(result.score),
            float(result.similarity),
            {name: float(value) for name, value in result.components.items()},
        )
