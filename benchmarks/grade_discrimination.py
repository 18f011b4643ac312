"""Does the grade tell the right picture apart? Discrimination and calibration of both scorers.

1. Stylise every bundled photo with every bundled painting with our fast method
   (``FastStylizer``, default settings, 512 px), as the web app does.
2. For each result r: grade(r, its style) > grade(r, another style)? and
   grade(r, its content) > grade(r, another content)?
3. Paint synthetic attempts of each result (stylelab.grading.synthetic: thick,
   jittered strokes along the gradients on an 8-colour palette; crude, medium,
   careful) and check grade(attempt, its result) > grade(attempt, every other result).
4. Calibration anchors (photo vs unrelated painting, result vs its style against
   photo vs that style) and the spread of the attempts' grades.
5. Speed: one pair of 512 px images with an empty cache (two feature passes),
   and the cost per pair of the whole n × n matrix.

Scorers: ``vgg19`` and ``autoencoder`` (ours), and ``pixels``, a naive reference
(RMS Lab difference of 32×32 thumbnails, 10·exp(−(rms/20)²)) that shows how
much of the task plain pixels already solve.

Usage: python benchmarks/grade_discrimination.py [--quick]
Writes bench-results/grade_discrimination.md and bench-results/grade_attempts.png.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stylelab.fast import FastConfig, FastStylizer  # noqa: E402
from stylelab.grading import GradeConfig, Grader  # noqa: E402
from stylelab.grading.colour import srgb_to_lab  # noqa: E402
from stylelab.grading.synthetic import LEVELS, paint_attempt  # noqa: E402
from stylelab.imageio import resize_long_side  # noqa: E402

ASSETS = ROOT / "src" / "stylelab" / "assets" / "images"
RESULTS = ROOT / "bench-results"
SIZE = 512


class PixelScorer:
    """Naive reference: 10·exp(−(RMS Lab difference of 32×32 thumbnails / 20)²)."""

    name = "pixels"

    def __init__(self):
        self.feature_passes = 0

    def features(self, image: Image.Image) -> np.ndarray:
        self.feature_passes += 1
        return srgb_to_lab(np.asarray(image.convert("RGB").resize((32, 32), Image.BILINEAR)))

    def grade_features(self, a: np.ndarray, b: np.ndarray) -> float:
        rms = math.sqrt(float(((a - b) ** 2).sum(axis=2).mean()))
        return 10.0 * math.exp(-((rms / 20.0) ** 2))


class OurScorer:
    def __init__(self, scorer: str):
        self.name = scorer
        self.grader = Grader(GradeConfig(scorer=scorer), cache_size=0)

    @property
    def feature_passes(self) -> int:
        return self.grader.feature_passes

    def features(self, image):
        return self.grader.features(image)

    def grade_features(self, a, b) -> float:
        return self.grader.grade_features(a, b).score


def load(path: Path) -> Image.Image:
    return resize_long_side(Image.open(path).convert("RGB"), SIZE)


def make_pictures(quick: bool):
    photos = {p.stem: load(p) for p in sorted((ASSETS / "photos").glob("*.jpg"))}
    styles = {p.stem: load(p) for p in sorted((ASSETS / "styles").glob("*.jpg"))}
    if quick:
        photos = dict(list(photos.items())[:2])
        styles = dict(list(styles.items())[:3])
    stylizer = FastStylizer("cpu")
    config = FastConfig(device="cpu")  # the pictures are at SIZE already: native resolution
    started = time.perf_counter()
    results = {(c, s): stylizer.stylize(photos[c], styles[s], config).image for c in photos for s in styles}
    stylise_seconds = time.perf_counter() - started
    attempts = {}
    for index, ((c, s), result) in enumerate(results.items()):
        for level in LEVELS:
            attempts[(c, s, level)] = paint_attempt(result, level, seed=index)
    return photos, styles, results, attempts, stylise_seconds


def evaluate(scorer, photos, styles, results, attempts) -> dict:
    started = time.perf_counter()
    passes_before = scorer.feature_passes
    feats = {("C", k): scorer.features(v) for k, v in photos.items()}
    feats |= {("S", k): scorer.features(v) for k, v in styles.items()}
    feats |= {("R", k): scorer.features(v) for k, v in results.items()}
    feats |= {("A", k): scorer.features(v) for k, v in attempts.items()}
    feature_seconds = time.perf_counter() - started
    passes = scorer.feature_passes - passes_before
    memo = {}

    def g(x, y):
        if (x, y) not in memo:
            memo[(x, y)] = memo[(y, x)] = scorer.grade_features(feats[x], feats[y])
        return memo[(x, y)]

    own_style = [
        g(("R", (c, s)), ("S", s)) > g(("R", (c, s)), ("S", s2))
        for (c, s) in results
        for s2 in styles
        if s2 != s
    ]
    own_content = [
        g(("R", (c, s)), ("C", c)) > g(("R", (c, s)), ("C", c2))
        for (c, s) in results
        for c2 in photos
        if c2 != c
    ]
    attempt_pairwise, attempt_top, attempt_grades = [], [], {level: [] for level in LEVELS}
    for c, s, level in attempts:
        own = g(("A", (c, s, level)), ("R", (c, s)))
        wins = [own > g(("A", (c, s, level)), ("R", other)) for other in results if other != (c, s)]
        attempt_pairwise += wins
        attempt_top.append(all(wins))
        attempt_grades[level].append(own)
    unrelated = [g(("C", c), ("S", s)) for c in photos for s in styles]
    anchor = [g(("R", (c, s)), ("S", s)) > g(("C", c), ("S", s)) for (c, s) in results]
    pair_count = len(memo) // 2
    grading_seconds = time.perf_counter() - started - feature_seconds
    return {
        "own_style": np.mean(own_style),
        "own_content": np.mean(own_content),
        "attempts": np.mean(attempt_pairwise),
        "attempts_top1": np.mean(attempt_top),
        "attempt_grades": attempt_grades,
        "unrelated_max": max(unrelated),
        "unrelated_median": np.median(unrelated),
        "anchor": np.mean(anchor),
        "result_style": np.median([g(("R", k), ("S", k[1])) for k in results]),
        "result_content": np.median([g(("R", k), ("C", k[0])) for k in results]),
        "feature_seconds_each": feature_seconds / passes,
        "pairs": pair_count,
        "grade_seconds_each": grading_seconds / max(1, pair_count),
        "images": len(feats),
        "passes": passes,
    }


def time_one_pair(scorer_name: str, a: Path, b: Path, repeats: int = 5) -> tuple[float, float]:
    """(wall, CPU) seconds of grade(a, b) on two 512 px files: network loaded, empty cache, best of n."""
    grader = Grader(GradeConfig(scorer=scorer_name), cache_size=0)
    grader.grade(a, b)  # loads the network
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        grader.grade(a, b)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def spread(values: list[float]) -> str:
    low, mid, high = np.percentile(values, [0, 50, 100])
    return f"{low:.1f} / {mid:.1f} / {high:.1f}"


def report(rows: dict, timings: dict, stylise_seconds: float, counts: tuple, load: tuple) -> str:
    names = list(rows)
    lines = [
        "# Grade discrimination",
        "",
        f"{counts[0]} photos × {counts[1]} paintings → {counts[0] * counts[1]} stylised results "
        f"(our fast method, {stylise_seconds:.1f} s), {counts[2]} painted attempts "
        f"({', '.join(LEVELS)}), images at {SIZE} px, working size {GradeConfig().size} px. "
        f"torch threads: {__import__('torch').get_num_threads()}; load average at start "
        f"{load[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| check | target | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]

    def row(label, target, fmt):
        lines.append(f"| {label} | {target} | " + " | ".join(fmt(rows[n]) for n in names) + " |")

    row("result: own style > other style", "≥ 90%", lambda r: f"{100 * r['own_style']:.1f}%")
    row("result: own content > other content", "≥ 90%", lambda r: f"{100 * r['own_content']:.1f}%")
    row("attempt: own result > other result (pairs)", "≥ 95%", lambda r: f"{100 * r['attempts']:.1f}%")
    row("attempt: own result ranked first", "", lambda r: f"{100 * r['attempts_top1']:.1f}%")
    row("photo vs unrelated painting, max grade", "≤ 3", lambda r: f"{r['unrelated_max']:.2f}")
    row("photo vs unrelated painting, median", "", lambda r: f"{r['unrelated_median']:.2f}")
    row("result vs its style > photo vs that style", "100%", lambda r: f"{100 * r['anchor']:.0f}%")
    row("result vs its style, median grade", "", lambda r: f"{r['result_style']:.1f}")
    row("result vs its content, median grade", "", lambda r: f"{r['result_content']:.1f}")
    for level in LEVELS:
        row(
            f"attempt grade, {level} (min / median / max)",
            "mid-scale",
            lambda r, level=level: spread(r["attempt_grades"][level]),
        )
    row(
        "attempt grade, all (min / median / max)",
        "mid-scale",
        lambda r: spread([v for values in r["attempt_grades"].values() for v in values]),
    )
    row("one pair of 512 px files, empty cache: wall s", "≤ 0.5", lambda r: f"{timings[r['name']][0]:.3f}")
    row("one pair of 512 px files, empty cache: CPU s", "", lambda r: f"{timings[r['name']][1]:.3f}")
    row("feature pass per image (s)", "", lambda r: f"{r['feature_seconds_each']:.3f}")
    row("matrix: feature passes / images", "1", lambda r: f"{r['passes']} / {r['images']}")
    row(
        f"matrix: seconds per pair ({rows[names[0]]['pairs']} pairs, incl. features)",
        "",
        lambda r: f"{(r['feature_seconds_each'] * r['passes']) / r['pairs'] + r['grade_seconds_each']:.4f}",
    )
    row("wall time per pair vs vgg19", "", lambda r: f"{timings[r['name']][0] / timings['vgg19'][0]:.2f}×")
    lines += [
        "",
        "pixels = naive reference (RMS Lab difference of 32×32 thumbnails), not a Style Lab scorer.",
    ]
    return "\n".join(lines) + "\n"


def contact_sheet(results, attempts, path: Path) -> None:
    photos = list(dict.fromkeys(c for c, _ in results))
    styles = list(dict.fromkeys(s for _, s in results))
    keys = [(photo, styles[i % len(styles)]) for i, photo in enumerate(photos)]  # one style per row
    tile = 192
    sheet = Image.new("RGB", (tile * (1 + len(LEVELS)), tile * len(keys)), "white")
    for row, key in enumerate(keys):
        for column, picture in enumerate([results[key]] + [attempts[(*key, level)] for level in LEVELS]):
            thumb = picture.copy()
            thumb.thumbnail((tile, tile))
            sheet.paste(thumb, (column * tile, row * tile))
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 photos × 3 paintings (smoke run)")
    parser.add_argument(
        "--threads",
        type=int,
        help="torch threads (default: torch's choice); on a shared machine 1 thread gives steadier timings",
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    load_average = os.getloadavg()
    photos, styles, results, attempts, stylise_seconds = make_pictures(args.quick)
    rows, timings = {}, {}
    timing_dir = RESULTS / "grade_timing"
    timing_dir.mkdir(parents=True, exist_ok=True)
    a, b = timing_dir / "photo_512.jpg", timing_dir / "painting_512.jpg"
    next(iter(photos.values())).save(a, quality=95)
    next(iter(styles.values())).save(b, quality=95)
    for scorer in (OurScorer("vgg19"), OurScorer("autoencoder"), PixelScorer()):
        rows[scorer.name] = evaluate(scorer, photos, styles, results, attempts) | {"name": scorer.name}
        if scorer.name == "pixels":
            wall, cpu = time.perf_counter(), time.process_time()
            scorer.grade_features(scorer.features(load(a)), scorer.features(load(b)))
            timings["pixels"] = (time.perf_counter() - wall, time.process_time() - cpu)
        else:
            timings[scorer.name] = time_one_pair(scorer.name, a, b)
    text = report(rows, timings, stylise_seconds, (len(photos), len(styles), len(attempts)), load_average)
    (RESULTS / "grade_discrimination.md").write_text(text, encoding="utf-8")
    contact_sheet(results, attempts, RESULTS / "grade_attempts.png")
    print(text)


if __name__ == "__main__":
    main()
