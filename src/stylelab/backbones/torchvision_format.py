"""Read torchvision-format checkpoints (a ``state_dict`` saved with ``torch.save``).

torchvision is not a dependency: the architectures are written out in plain
torch in :mod:`stylelab.backbones.vgg16` and :mod:`stylelab.backbones.resnet50`,
and this module only reads the file, checks every key and shape, and explains
any mismatch by naming the keys it expected.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from stylelab.errors import ModelError

# torchvision's ImageNet preprocessing: RGB in [0, 1], then per-channel (x − mean) / std.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SHOWN_KEYS = 5
# Wrappers that training scripts commonly save around the state dict.
WRAPPER_KEYS = ("state_dict", "model", "model_state_dict")


def imagenet_preprocess(image: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] → torchvision's normalised input."""
    mean = image.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = image.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (image - mean) / std


def read_state_dict(path: str | Path, architecture: str) -> dict[str, torch.Tensor]:
    """Load the tensors of a checkpoint file (``weights_only``: no code is unpickled).

    Accepts a bare state dict, one wrapped as ``{"state_dict": ...}`` / ``{"model": ...}``,
    and ``module.``-prefixed keys (saved from ``DataParallel``).

    Raises:
        ModelError: the file is missing, is a folder, or is not a PyTorch checkpoint of tensors.
    """
    path = Path(path)
    label = f"{architecture} checkpoint {path}"
    if not path.exists():
        raise ModelError(f"{label}: no such file")
    if path.is_dir():
        raise ModelError(f"{label}: is a directory, not a checkpoint file")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
    except Exception as exc:  # torch.load raises KeyError, UnpicklingError, RuntimeError … on foreign files
        # torch's own message is an unpickler opcode or advice to load unsafely: not for a user
        raise ModelError(f"{label}: not a PyTorch checkpoint that can be read safely "
                         f"({type(exc).__name__})") from None
    state = _unwrap(loaded)
    if state is None:
        raise ModelError(
            f"{label}: expected a state dict of tensors (torchvision format), got {type(loaded).__name__}"
        )
    return state


def read_checkpoint(
    path: str | Path,
    architecture: str,
    expected: Mapping[str, torch.Size],
    optional: Callable[[str], bool],
) -> dict[str, torch.Tensor]:
    """:func:`read_state_dict` then :func:`match_state`: the checked tensors of ``expected``.

    Raises:
        ModelError: as those two do.
    """
    return match_state(read_state_dict(path, architecture), expected, architecture=architecture, path=path,
                       optional=optional)


def _unwrap(loaded: object) -> dict[str, torch.Tensor] | None:
    if isinstance(loaded, Mapping):
        for key in WRAPPER_KEYS:
            if isinstance(loaded.get(key), Mapping):
                return _unwrap(loaded[key])
        if loaded and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()):
            return {k.removeprefix("module."): v for k, v in loaded.items()}
    return None


def match_state(
    state: Mapping[str, torch.Tensor],
    expected: Mapping[str, torch.Size],
    *,
    architecture: str,
    path: str | Path,
    optional: Callable[[str], bool] = lambda key: False,
) -> dict[str, torch.Tensor]:
    """Return the tensors for ``expected`` (torchvision key → shape), checking keys and shapes.

    Keys for which ``optional(key)`` is true (a classifier head, BatchNorm's
    ``num_batches_tracked``) may be present or absent and are dropped.

    Raises:
        ModelError: missing keys, unexpected keys or wrong shapes, naming the expected keys; or
            NaN or infinite values in a tensor that is used, naming it.
    """
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected and not optional(key)]
    wrong = [
        f"{key} {tuple(state[key].shape)} instead of {tuple(shape)}"
        for key, shape in expected.items()
        if key in state and state[key].shape != shape
    ]
    if missing or unexpected or wrong:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing ({_first(missing)})")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected ({_first(unexpected)})")
        if wrong:
            problems.append(f"{len(wrong)} with the wrong shape ({_first(wrong)})")
        raise ModelError(
            f"{architecture} checkpoint {path} does not match torchvision's {architecture}: "
            f"{'; '.join(problems)}. Expected keys: {_first(list(expected))} "
            f"({len(expected)} in all)"
        )
    used = {key: state[key] for key in expected}
    _check_finite(used, f"{architecture} checkpoint {path}")
    return used


def _check_finite(tensors: Mapping[str, torch.Tensor], label: str) -> None:
    """Broken weights are named at load time; otherwise the first step's loss is NaN, blamed on the settings."""
    broken = [key for key, tensor in tensors.items()
              if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:
        raise ModelError(f"{label}: non-finite values (NaN or infinity) in {_first(broken)}; "
                         "the checkpoint is damaged or was saved from a diverged training run")


def _first(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN_KEYS])
    return f"{shown}, …" if len(items) > SHOWN_KEYS else shown
