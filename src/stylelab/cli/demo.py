"""``stylelab demo``: the main job on bundled images, written to a folder."""

from __future__ import annotations

import argparse
import sys

from stylelab.cli import EXIT_INTERRUPTED
from stylelab.cli.options import named_as_options, print_notes, with_options

NAME = "demo"
HELP = "Stylise a bundled photo with a bundled painting; write the result, a sheet and a loss curve."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out", help="output folder (created if missing)")
    parser.add_argument("--size", type=int, help="override the demo's output size (long side, px)")
    parser.add_argument("--iterations", type=int, help="override the demo's number of steps per scale")


_OPTIONS = ("size", "iterations")


def run(args: argparse.Namespace) -> int:
    with named_as_options(_OPTIONS):  # the engines' errors too ("choose a larger `size`")
        return _demo(args)


def _demo(args: argparse.Namespace) -> int:
    from stylelab.cli.progress import ProgressBar
    from stylelab.cli.stylize import schedule_notes
    from stylelab.demo import DEMO_CONFIG, run_demo

    changes = {name: getattr(args, name) for name in _OPTIONS if getattr(args, name) is not None}
    config = DEMO_CONFIG.replace(**changes)
    _print_notes(config.notes())  # as stylelab stylize does: before the run, and the engine's after it
    with ProgressBar() as bar:
        outputs = run_demo(args.out, config, progress=bar.update)
    _print_notes([*outputs.notes, *schedule_notes(config, outputs.scale_sizes)])
    for path in (outputs.result, outputs.fast, outputs.sheet, outputs.loss_curve, outputs.summary):
        print(path)
    if outputs.interrupted:
        print(f"interrupted: the Gatys result in {outputs.result} is the best one so far "
              "(summary.json says \"interrupted\": true)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _print_notes(notes: list[str]) -> None:
    print_notes(with_options(note, _OPTIONS) for note in notes)
