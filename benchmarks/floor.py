"""Cost of one optimisation step against the floor: a bare VGG19 forward + backward.

The floor runs the frozen VGG19 to the deepest layer the losses use (relu5_1),
backpropagating to the input image, at the same size. Style Lab's step is
timed through the production path (``stylize``, single scale, L-BFGS), with
a bare step run in its progress callback between each two of its steps;
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


def interleaved_step_seconds(long_side: int, steps: int) -> tuple[float, float, tuple[int, int]]:
    """(our step, bare step, (H, W)): medians, with one bare step run between each two of ours.

    Interleaving puts both under the same conditions (clock, cache, allocator
    state): timed in separate phases, the floor alone moved by 15 % between runs.
    """
    from stylelab.backbones import load_backbone
    from stylelab.gatys.config import GatysConfig
    from stylelab.gatys.engine import stylize

    net = load_backbone("vgg19").truncated(["relu5_1"]).keeping_edges()  # the network the engine runs
    ours: list[float] = []
    bare: list[float] = []
    last_exit: list[float] = []

    def bare_step(event) -> None:
        entered = time.perf_counter()
        if last_exit:
            ours.append(entered - last_exit[0])
        image = torch.rand(1, 3, event.height, event.width, requires_grad=True)
        net(image, ["relu5_1"])["relu5_1"].sum().backward()
        last_exit[:] = [time.perf_counter()]
        bare.append(last_exit[0] - entered)

    result = stylize(CONTENT, STYLE, GatysConfig(size=long_side, iterations=steps + 2, scales=1, seed=0),
                     progress=bare_step)
    return statistics.median(ours[1:]), statistics.median(bare[2:]), (result.image.height, result.image.width)


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
    ours, floor, shape = interleaved_step_seconds(args.size, args.steps)
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
