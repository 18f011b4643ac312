"""Random-weight torchvision-format checkpoints, and reference forwards written independently
of stylelab's modules (plain torch.nn.functional over torchvision's key names)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

VGG16_CONVS = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)  # torchvision's features indices
VGG16_POOLS_AFTER = (2, 7, 14, 21, 28)
RESNET50_STAGES = ((1, 3, 64, 1), (2, 4, 128, 2), (3, 6, 256, 2), (4, 3, 512, 2))


def vgg16_state(seed: int = 0, classifier: bool = False) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    channels = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    state = {}
    for i, index in enumerate(VGG16_CONVS):
        fan_in = channels[i] * 9
        state[f"features.{index}.weight"] = (
            torch.randn(channels[i + 1], channels[i], 3, 3, generator=generator) * (2 / fan_in) ** 0.5
        )
        state[f"features.{index}.bias"] = torch.randn(channels[i + 1], generator=generator) * 0.01
    if classifier:  # small stand-ins: the loader ignores classifier.* whatever their shape
        state.update({"classifier.0.weight": torch.zeros(4, 8), "classifier.6.bias": torch.zeros(4)})
    return state


def _bn(state: dict, prefix: str, channels: int, generator: torch.Generator) -> None:
    state[f"{prefix}.weight"] = 1 + 0.1 * torch.randn(channels, generator=generator)
    state[f"{prefix}.bias"] = 0.1 * torch.randn(channels, generator=generator)
    state[f"{prefix}.running_mean"] = 0.1 * torch.randn(channels, generator=generator)
    state[f"{prefix}.running_var"] = 0.5 + torch.rand(channels, generator=generator)
    state[f"{prefix}.num_batches_tracked"] = torch.tensor(100)


def _conv(state: dict, key: str, out_c: int, in_c: int, k: int, generator: torch.Generator) -> None:
    state[key] = torch.randn(out_c, in_c, k, k, generator=generator) * (1 / (in_c * k * k)) ** 0.5


def resnet50_state(seed: int = 0, fc: bool = True) -> dict[str, torch.Tensor]:
    """All 320 keys of torchvision's resnet50().state_dict() (fc included), random values."""
    generator = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    _conv(state, "conv1.weight", 64, 3, 7, generator)
    _bn(state, "bn1", 64, generator)
    in_c = 64
    for stage, blocks, width, _ in RESNET50_STAGES:
        for block in range(blocks):
            prefix = f"layer{stage}.{block}"
            _conv(state, f"{prefix}.conv1.weight", width, in_c, 1, generator)
            _bn(state, f"{prefix}.bn1", width, generator)
            _conv(state, f"{prefix}.conv2.weight", width, width, 3, generator)
            _bn(state, f"{prefix}.bn2", width, generator)
            _conv(state, f"{prefix}.conv3.weight", width * 4, width, 1, generator)
            _bn(state, f"{prefix}.bn3", width * 4, generator)
            if block == 0:
                _conv(state, f"{prefix}.downsample.0.weight", width * 4, in_c, 1, generator)
                _bn(state, f"{prefix}.downsample.1", width * 4, generator)
            in_c = width * 4
    if fc:
        state["fc.weight"] = torch.randn(1000, 2048, generator=generator) * 0.01
        state["fc.bias"] = torch.zeros(1000)
    return state


def save(state: dict[str, torch.Tensor], path: Path) -> Path:
    torch.save(state, path)
    return path


def normalise(image: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (image - mean) / std


def vgg16_reference(state: dict, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """relu{block}_{i} activations computed straight from torchvision's keys."""
    x = normalise(image)
    out = {}
    block, i = 1, 1
    for index in VGG16_CONVS:
        x = F.relu(F.conv2d(x, state[f"features.{index}.weight"], state[f"features.{index}.bias"], padding=1))
        out[f"relu{block}_{i}"] = x
        i += 1
        if index in VGG16_POOLS_AFTER:
            x = F.max_pool2d(x, 2, 2)
            block, i = block + 1, 1
    return out


def _bn_apply(state: dict, prefix: str, x: torch.Tensor) -> torch.Tensor:
    return F.batch_norm(
        x,
        state[f"{prefix}.running_mean"],
        state[f"{prefix}.running_var"],
        state[f"{prefix}.weight"],
        state[f"{prefix}.bias"],
        training=False,
        eps=1e-5,
    )


def resnet50_reference(state: dict, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """Stem and stage outputs computed straight from torchvision's keys (v1.5 bottlenecks)."""
    x = F.relu(
        _bn_apply(state, "bn1", F.conv2d(normalise(image), state["conv1.weight"], stride=2, padding=3))
    )
    out = {"conv1": x}
    x = F.max_pool2d(x, 3, 2, 1)
    for stage, blocks, _, stride in RESNET50_STAGES:
        for block in range(blocks):
            p = f"layer{stage}.{block}"
            s = stride if block == 0 else 1
            y = F.relu(_bn_apply(state, f"{p}.bn1", F.conv2d(x, state[f"{p}.conv1.weight"])))
            y = F.relu(
                _bn_apply(state, f"{p}.bn2", F.conv2d(y, state[f"{p}.conv2.weight"], stride=s, padding=1))
            )
            y = _bn_apply(state, f"{p}.bn3", F.conv2d(y, state[f"{p}.conv3.weight"]))
            shortcut = x
            if block == 0:
                shortcut = _bn_apply(
                    state, f"{p}.downsample.1", F.conv2d(x, state[f"{p}.downsample.0.weight"], stride=s)
                )
            x = F.relu(y + shortcut)
        out[f"layer{stage}"] = x
    return out
