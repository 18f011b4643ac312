"""``stylelab train-grader IMAGES_DIR -o CKPT``: train the autoencoder scorer on random crops."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from stylelab.cli.options import named_as_options
from stylelab.errors import InputError, OutputError

NAME = "train-grader"
HELP = "Train the grader's convolutional autoencoder on random crops of your images (CPU is fine)."
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
CHECKPOINT_SUFFIXES = (".pt", ".pth")
_CONFIG_OPTIONS = ("steps", "crops", "crop_size", "batch_size", "learning_rate", "seed")  # TrainConfig fields


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from stylelab.grading.config import TrainConfig

    defaults = TrainConfig()
    parser.add_argument(
        "images_dir",
        metavar="IMAGES_DIR",
        help="folder of training images (searched recursively, hidden files and folders left out: "
        + ", ".join(IMAGE_SUFFIXES) + ")",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="CKPT",
        help="checkpoint to write (.pt); the loss curve goes beside it, named after it (grader.pt: grader.loss.png)",
    )
    parser.add_argument("--steps", type=int, default=defaults.steps, help="optimisation steps")
    parser.add_argument(
        "--crops",
        type=int,
        default=defaults.crops,
        help="random crops drawn from the images (1/8 held out to measure the loss)",
    )
    parser.add_argument("--crop-size", type=int, default=defaults.crop_size,
                        help=f"crop side in pixels (a multiple of 8, at most the {defaults.image_size} px "
                             "images are scaled to)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="crops per step")
    parser.add_argument(
        "--learning-rate", type=float, default=defaults.learning_rate, help="Adam learning rate"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def loss_curve_path(checkpoint: Path) -> Path:
    """Where the loss curve of ``checkpoint`` is written: ``name.loss.png`` beside it."""
    return checkpoint.with_name(checkpoint.stem + ".loss.png")


def check_checkpoint_path(path: str, images: Sequence[Path] = ()) -> Path:
    """Fail before training if the checkpoint or its loss curve cannot be written, or the curve would
    replace one of the training ``images``."""
    from stylelab.imageio import check_output_file

    checkpoint = check_output_file(path, "grader.pt", check_name=_check_checkpoint_suffix)
    curve = loss_curve_path(checkpoint)
    if curve.is_dir():
        raise OutputError(f"{curve}: is a directory; cannot write the loss curve there")
    check_output_file(curve, "grader.loss.png", images,
                      clash="the loss curve would overwrite a training image; choose another checkpoint name")
    return checkpoint


def _check_checkpoint_suffix(checkpoint: Path) -> None:
    if checkpoint.suffix.lower() not in CHECKPOINT_SUFFIXES:
        raise OutputError(f"{checkpoint}: checkpoint name must end in {' or '.join(CHECKPOINT_SUFFIXES)}")


def _without_own_curve(files: list[Path], output: str) -> list[Path]:
    """The training images, less the loss curve an earlier run with this checkpoint name left among them
    (a picture of the user's that has the curve's name stays, and the run is refused)."""
    from stylelab.grading.autoencoder import is_loss_curve

    try:
        curve = loss_curve_path(Path(output)).resolve()
        return [path for path in files if path.resolve() != curve or not is_loss_curve(path)]
    except (OSError, RuntimeError):  # an unusable name: check_checkpoint_path says why
        return files


def find_images(folder: str) -> list[Path]:
    """Image files under ``folder`` (recursively), sorted; hidden ones (a name, or a folder's under ``folder``,
    starting with a dot: macOS ``._`` resource forks, thumbnail caches) are left out, as in ``stylelab fast``.

    Raises:
        InputError: the folder is missing, is a file, or holds no images.
    """
    root = Path(folder)
    if not root.exists():
        raise InputError(f"{root}: no such directory")
    if not root.is_dir():
        raise InputError(f"{root}: is not a directory; give a folder of images")
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not _hidden(p.relative_to(root)))
    if not files:
        raise InputError(f"{root}: contains no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stylelab.grading.autoencoder import (
        TrainConfig,
        TrainProgress,
        checkpoint_payload,
        save_checkpoint,
        save_loss_curve,
        train_autoencoder,
    )
    from stylelab.imageio import load_image

    with named_as_options(_CONFIG_OPTIONS):
        config = TrainConfig(**{name: getattr(args, name) for name in _CONFIG_OPTIONS})
    files = _without_own_curve(find_images(args.images_dir), args.output)
    checkpoint = check_checkpoint_path(args.output, files)
    images = [load_image(path) for path in files]
    bar = tqdm(total=config.steps, desc="train-grader", unit="step", file=sys.stderr, disable=args.quiet)

    def progress(event: TrainProgress) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{event.loss:.4f}", refresh=False)

    try:
        result = train_autoencoder(images, config, progress)
    finally:
        bar.close()
    root = Path(args.images_dir)
    payload = checkpoint_payload(result, config, [str(path.relative_to(root)) for path in files])
    curve = save_loss_curve(
        result.history,
        loss_curve_path(checkpoint),
        title=f"autoencoder: {len(files)} images, {config.crops} crops",
    )
    try:
        save_checkpoint(payload, checkpoint)
    except OutputError:
        curve.unlink(missing_ok=True)
        raise
    print(
        f"trained on {len(files)} images ({config.crops} crops of {config.crop_size} px) in "
        f"{result.seconds:.0f} s; held-out loss {result.initial_loss:.4f} → {result.final_loss:.4f}"
    )
    print(f"wrote {checkpoint} ({checkpoint.stat().st_size / 1e6:.1f} MB) and {curve}")
    return 0
