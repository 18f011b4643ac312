"""Quick, deterministic stand-ins for the engines, for API, runner and browser tests.

They live in an importable module (``tests.experiments.fakes``) because worker
processes are spawned and unpickle them by name.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from stylelab.errors import Cancelled, InputError
from stylelab.experiments.methods import FastOptions, GatysOptions, GatysOutcome, GradeReport, StepReport
from stylelab.imageio import load_image, resize_long_side

SCALES = 2


@dataclass(frozen=True)
class FakeMethods:
    """Fake engines.

    Attributes:
        step_seconds: sleep per Gatys step (makes jobs slow enough to cancel).
        fast_seconds: sleep in the fast job (it has no progress callback to stop it).
        grade_seconds: sleep per grade.
        fail: a job kind that raises InputError.
        fail_seconds: sleep before that failure (so that a page sees the job run before it fails).
        crash: a job kind whose worker process dies (os._exit).
        die_on_cancel: the Gatys job's process dies when it sees the cancel, before reporting it.
        grade_gate: a path; grading waits until a file is there (a test lets it go on when it is ready).
        die_at_start: a lane whose worker processes die as they start (os._exit in prepare).
    """

    step_seconds: float = 0.0
    fast_seconds: float = 0.0
    grade_seconds: float = 0.0
    fail: str | None = None
    fail_seconds: float = 0.0
    crash: str | None = None
    die_on_cancel: bool = False
    grade_gate: str | None = None
    die_at_start: str | None = None

    def prepare(self, lane: str, threads: int | None) -> None:
        if self.die_at_start == lane:
            os._exit(4)

    def _trouble(self, kind: str) -> None:
        if self.crash == kind:
            os._exit(3)
        if self.fail == kind:
            time.sleep(self.fail_seconds)
            raise InputError(f"fake {kind} failure")

    def run_fast(self, content: Path, style: Path, options: FastOptions) -> Image.Image:
        self._trouble("fast")
        time.sleep(self.fast_seconds)
        photo = resize_long_side(load_image(content), options.size)
        tint = Image.new("RGB", photo.size, _mean_colour(load_image(style)))
        return Image.blend(photo, tint, 0.5)

    def run_gatys(self, content: Path, style: Path, options: GatysOptions, progress) -> GatysOutcome:
        self._trouble("gatys")
        photo = resize_long_side(load_image(content), options.size)
        image = ImageOps.posterize(photo, 3)
        total = options.iterations * SCALES
        started = time.perf_counter()
        for step in range(1, total + 1):
            time.sleep(self.step_seconds)
            elapsed = time.perf_counter() - started
            preview = image if step % options.preview_every == 0 else None
            losses = {"content": 1.0 + 1.0 / step, "style": 100.0 / step, "total": 101.0 / step + 1.0}
            report = StepReport(
                step,
                total,
                (step - 1) // options.iterations,
                SCALES,
                image.width,
                image.height,
                losses,
                elapsed,
                elapsed / step * (total - step),
                preview,
            )
            try:
                progress(report)
            except Cancelled:
                if self.die_on_cancel:
                    os._exit(3)
                return GatysOutcome(image, True)
        return GatysOutcome(image, False)

    def grade(self, candidate: Path, reference: Path) -> GradeReport:
        self._trouble("grade")
        time.sleep(self.grade_seconds)
        while self.grade_gate is not None and not os.path.exists(self.grade_gate):
            time.sleep(0.02)
        a = np.asarray(load_image(candidate).resize((64, 64)), dtype=np.float64) / 255
        b = np.asarray(load_image(reference).resize((64, 64)), dtype=np.float64) / 255
        colour = 1.0 - float(np.abs(a.mean((0, 1)) - b.mean((0, 1))).mean())
        structure = 1.0 - float(np.abs(a - b).mean())
        similarity = (colour + structure) / 2
        components = {"colour": 10.0 * colour, "structure": 10.0 * structure}
        return GradeReport(10.0 * similarity, similarity, components)

def _mean_colour(image: Image.Image) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.asarray(image, dtype=np.float64).reshape(-1, 3).mean(axis=0))
