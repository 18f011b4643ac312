"""``stylelab compare A B [C ...]``: pairwise grades (0–10) with their components."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from stylelab.cli.options import named_as_options
from stylelab.errors import ConfigError, OutputError

NAME = "compare"
HELP = "Grade how close images are to each other (0–10), with style, structure and colour components."
DESCRIPTION = (
    "Grade how close images are to each other (0–10, 10 = the same picture). The grade is a weighted "
    "mean of three 0–10 component grades: style (texture and brushwork, Gram matrices), structure "
    "(where things are) and colour (palette); the table's last line gives the weights. Two images "
    "without any layout (flat canvases) have no structure to compare, so structure then weighs nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from stylelab.grading.config import SCORERS, GradeConfig

    defaults = GradeConfig()
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="two or more images; every pair is graded")
    parser.add_argument(
        "--scorer",
        default=defaults.scorer,
        help=f"feature network: {', '.join(SCORERS)} (autoencoder = the original app's scorer)",
    )
    parser.add_argument("--size", type=int, default=defaults.size, help="working long side in pixels")
    parser.add_argument(
        "--checkpoint",
        default=defaults.checkpoint,
        help="autoencoder checkpoint from train-grader (default: %(default)s = the shipped one)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the table (or JSON) to FILE instead of stdout"
    )


def check_output_file(path: str, inputs: list[str]) -> Path:
    """Fail before grading if the report file cannot be written or would replace one of ``inputs``."""
    from stylelab.imageio import check_output_file as check_file

    return check_file(path, "grades.txt", inputs, _refuse_image_name,
                      clash="is one of the images being compared; choose another output name")


def _refuse_image_name(target: Path) -> None:
    from stylelab.imageio import OUTPUT_FORMATS

    if target.suffix.lower() in OUTPUT_FORMATS:
        raise OutputError(f"{target}: compare writes a text table (or JSON with --json), not an image; "
                          "use a name such as grades.txt or grades.json")


def format_table(names: list[str], pairs: list[tuple[int, int, dict]], scorer: str, size: int,
                 weights: dict[str, float]) -> str:
    """A plain-text table, one row per pair, and lines saying how to read it (``weights``: the calibration's)."""
    width_a = max([len("A")] + [len(names[i]) for i, _, _ in pairs])
    width_b = max([len("B")] + [len(names[j]) for _, j, _ in pairs])
    header = (
        f"{'A':<{width_a}}  {'B':<{width_b}}  {'grade':>5}  {'style':>5}  {'structure':>9}  {'colour':>6}"
    )
    lines = [header, "-" * len(header)]
    reweighted = False
    for i, j, grade in pairs:
        parts = grade["components"]
        mark = "" if grade["weights"] == weights else " *"
        reweighted = reweighted or bool(mark)
        lines.append(
            f"{names[i]:<{width_a}}  {names[j]:<{width_b}}  {grade['score']:5.1f}  {parts['style']:5.1f}  "
            f"{parts['structure']:9.1f}  {parts['colour']:6.1f}{mark}"
        )
    lines.append(f"grades 0-10 (10 = the same picture); scorer {scorer}, images at a {size} px long side")
    lines.append("grade = " + " + ".join(f"{weights[name]:g} × {name}" for name in weights))
    if reweighted:
        lines.append("* neither image has a layout to compare: structure weighs less (see --json \"weights\")")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from stylelab.grading import GradeConfig, Grader
    from stylelab.imageio import atomic_write, load_image

    if len(args.images) < 2:
        raise ConfigError("compare: give at least two images")
    with named_as_options(["scorer", "size", "checkpoint"]):
        config = GradeConfig(scorer=args.scorer, size=args.size, checkpoint=args.checkpoint)
    if args.checkpoint is not None and config.scorer != "autoencoder":
        raise ConfigError("--checkpoint: only used with --scorer autoencoder")
    output = check_output_file(args.output, args.images) if args.output is not None else None
    grader = Grader(config, cache_size=len(args.images))
    pictures = [load_image(path) for path in args.images]  # every file checked before the network loads
    features = [grader.features(picture) for picture in pictures]
    pairs = [
        (i, j, grader.grade_features(features[i], features[j]).as_dict())
        for i, j in itertools.combinations(range(len(args.images)), 2)
    ]
    if args.json:
        text = (
            json.dumps(
                {
                    "scorer": config.scorer,
                    "size": config.size,
                    "images": list(args.images),
                    "pairs": [{"a": args.images[i], "b": args.images[j], **grade} for i, j, grade in pairs],
                },
                indent=2,
            )
            + "\n"
        )
    else:
        text = format_table(list(args.images), pairs, config.scorer, config.size, config.calibration.weights)
    if output is None:
        sys.stdout.write(text)
    else:
        with atomic_write(output) as temp:
            temp.write_text(text, encoding="utf-8", errors="backslashreplace")  # undecodable file names
    return 0
