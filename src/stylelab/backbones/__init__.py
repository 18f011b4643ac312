"""Feature-extraction networks for style and content losses.

``load_backbone("vgg19")`` uses the bundled Caffe VGG19; other networks load
from a checkpoint path given after a colon, e.g. ``"vgg16:/models/vgg16.pth"``.
"""

from __future__ import annotations

import torch

from stylelab.backbones.base import FeatureExtractor
from stylelab.errors import ConfigError
from stylelab.validate import choice

BACKBONES = ("vgg19",)
POOLINGS = ("max", "avg")


def parse_backbone(spec: str) -> tuple[str, str | None]:
    """Split ``"name[:checkpoint]"`` and validate the name."""
    name, _, checkpoint = spec.partition(":")
    choice("backbone", name, BACKBONES)
    return name, checkpoint or None


def layer_names(spec: str) -> tuple[str, ...]:
    """Names of the layers of the backbone named by ``spec``, without loading weights."""
    name, _ = parse_backbone(spec)
    if name == "vgg19":
        from stylelab.backbones.vgg19 import layer_specs

        with torch.device("meta"):
            return tuple(layer_name for layer_name, _ in layer_specs())
    raise ConfigError(f"backbone {name!r} is not available")


def check_layers(spec: str, option: str, layers: tuple[str, ...]) -> None:
    """Raise ConfigError naming ``option`` if a layer does not exist in the backbone."""
    valid = layer_names(spec)
    for layer in layers:
        choice(option, layer, valid)


def load_backbone(spec: str = "vgg19", device: str | torch.device = "cpu", pooling: str = "max"
                  ) -> FeatureExtractor:
    """Build the frozen backbone named by ``spec`` on ``device``.

    Raises:
        ConfigError: unknown backbone or pooling.
        ModelError: weights missing or not matching the architecture.
    """
    name, checkpoint = parse_backbone(spec)
    choice("pooling", pooling, POOLINGS)
    if name == "vgg19":
        if checkpoint:
            raise ConfigError("backbone vgg19 uses the bundled weights and takes no checkpoint path")
        from stylelab.backbones.vgg19 import vgg19

        return vgg19(pooling=pooling, device=device)
    raise ConfigError(f"backbone {name!r} is not available")


__all__ = ["BACKBONES", "FeatureExtractor", "check_layers", "layer_names", "load_backbone", "parse_backbone"]
