"""The small convolutional autoencoder of the original desktop app, and how to train it.

The encoder halves the resolution three times (stride-2 4×4 convolutions) down
to a 32-channel code at 1/8 scale; the decoder mirrors it with nearest
upsampling + 3×3 convolutions (no transposed convolutions, so no checkerboard
artefacts; Odena et al. 2016). It is trained to reconstruct random crops
(mean squared error). For grading only the encoder is used: its activations
play the role VGG19's play for the ``vgg19`` scorer.
"""

from __future__ import annotations

import importlib.resources
import io
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PIL import Image
from torch import nn

from stylelab.errors import ConfigError, ModelError
from stylelab.grading.config import TrainConfig
from stylelab.imageio import atomic_write

if TYPE_CHECKING:
    from importlib.abc import Traversable

CHECKPOINT_FORMAT = "stylelab-autoencoder"
CHECKPOINT_VERSION = 1
SHIPPED_CHECKPOINT = "autoencoder.pt"
ENCODER_LAYERS = ("enc1", "enc2", "enc3", "enc4")
CODE_LAYER = "code"
LOSS_CURVE_TITLE = "Style Lab autoencoder loss curve"  # in the PNG: a later run knows its own file


class Autoencoder(nn.Module):
    """Encoder (3 stride-2 stages, code at 1/8 scale) and a mirrored decoder.

    Inputs are RGB in [0, 1]; outputs are reconstructions in [0, 1].
    """

    def __init__(
        self, widths: Sequence[int] = TrainConfig.widths, code_channels: int = TrainConfig.code_channels
    ):
        super().__init__()
        w1, w2, w3, w4 = widths
        self.widths = tuple(widths)
        self.code_channels = code_channels
        self.encoder = nn.ModuleDict(
            {
                "enc1": nn.Sequential(nn.Conv2d(3, w1, 3, padding=1), nn.ReLU()),
                "enc2": nn.Sequential(nn.Conv2d(w1, w2, 4, stride=2, padding=1), nn.ReLU()),
                "enc3": nn.Sequential(nn.Conv2d(w2, w3, 4, stride=2, padding=1), nn.ReLU()),
                "enc4": nn.Sequential(nn.Conv2d(w3, w4, 4, stride=2, padding=1), nn.ReLU()),
                "code": nn.Conv2d(w4, code_channels, 3, padding=1),
            }
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(code_channels, w4, 3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(w4, w3, 3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(w3, w2, 3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(w2, 3, 3, padding=1),
            nn.Sigmoid(),
        )

    def encode(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of every encoder stage and the code, by name (``enc1`` … ``enc4``, ``code``)."""
        x = image * 2.0 - 1.0
        activations = {}
        for name, stage in self.encoder.items():
            x = stage(x)
            activations[name] = x
        return activations

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(image)[CODE_LAYER])


@dataclass
class TrainResult:
    """What :func:`train_autoencoder` returns.

    Attributes:
        model: the trained autoencoder (eval mode).
        history: ``"train"`` (loss per step), ``"validation"`` (held-out loss) and
            ``"validation_step"`` (the step of each held-out measurement, 0 = before training).
        seconds: wall-clock training time.
    """

    model: Autoencoder
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def initial_loss(self) -> float:
        """Held-out reconstruction loss before training."""
        return self.history["validation"][0]

    @property
    def final_loss(self) -> float:
        """Held-out reconstruction loss after training."""
        return self.history["validation"][-1]


@dataclass(frozen=True)
class TrainProgress:
    """One training step, as reported to the progress callback of :func:`train_autoencoder`.

    ``step`` counts from 1 up to ``total``; ``loss`` is the step's training loss.
    """

    step: int
    total: int
    loss: float


def random_crops(
    images: Sequence[Image.Image], config: TrainConfig, rng: np.random.Generator
) -> torch.Tensor:
    """(crops, 3, crop, crop) tensor of random crops (random image, position and horizontal flip)."""
    arrays = [np.asarray(_fit_for_crops(image, config), dtype=np.float32) / 255.0 for image in images]
    size = config.crop_size
    crops = np.empty((config.crops, size, size, 3), dtype=np.float32)
    for index in range(config.crops):
        array = arrays[rng.integers(len(arrays))]
        top = rng.integers(array.shape[0] - size + 1)
        left = rng.integers(array.shape[1] - size + 1)
        crop = array[top : top + size, left : left + size]
        crops[index] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return torch.from_numpy(crops).permute(0, 3, 1, 2).contiguous()


def _fit_for_crops(image: Image.Image, config: TrainConfig) -> Image.Image:
    width, height = image.size
    scale = max(config.image_size / max(width, height), config.crop_size / min(width, height))
    new_size = (max(config.crop_size, round(width * scale)), max(config.crop_size, round(height * scale)))
    return image.convert("RGB").resize(new_size, Image.LANCZOS)


@torch.no_grad()
def reconstruction_loss(model: Autoencoder, crops: torch.Tensor, batch_size: int = 64) -> float:
    """Mean squared error of the reconstructions of ``crops``."""
    total = 0.0
    for start in range(0, len(crops), batch_size):
        batch = crops[start : start + batch_size]
        total += float(nn.functional.mse_loss(model(batch), batch, reduction="sum"))
    return total / crops.numel()


def train_autoencoder(
    images: Sequence[Image.Image],
    config: TrainConfig = TrainConfig(),  # noqa: B008 (frozen)
    progress: Callable[[TrainProgress], None] | None = None,
) -> TrainResult:
    """Train an autoencoder on random crops of ``images``.

    Args:
        images: RGB PIL images (already validated).
        config: training settings.
        progress: called after each step with its :class:`TrainProgress`.

    Returns:
        The trained model with its loss history.

    Raises:
        ConfigError: no images were given.
    """
    if not images:
        raise ConfigError("train_autoencoder: no images to train on")
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    crops = random_crops(images, config, rng)
    held_out = max(1, config.crops // 8)
    validation, training = crops[:held_out], crops[held_out:]
    model = _initialised_model(config, generator)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    history: dict[str, list[float]] = {"train": [], "validation": [], "validation_step": []}
    _record_validation(model, validation, 0, history)
    evaluate_every = max(1, config.steps // config.evaluations)
    batches = _shuffled_batches(len(training), config.batch_size, generator)
    for step in range(1, config.steps + 1):
        _set_learning_rate(optimiser, config, step)
        loss_value = _training_step(model, optimiser, training[next(batches)])
        history["train"].append(loss_value)
        if step % evaluate_every == 0 or step == config.steps:
            _record_validation(model, validation, step, history)
        if progress is not None:
            progress(TrainProgress(step, config.steps, loss_value))
    model.eval()
    return TrainResult(model=model, history=history, seconds=time.perf_counter() - started)


def _shuffled_batches(count: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Index batches of ``count`` items, reshuffled when the remaining ones would not fill a batch.

    Fewer items than ``batch_size`` make every batch all of them.
    """
    while True:
        order = torch.randperm(count, generator=generator)
        for start in range(0, max(count - batch_size, 0) + 1, batch_size):
            yield order[start : start + batch_size]


def _training_step(model: Autoencoder, optimiser: torch.optim.Optimizer, batch: torch.Tensor) -> float:
    model.train()
    loss = nn.functional.mse_loss(model(batch), batch)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return loss.item()


def _initialised_model(config: TrainConfig, generator: torch.Generator) -> Autoencoder:
    model = Autoencoder(config.widths, config.code_channels)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
                module.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)  # He et al. 2015
                module.bias.zero_()
    return model


def _set_learning_rate(optimiser: torch.optim.Optimizer, config: TrainConfig, step: int) -> None:
    rate = config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * (step - 1) / config.steps))
    for group in optimiser.param_groups:
        group["lr"] = rate


def _record_validation(
    model: Autoencoder, validation: torch.Tensor, step: int, history: dict[str, list[float]]
) -> None:
    model.eval()
    history["validation"].append(reconstruction_loss(model, validation))
    history["validation_step"].append(float(step))


def checkpoint_payload(result: TrainResult, config: TrainConfig, sources: Sequence[str]) -> dict:
    """The dictionary saved as a checkpoint (tensors, numbers, strings only: loads with weights_only)."""
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "widths": list(config.widths),
        "code_channels": config.code_channels,
        "state_dict": {key: value.detach().clone() for key, value in result.model.state_dict().items()},
        "history": {key: list(values) for key, values in result.history.items()},
        "train_config": {
            key: list(value) if isinstance(value, tuple) else value for key, value in asdict(config).items()
        },
        "sources": list(sources),
        "seconds": result.seconds,
    }


def save_checkpoint(payload: dict, path: str | Path) -> Path:
    """Write ``payload`` atomically with torch.save."""
    path = Path(path)
    with atomic_write(path) as temp:
        torch.save(payload, temp)
    return path


def save_loss_curve(
    history: dict[str, list[float]], path: str | Path, title: str = "autoencoder training"
) -> Path:
    """Plot training and held-out loss (log scale) to an image file, atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    steps = np.arange(1, len(history["train"]) + 1)
    axes.plot(steps, history["train"], lw=0.8, alpha=0.5, label="training batch")
    axes.plot(history["validation_step"], history["validation"], "o-", ms=3, label="held-out crops")
    axes.set(xlabel="step", ylabel="reconstruction MSE", yscale="log", title=title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path = Path(path)
    with atomic_write(path) as temp:
        figure.savefig(temp, format="png", metadata={"Title": LOSS_CURVE_TITLE})
    return path


def is_loss_curve(path: Path) -> bool:
    """True if ``path`` is a loss curve :func:`save_loss_curve` wrote (its PNG title says so)."""
    try:
        with Image.open(path) as picture:
            return picture.info.get("Title") == LOSS_CURVE_TITLE
    except (OSError, ValueError):
        return False


def shipped_checkpoint() -> Traversable:
    """The checkpoint bundled with Style Lab (trained on the bundled images)."""
    return importlib.resources.files("stylelab.grading").joinpath(SHIPPED_CHECKPOINT)


def load_autoencoder(path: str | Path | None = None, device: str | torch.device = "cpu") -> Autoencoder:
    """Load an autoencoder checkpoint (``None``: the shipped one), frozen, in eval mode.

    Raises:
        ModelError: the file is missing, unreadable, not a Style Lab autoencoder checkpoint,
            or its weights do not fit the architecture it describes.
    """
    label = str(path) if path is not None else "shipped autoencoder checkpoint"
    payload = _read_checkpoint(path, label)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(
            f"{label}: not a Style Lab autoencoder checkpoint (make one with stylelab train-grader)"
        )
    if payload.get("version") != CHECKPOINT_VERSION:
        raise ModelError(
            f"{label}: checkpoint version {payload.get('version')!r} is not supported "
            f"(expected {CHECKPOINT_VERSION})"
        )
    try:
        model = Autoencoder(tuple(payload["widths"]), int(payload["code_channels"]))
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{label}: weights do not match the autoencoder architecture "
                         f"({_first_problem(exc)})") from None
    return model.requires_grad_(False).eval().to(device)


def _first_problem(exc: Exception) -> str:
    """The first specific line of a load_state_dict error (its first line is only a heading)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[1] if len(lines) > 1 and lines[0].startswith("Error(s) in loading") else lines[0]


def _read_checkpoint(path: str | Path | None, label: str) -> object:
    try:
        if path is None:
            data = shipped_checkpoint().read_bytes()
        else:
            file = Path(path)
            if file.is_dir():
                raise ModelError(f"{label}: is a directory, not a checkpoint file")
            if not file.is_file():
                raise ModelError(f"{label}: no such checkpoint file")
            data = file.read_bytes()
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except ModelError:
        raise
    except FileNotFoundError:
        raise ModelError(f"{label}: not found; reinstall Style Lab or pass a checkpoint path") from None
    except Exception as exc:  # torch's unpickler fails in many ways on a bad file (KeyError, seek errors...)
        # its message is an opcode or advice to load unsafely: not for a user
        raise ModelError(f"{label}: not a readable grader checkpoint (a file written by "
                         f"`stylelab train-grader`; {type(exc).__name__})") from None
