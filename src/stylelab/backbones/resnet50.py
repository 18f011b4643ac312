"""ResNet50 (He et al. 2016, torchvision's v1.5: stride on the 3×3 convolution) from a
torchvision-format checkpoint, with the style-transfer variant of Wang, Li &
Vasconcelos 2021 ("Rethinking and Improving the Robustness of Image Style
Transfer", CVPR).

Layer map (torchvision module in brackets; every name can be asked for)::

    conv1     stem: 7×7/2 convolution, BatchNorm, ReLU   [conv1, bn1, relu]   64 ch, /2
    pool1     3×3/2 max pool                              [maxpool]            64 ch, /4
    layer1_0 … layer1_2   bottleneck blocks               [layer1.0 … 2]      256 ch, /4
    layer2_0 … layer2_3                                   [layer2.0 … 3]      512 ch, /8
    layer3_0 … layer3_5                                   [layer3.0 … 5]     1024 ch, /16
    layer4_0 … layer4_2                                   [layer4.0 … 2]     2048 ch, /32
    layer1 … layer4       stage outputs (= the stage's last block, no extra cost)

Defaults, as in Wang et al.'s code: style ``conv1, layer1, layer2, layer3,
layer4`` (after the stem and after each residual stage), content ``layer3``.

**The ResNet style loss variant.** Wang et al. show that ResNet activations,
unlike VGG's, are peaky (low entropy) in deep layers, so Gram matrices of raw
ResNet features give poor stylisation; their fix, SWAG, passes each layer's
activations through a softmax over all C·H·W entries before the Gram (and
content) losses. ``resnet50`` applies it; ``resnet50-plain`` hands out raw
activations, for comparison. Departure: the softmax is multiplied by C·H·W so
the smoothed map has mean 1 whatever the image size (the style image and the
output may differ in size; a plain softmax would scale their Grams
differently).

Per-layer weights stay equal: Style Lab's style loss divides each layer's Gram
error by ‖G_style‖², so the very different Gram magnitudes of ResNet's layers
already contribute on the same scale (see :mod:`stylelab.gatys.losses`).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from stylelab.backbones.base import FeatureExtractor
from stylelab.backbones.torchvision_format import imagenet_preprocess, read_checkpoint

STAGES = ((1, 3, 64, 1), (2, 4, 128, 2), (3, 6, 256, 2), (4, 3, 512, 2))  # (stage, blocks, width, stride)
EXPANSION = 4
BN_EPS = 1e-5


class FrozenBatchNorm2d(nn.Module):
    """Inference-only BatchNorm with torchvision's parameter and buffer names."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, BN_EPS
        )


class Stem(nn.Module):
    """torchvision's ``conv1 → bn1 → relu``."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn = FrozenBatchNorm2d(64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """1×1 → 3×3 (stride here, as torchvision) → 1×1, plus the shortcut, then ReLU."""

    def __init__(self, in_channels: int, width: int, stride: int):
        super().__init__()
        out_channels = width * EXPANSION
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = FrozenBatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = FrozenBatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = FrozenBatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                FrozenBatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


def layer_specs(pooling: str = "max") -> list[tuple[str, nn.Module]]:
    """Named, untrained ResNet50 layers in forward order (see the module docstring)."""
    pool = (
        nn.MaxPool2d(3, stride=2, padding=1)
        if pooling == "max"
        else nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
    )
    layers: list[tuple[str, nn.Module]] = [("conv1", Stem()), ("pool1", pool)]
    in_channels = 64
    for stage, blocks, width, stride in STAGES:
        for block in range(blocks):
            layers.append(
                (f"layer{stage}_{block}", Bottleneck(in_channels, width, stride if block == 0 else 1))
            )
            in_channels = width * EXPANSION
        layers.append((f"layer{stage}", nn.Identity()))
    return layers


def downsampling() -> dict[str, int]:
    """Layers that halve the image: the stem, the pool, and the first block of stages 2–4."""
    factors = {"conv1": 2, "pool1": 2}
    factors.update({f"layer{stage}_0": stride for stage, _, _, stride in STAGES if stride > 1})
    return factors


def torchvision_key(key: str) -> str:
    """Our parameter name → torchvision's: ``conv1.conv.weight`` → ``conv1.weight``,
    ``conv1.bn.running_mean`` → ``bn1.running_mean``, ``layer2_0.conv1.weight`` → ``layer2.0.conv1.weight``."""
    if key.startswith("conv1.conv."):
        return "conv1." + key.removeprefix("conv1.conv.")
    if key.startswith("conv1.bn."):
        return "bn1." + key.removeprefix("conv1.bn.")
    return re.sub(r"^layer(\d)_(\d+)\.", r"layer\1.\2.", key)


def expected_shapes() -> dict[str, torch.Size]:
    """torchvision key → shape for everything ResNet50 needs up to ``layer4`` (no ``fc``)."""
    with torch.device("meta"):
        modules = nn.ModuleDict(dict(layer_specs()))
    return {torchvision_key(key): tensor.shape for key, tensor in modules.state_dict().items()}


def is_optional(key: str) -> bool:
    """Keys a torchvision checkpoint may carry that feature extraction does not use."""
    return key.startswith("fc.") or key.endswith(".num_batches_tracked")


def softmax_smoothing(features: torch.Tensor) -> torch.Tensor:
    """SWAG (Wang et al. 2021): softmax over each image's C·H·W activations, times C·H·W."""
    flat = features.flatten(1)
    return (torch.softmax(flat, dim=1) * flat.shape[1]).view_as(features)


def resnet50(
    checkpoint: str | Path, pooling: str = "max", device: str | torch.device = "cpu", smoothing: bool = True
) -> FeatureExtractor:
    """ResNet50 features from a torchvision-format checkpoint, frozen, on ``device``.

    Args:
        checkpoint: path of a ``torch.save``-d torchvision ResNet50 state dict.
        pooling: ``max`` (as trained) or ``avg`` for the stem's pool.
        device: where to put the network.
        smoothing: apply SWAG's softmax to every activation handed out.

    Raises:
        ModelError: the file is missing, unreadable, or its keys/shapes are not ResNet50's.
    """
    state = read_checkpoint(checkpoint, "resnet50", expected_shapes(), is_optional)
    name = "resnet50" if smoothing else "resnet50-plain"
    with torch.device("meta"):  # skip random initialisation: every weight is assigned below
        model = FeatureExtractor(
            name,
            layer_specs(pooling),
            imagenet_preprocess,
            downsampling=downsampling(),
            readout=softmax_smoothing if smoothing else None,
        )
    ours = {key: state[torchvision_key(key.removeprefix("layers."))].float() for key in model.state_dict()}
    model.load_state_dict(ours, strict=True, assign=True)
    return model.requires_grad_(False).to(device)
