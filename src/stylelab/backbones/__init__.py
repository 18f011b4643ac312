"""Feature-extraction networks for style and content losses.

``load_backbone("vgg19")`` uses the bundled Caffe VGG19; the others load a
torchvision-format checkpoint whose path follows a colon:

* ``"vgg16:/models/vgg16.pth"`` — VGG16 (:mod:`stylelab.backbones.vgg16`);
* ``"resnet50:/models/resnet50.pth"`` — ResNet50 with SWAG softmax smoothing, the
  ResNet variant of the style loss (:mod:`stylelab.backbones.resnet50`);
* ``"resnet50-plain:/models/resnet50.pth"`` — ResNet50 with raw activations.

Each network has its own layer names and default content/style layers
(:func:`default_layers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from stylelab.backbones.layers import DEFAULT_LAYERS
from stylelab.errors import ConfigError
from stylelab.validate import choice

BACKBONES = ("vgg19", "vgg16", "resnet50", "resnet50-plain")
CHECKPOINT_BACKBONES = ("vgg16", "resnet50", "resnet50-plain")
POOLINGS = ("max", "avg")

if TYPE_CHECKING:
    import torch

    from stylelab.backbones.base import FeatureExtractor


def __getattr__(name: str) -> object:
    # FeatureExtractor is imported on first use: this package is read for its names and defaults
    # (``stylelab --help``) without torch.
    if name == "FeatureExtractor":
        from stylelab.backbones.base import FeatureExtractor

        return FeatureExtractor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_backbone(spec: str) -> tuple[str, str | None]:
    """Split ``"name[:checkpoint]"``, validate the name and whether a checkpoint is given.

    Raises:
        ConfigError: unknown name, a checkpoint for vgg19, or none for the others.
    """
    if not isinstance(spec, str):
        raise ConfigError(
            f"backbone: expected a string such as 'vgg19' or 'vgg16:/path/vgg16.pth', got {spec!r}"
        )
    name, _, checkpoint = spec.partition(":")
    choice("backbone", name, BACKBONES)
    if name == "vgg19" and checkpoint:
        raise ConfigError("backbone: vgg19 uses the bundled weights and takes no checkpoint path")
    if name in CHECKPOINT_BACKBONES and not checkpoint:
        raise ConfigError(
            f"backbone: {name} needs a torchvision-format checkpoint, e.g. '{name}:/models/{name}.pth'"
        )
    return name, checkpoint or None


def _module(name: str):
    if name == "vgg19":
        from stylelab.backbones import vgg19 as module
    elif name == "vgg16":
        from stylelab.backbones import vgg16 as module
    else:
        from stylelab.backbones import resnet50 as module
    return module


def layer_names(spec: str) -> tuple[str, ...]:
    """Names of the layers of the backbone named by ``spec``, without loading weights."""
    import torch

    name, _ = parse_backbone(spec)
    with torch.device("meta"):
        return tuple(layer_name for layer_name, _ in _module(name).layer_specs())


def default_layers(spec: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content layers, style layers) that the backbone named by ``spec`` uses by default."""
    name, _ = parse_backbone(spec)
    return DEFAULT_LAYERS[name]


def check_layers(spec: str, option: str, layers: tuple[str, ...]) -> None:
    """Raise ConfigError naming ``option`` if a layer does not exist in the backbone."""
    valid = layer_names(spec)
    for layer in layers:
        choice(option, layer, valid)


def min_side(spec: str, layers: Iterable[str]) -> int:
    """Smallest picture side that leaves the deepest of ``layers`` at least one pixel in the backbone named
    by ``spec`` (what the loaded network's :meth:`FeatureExtractor.min_side` gives), without its weights."""
    import torch

    from stylelab.backbones.base import FeatureExtractor

    name, _ = parse_backbone(spec)
    module = _module(name)
    downsampling = module.downsampling() if hasattr(module, "downsampling") else None  # else: its pool layers
    with torch.device("meta"):
        net = FeatureExtractor(name, module.layer_specs(), _unused, downsampling=downsampling)
    return net.truncated(layers).min_side()


def _unused(image: torch.Tensor) -> torch.Tensor:
    return image


def check_checkpoint(spec: str) -> None:
    """Read the checkpoint of ``spec`` (if any) and check its keys and shapes, without building the network.

    Raises:
        ConfigError: unknown backbone.
        ModelError: missing, unreadable or mismatched checkpoint.
    """
    from stylelab.backbones.torchvision_format import read_checkpoint

    name, checkpoint = parse_backbone(spec)
    if checkpoint is None:
        return
    module = _module(name)
    read_checkpoint(checkpoint, name.removesuffix("-plain"), module.expected_shapes(), module.is_optional)


def load_backbone(
    spec: str = "vgg19", device: str | torch.device = "cpu", pooling: str = "max"
) -> FeatureExtractor:
    """Build the frozen backbone named by ``spec`` on ``device`` (auto, cpu, cuda or cuda:N).

    Raises:
        ConfigError: unknown backbone, pooling or device, or CUDA asked for but not available.
        ModelError: weights missing or not matching the architecture.
    """
    from stylelab.devices import resolve_device

    name, checkpoint = parse_backbone(spec)
    choice("pooling", pooling, POOLINGS)
    device = resolve_device(str(device))
    if name == "vgg19":
        from stylelab.backbones.vgg19 import vgg19

        return vgg19(pooling=pooling, device=device)
    if name == "vgg16":
        from stylelab.backbones.vgg16 import vgg16

        return vgg16(Path(checkpoint), pooling=pooling, device=device)
    from stylelab.backbones.resnet50 import resnet50

    return resnet50(Path(checkpoint), pooling=pooling, device=device, smoothing=name == "resnet50")


__all__ = [
    "BACKBONES",
    "FeatureExtractor",
    "check_checkpoint",
    "check_layers",
    "default_layers",
    "layer_names",
    "load_backbone",
    "min_side",
    "parse_backbone",
]
