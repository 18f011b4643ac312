"""``stylelab stylize CONTENT STYLE [STYLE ...] -o OUT``: optimisation-based transfer."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
from pathlib import Path

from stylelab.cli import EXIT_INTERRUPTED
from stylelab.cli.options import (
    add_config_options,
    config_from_args,
    named_as_options,
    print_notes,
    small_style_notes,
    with_options,
)
from stylelab.cli.progress import ProgressBar, snapshot_path
from stylelab.errors import OutputError
from stylelab.gatys.config import INIT_KINDS, GatysConfig
from stylelab.imageio import ImageLimits, check_output_path, save_image, upright_size, within_limits

NAME = "stylize"
HELP = "Repaint a photo in the style of one or more paintings by optimisation (Gatys et al. 2016)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("content", metavar="CONTENT", help="the photo to repaint")
    parser.add_argument("styles", nargs="+", metavar="STYLE", help="one or more style images")
    parser.add_argument("-o", "--output", required=True, help="output image (.png, .jpg, .webp ...)")
    parser.add_argument("--save-every", type=int, default=0, metavar="N",
                        help="also save a snapshot every N steps beside the output: the image that would be "
                             "saved at that point (0 = never)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_options(parser, GatysConfig, skip=("preview_every",))


def run(args: argparse.Namespace) -> int:
    with named_as_options(_FIELDS):
        return _stylize(args)


_FIELDS = [field.name for field in dataclasses.fields(GatysConfig) if field.name != "preview_every"]


def _stylize(args: argparse.Namespace) -> int:
    from stylelab.validate import integer

    integer("--save-every", args.save_every, minimum=0)
    config = config_from_args(args, GatysConfig, preview_every=args.save_every)
    inputs = [args.content, *args.styles, config.init]
    output = check_output_path(args.output, inputs=inputs)
    if args.save_every:
        _check_snapshots_spare_inputs(output, inputs)
    notes = config.notes()
    if config.style_weights is not None and len(config.style_weights) == len(args.styles) == 1:
        notes.append("`style_weights` has no effect with one style image")  # more than one: the engine says
    photo_size = upright_size(args.content)  # from the header; None if unreadable (the engine says why)
    if config.init not in INIT_KINDS:
        notes.extend(_init_shape_note(photo_size, config.init, ImageLimits(max_pixels=config.max_pixels)))
    output_size = _output_size(photo_size, config.size)
    if output_size is not None:  # each style is scaled to `style_scale` × the output's long side (engine._targets)
        long_side = round(max(output_size) * config.style_scale)
        notes.extend(small_style_notes(args.styles, lambda size: (max(size), long_side),
                                       "`size` × `style_scale`"))
    notes = [with_options(note, _FIELDS) for note in notes]
    print_notes(notes)
    from stylelab.gatys.engine import stylize

    with ProgressBar(enabled=not (args.quiet or args.json), output=output, save_every=args.save_every,
                     frame_size=output_size) as bar:
        result = stylize(args.content, args.styles, config, progress=bar.update)
    save_image(result.image, output)
    later = [with_options(note, _FIELDS) for note in [*result.notes, *schedule_notes(config, result.scale_sizes)]]
    print_notes(later)
    if result.interrupted:
        print(f"interrupted: saved the best result so far to {output}", file=sys.stderr)
    if args.json:
        print(json.dumps({**_summary(result, output), "notes": notes + later}, indent=2))
    return EXIT_INTERRUPTED if result.interrupted else 0


def _init_shape_note(photo_size: tuple[int, int] | None, init: str, limits: ImageLimits) -> list[str]:
    """A note if the init image will be stretched to the photo's shape (nothing if either is unreadable or
    outside ``limits``: the engine refuses it, and a note would precede that error). Only the headers are
    read: the engine decodes both images anyway."""
    sizes = photo_size, upright_size(init)
    if None in sizes or not all(within_limits(size, limits) for size in sizes):
        return []
    (width, height), (init_width, init_height) = sizes
    if abs(math.log((width / height) / (init_width / init_height))) < 0.02:
        return []
    return [f"the init image ({init_width}×{init_height}) is stretched to the photo's shape ({width}×{height})"]


def _check_snapshots_spare_inputs(output: Path, inputs: list[str]) -> None:
    pattern = re.compile(re.escape(output.stem) + r"\.(\d+)" + re.escape(output.suffix))
    folder = output.resolve().parent
    for source in map(Path, inputs):
        name = source.resolve().name if source.exists() else ""
        step = pattern.fullmatch(name)  # the name of a snapshot at any step count: out.00010.png, out.800000.png
        if step and source.resolve().parent == folder and snapshot_path(output, int(step[1])).name == name:
            raise OutputError(f"{source}: a --save-every snapshot ({output.stem}.NNNNN{output.suffix}) would "
                              "overwrite this input image; choose another output name")


def _summary(result, output: Path) -> dict:
    return {"output": str(output), "width": result.image.width, "height": result.image.height,
            "steps": len(result.history["total"]), "interrupted": result.interrupted,
            "final_losses": result.losses, "timings": result.timings, "device": result.device,
            "config": result.config.to_dict(),
            "scale_sizes": list(result.scale_sizes),
            "history": result.history}  # per step: each loss term, and the scale (index) it ran at


def schedule_notes(config, scale_sizes: tuple[int, ...]) -> list[str]:
    """A note when the schedule has fewer scales than `scales` asked for (the coarsest were too small)."""
    if config.scales <= len(scale_sizes):
        return []
    sizes = ", ".join(f"{size} px" for size in scale_sizes)
    return [f"`scales` {config.scales}: only {len(scale_sizes)} fit ({sizes}); coarser ones would have been too "
            "small for the network on this photo"]


def _output_size(photo_size: tuple[int, int] | None, size: int) -> tuple[int, int] | None:
    """(width, height) of the result for a photo of ``photo_size`` (None when that is unknown)."""
    from stylelab.gatys.schedule import scaled_shape

    if photo_size is None:
        return None
    height, width = scaled_shape(*photo_size, size)
    return width, height
