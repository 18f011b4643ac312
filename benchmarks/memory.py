"""Peak memory (RSS) of a Style Lab run at a large size, and its result image.

    python benchmarks/memory.py --size 1024 --iterations 25
    python benchmarks/memory.py --size 2048 --iterations 20

Runs the production path (``stylize``, default multi-scale schedule) in a
child process so the peak RSS is that run's alone. The result image is kept
in bench-results/ to look at (large-scale brush structure at 2048 px).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--iterations", type=int, default=25)
    parser.add_argument("--content", default="astronaut")
    parser.add_argument("--style", default="shipwreck")
    args = parser.parse_args()
    out_dir = ROOT / "bench-results"
    out_dir.mkdir(exist_ok=True)
    output = out_dir / f"memory_{args.size}_{args.content}_{args.style}.png"
    with tempfile.TemporaryDirectory() as work:
        overrides = {"size": args.size, "iterations": args.iterations, "checkpoint_every": 0}
        completed = subprocess.run(
            [sys.executable, str(HERE / "_stylelab_side.py"), str(ASSETS / "photos" / f"{args.content}.jpg"),
             str(ASSETS / "styles" / f"{args.style}.jpg"), str(output), work, json.dumps(overrides)],
            capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(completed.stderr[-3000:])
    side = json.loads(completed.stdout.strip().splitlines()[-1])
    line = (f"| {args.size} px | {args.iterations} steps per scale | {side['total']:.0f} s | "
            f"{side['peak_rss_mb'] / 1024:.2f} GB | {output.name} |")
    print("| output | schedule | wall | peak RSS | result |\n|---|---|---:|---:|---|\n" + line)
    with (out_dir / "memory.md").open("a") as log:
        log.write(line + "\n")


if __name__ == "__main__":
    main()
