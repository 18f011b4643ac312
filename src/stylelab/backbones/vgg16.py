"""VGG16 (Simonyan & Zisserman 2014) from a torchvision-format checkpoint.

Layer map (the names Gatys et al. use for VGG19, ``convB_I`` = I-th
convolution of block B; torchvision's ``features`` indices in brackets)::

    conv1_1 [0]  relu1_1  conv1_2 [2]  relu1_2  pool1
    conv2_1 [5]  relu2_1  conv2_2 [7]  relu2_2  pool2
    conv3_1 [10] relu3_1  conv3_2 [12] relu3_2  conv3_3 [14] relu3_3  pool3
    conv4_1 [17] relu4_1  conv4_2 [19] relu4_2  conv4_3 [21] relu4_3  pool4
    conv5_1 [24] relu5_1  conv5_2 [26] relu5_2  conv5_3 [28] relu5_3  pool5

Defaults follow Gatys et al. 2016 with the VGG19 names that VGG16 shares:
content ``relu4_2``, style ``relu1_1, relu2_1, relu3_1, relu4_1, relu5_1``.
The classifier (``classifier.*``) may be in the checkpoint and is ignored.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from stylelab.backbones.base import FeatureExtractor
from stylelab.backbones.torchvision_format import imagenet_preprocess, read_checkpoint
from stylelab.backbones.vgg19 import vgg_layer_specs

BLOCKS = (2, 2, 3, 3, 3)


def layer_specs(pooling: str = "max") -> list[tuple[str, nn.Module]]:
    """Named, untrained VGG16 layers (convolutions, ReLUs, pools)."""
    return vgg_layer_specs(BLOCKS, pooling)


def torchvision_names() -> dict[str, str]:
    """Our convolution name → torchvision's ``features.N`` prefix (N counts every layer, pools included)."""
    names: dict[str, str] = {}
    for index, (name, _) in enumerate(layer_specs()):
        if name.startswith("conv"):
            names[name] = f"features.{index}"
    return names


def expected_shapes() -> dict[str, torch.Size]:
    """torchvision key → tensor shape of VGG16's convolutional part."""
    with torch.device("meta"):
        modules = dict(layer_specs())
    return {
        f"{prefix}.{kind}": getattr(modules[name], kind).shape
        for name, prefix in torchvision_names().items()
        for kind in ("weight", "bias")
    }


def is_optional(key: str) -> bool:
    """Keys a torchvision checkpoint may carry that feature extraction does not use: the classifier."""
    return key.startswith("classifier.")


def vgg16(
    checkpoint: str | Path, pooling: str = "max", device: str | torch.device = "cpu"
) -> FeatureExtractor:
    """VGG16 features with weights from a torchvision-format checkpoint, frozen, on ``device``.

    Raises:
        ModelError: the file is missing, unreadable, or its keys/shapes are not VGG16's.
    """
    state = read_checkpoint(checkpoint, "vgg16", expected_shapes(), is_optional)
    ours = {
        f"layers.{name}.{kind}": state[f"{prefix}.{kind}"].float()
        for name, prefix in torchvision_names().items()
        for kind in ("weight", "bias")
    }
    with torch.device("meta"):  # skip random initialisation: every weight is assigned below
        model = FeatureExtractor(
            "vgg16", layer_specs(pooling), imagenet_preprocess
        )
    model.load_state_dict(ours, strict=True, assign=True)
    return model.requires_grad_(False).to(device)
