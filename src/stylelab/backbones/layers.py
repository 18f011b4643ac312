"""Default content and style layers of each backbone.

Kept apart from the networks, without torch, so that reading defaults (``stylelab --help``, configs)
does not import torch.
"""

from __future__ import annotations

VGG_CONTENT_LAYERS = ("relu4_2",)
VGG_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
RESNET_CONTENT_LAYERS = ("layer3",)
RESNET_STYLE_LAYERS = ("conv1", "layer1", "layer2", "layer3", "layer4")

DEFAULT_LAYERS = {
    "vgg19": (VGG_CONTENT_LAYERS, VGG_STYLE_LAYERS),
    "vgg16": (VGG_CONTENT_LAYERS, VGG_STYLE_LAYERS),
    "resnet50": (RESNET_CONTENT_LAYERS, RESNET_STYLE_LAYERS),
    "resnet50-plain": (RESNET_CONTENT_LAYERS, RESNET_STYLE_LAYERS),
}
