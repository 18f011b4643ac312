"""``stylelab fast``: feed-forward arbitrary style transfer, for one image or a folder."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from stylelab.cli.options import named_as_options, print_notes, small_style_notes, with_options
from stylelab.errors import ConfigError, InputError, OutputError, StylelabError
from stylelab.fast.config import COLOR_MODES, DETAIL_MODES, FastConfig
from stylelab.validate import DEVICES

NAME = "fast"
HELP = "Fast arbitrary style transfer: any painting, feed-forward, no optimisation (Ghiasi et al. 2017)."
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")
FOLDER_OUTPUT_EXTENSION = ".png"

def _color_mode(value: str) -> str:
    # --preserve-color takes an optional value, so before the images it would take a file name
    if value in COLOR_MODES:
        return value
    raise argparse.ArgumentTypeError(f"{value!r} is not a colour mode ({', '.join(COLOR_MODES)}); give one, "
                                     "or put --preserve-color after the images")


# option name -> (FastConfig field, argparse keyword arguments)
_CONFIG_OPTIONS = {
    "--size": ("size", {"type": int, "metavar": "PX"}),
    "--strength": ("strength", {"type": float}),
    "--style-size": ("style_size", {"type": int, "metavar": "PX"}),
    "--stroke-scale": ("stroke_scale", {"type": float}),
    "--detail": ("detail", {"choices": DETAIL_MODES}),
    "--preserve-color": ("preserve_color", {"nargs": "?", "const": "luminance", "type": _color_mode,
                                            "metavar": "|".join(COLOR_MODES)}),
    "--tile-size": ("tile_size", {"type": int, "metavar": "PX"}),
    "--device": ("device", {"metavar": "|".join(DEVICES)}),
    "--max-pixels": ("max_pixels", {"type": int}),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("content", metavar="CONTENT", help="content image, or a folder of images (each is stylised)")
    parser.add_argument("styles", nargs="+", metavar="STYLE", help="style image(s); several are blended")
    parser.add_argument("-o", "--output", required=True,
                        help="output image file; an existing folder when CONTENT is a folder")
    parser.add_argument("--weights", nargs="+", type=float, metavar="W",
                        help="blend weight per style image (default: equal)")
    defaults = FastConfig()
    helps = {item.name: item.metadata["help"] for item in dataclasses.fields(FastConfig)}
    for option, (name, keywords) in _CONFIG_OPTIONS.items():
        parser.add_argument(option, dest=name, default=getattr(defaults, name), help=helps[name], **keywords)
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


_CONFIG_FIELDS = [name for name, _ in _CONFIG_OPTIONS.values()]
_FIELDS = [*_CONFIG_FIELDS, "weights"]


def run(args: argparse.Namespace) -> int:
    with named_as_options(_FIELDS):
        return _stylize(args, FastConfig(**{name: getattr(args, name) for name in _CONFIG_FIELDS}))


def _stylize(args: argparse.Namespace, config: FastConfig) -> int:
    from stylelab.fast.engine import FastStylizer, normalise_weights
    from stylelab.imageio import ImageLimits, check_not_empty, load_image, save_image

    weights = normalise_weights(args.weights, len(args.styles))
    jobs = plan_jobs(Path(args.content), check_not_empty(args.output), args.styles)
    limits = ImageLimits(max_pixels=config.max_pixels)
    _check_all_usable(jobs, config, limits)  # before any work or output, and before notes on a refused run
    styles = [load_image(style, limits) for style in args.styles]  # the same for the paintings
    notes = _notes(args, config, jobs)
    print_notes(notes)

    stylizer = FastStylizer(config.device)
    load_seconds = stylizer.warm_up()
    started = time.perf_counter()
    vector = stylizer.blend(styles, weights, config.style_size, limits)  # once for the whole folder
    style_seconds = time.perf_counter() - started
    records = []
    for content, output in jobs:
        result = stylizer.stylize_vector(content, vector, config)
        save_image(result.image, output)
        records.append({"content": str(content), "output": str(output), "size": list(result.image.size),
                        "working_size": list(result.working_size), "tiles": result.tiles,
                        "detail_size": list(result.detail_size) if result.detail_size else None,
                        "detail_tiles": result.detail_tiles,
                        "timings": {key: round(value, 4) for key, value in result.timings.items()}})
        if not args.json:
            print(f"wrote {output} ({result.image.width}×{result.image.height}, "
                  f"{result.timings['total']:.2f} s)")
    if not args.json:  # the per-image times above leave out what is done once
        print(f"once for the run: {load_seconds:.2f} s loading the models, {style_seconds:.2f} s for the style")
    if args.json:
        summary = {"outputs": records, "styles": list(args.styles), "weights": weights,
                   "load_seconds": round(load_seconds, 4), "style_seconds": round(style_seconds, 4),
                   "device": stylizer.device_used, "notes": notes,
                   "config": config.to_dict()}
        json.dump(summary, sys.stdout, indent=2)  # ASCII escapes: valid JSON on any terminal
        print()
    return 0


def _notes(args: argparse.Namespace, config: FastConfig, jobs: list[tuple[Path, Path]]) -> list[str]:
    notes = config.notes()
    if config.strength == 0:  # the style vector is the photo's own (the engine interpolates towards it)
        paintings = "the style images" if len(args.styles) > 1 else "the style image"
        what = f"{paintings} and `weights` have" if args.weights is not None else (
            f"{paintings} {'have' if len(args.styles) > 1 else 'has'}")
        notes.append(f"{what} no effect at `strength` 0 (the style is the photo's own)")
    elif args.weights is not None and len(args.styles) == 1:
        notes.append("`weights` has no effect with one style image")
    if config.strength > 0:  # the style network sees a square centre crop scaled to `style_size`
        notes.extend(small_style_notes(args.styles, lambda size: (min(size), config.style_size), "`style_size`"))
    if Path(args.content).is_dir():
        notes.extend(_skipped_note(skipped_entries(Path(args.content), jobs)))
    return [with_options(note, _FIELDS) for note in notes]


def _check_all_usable(jobs: list[tuple[Path, Path]], config: FastConfig, limits) -> None:
    """Refuse the run, naming every content image that cannot be used (unreadable, an output or
    working size out of bounds or too large for the output's format, or a result name too long), not only
    the first."""
    problems = []
    for content, output in jobs:
        try:
            with named_as_options(_FIELDS):
                _check_usable(content, output, config, limits)
        except StylelabError as exc:
            problems.append((content, exc))
    messages = [str(exc) if isinstance(exc, InputError) else f"{content}: {exc}" for content, exc in problems]
    if len(problems) == 1:  # its own error; in a folder, with the photo's name if it lacks it
        raise problems[0][1] if len(jobs) == 1 else type(problems[0][1])(messages[0])
    if problems:
        raise InputError(f"{len(messages)} of {len(jobs)} images cannot be used, so nothing was written "
                         "(fix them or move them out of the folder):\n  " + "\n  ".join(messages))


def _check_usable(content: Path, output: Path, config: FastConfig, limits) -> None:
    from stylelab.fast.engine import planned_sizes
    from stylelab.imageio import check_format_fits, check_output_path, load_image

    output_size, _, _ = planned_sizes(load_image(content, limits).size, config)
    check_format_fits(output, output_size)
    check_output_path(output)  # in a folder, a result's name (from the photo's) may be too long to write


def _skipped_note(names: list[str]) -> list[str]:
    if not names:
        return []
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return [f"skipped {len(names)} entries that are not images ({shown}); subfolders are not searched"]


def plan_jobs(content: Path, output: Path, styles: Sequence[str] = ()) -> list[tuple[Path, Path]]:
    """Pair each content image with its output path, checking outputs before any work.

    Files whose names start with a dot (hidden files, macOS ``._`` resource forks) are not contents.

    Raises:
        InputError: the folder has no images.
        ConfigError: a folder content with a file output, or two contents mapping to one output.
        OutputError: the output (folder) is missing, not writable or would overwrite an input.
    """
    from stylelab.imageio import OUTPUT_FORMATS, check_output_dir, check_output_path

    if not content.is_dir():
        check_output_path(output, inputs=[content, *styles])
        return [(content, output)]
    if output.is_file() or (not output.exists() and output.suffix.lower() in OUTPUT_FORMATS):
        raise ConfigError(f"{output}: when CONTENT is a folder, -o must be an existing folder")
    if not output.exists():
        raise OutputError(f"{output}: output folder does not exist; create it first")
    check_output_dir(output)
    if output.resolve() == content.resolve():
        raise OutputError(f"{output}: choose an output folder other than the contents' own (the results "
                          "would be taken for contents by the next run)")
    images = sorted(p for p in content.iterdir()
                    if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not images:
        raise InputError(f"{content}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
    jobs = [(image, output / f"{image.stem}{FOLDER_OUTPUT_EXTENSION}") for image in images]
    targets = [target for _, target in jobs]
    duplicates = sorted({t.name for t in targets if targets.count(t) > 1})
    if duplicates:
        raise ConfigError(f"{content}: several images would be written to {', '.join(duplicates)}; "
                          "rename them so their names differ before the extension")
    inputs = {path.resolve() for path in [*images, *map(Path, styles)]}
    clobbered = [str(t) for t in targets if t.resolve() in inputs]
    if clobbered:
        raise OutputError(f"{clobbered[0]}: would overwrite an input image; choose another output folder")
    folders = [str(t) for t in targets if t.is_dir()]
    if folders:
        raise OutputError(f"{folders[0]}: is a folder, so that result cannot be written; move it or choose "
                          "another output folder")
    return jobs


def skipped_entries(content: Path, jobs: list[tuple[Path, Path]]) -> list[str]:
    """Names in the content folder that are not stylised: subfolders and non-image files (not hidden ones)."""
    taken = {image.name for image, _ in jobs}
    return sorted(f"{p.name}/" if p.is_dir() else p.name for p in content.iterdir()
                  if p.name not in taken and not p.name.startswith("."))
