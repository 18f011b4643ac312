"""A feature extractor that returns named activations from one forward pass."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

from stylelab.errors import ConfigError
from stylelab.validate import choice

Preprocess = Callable[[torch.Tensor], torch.Tensor]
Readout = Callable[[torch.Tensor], torch.Tensor]


class FeatureExtractor(nn.Module):
    """Runs named layers in order and returns the activations asked for.

    The input is an RGB batch in [0, 1]; ``preprocess`` turns it into what the
    network was trained on. The network is frozen: gradients flow to the input only.

    Attributes:
        name: backbone name, e.g. ``"vgg19"``.
        layer_names: every layer that can be asked for, in forward order.
        downsampling: layer name → factor by which it shrinks the image (default:
            2 for every layer whose name starts with ``pool``).
        readout: applied to each activation handed out (not to what flows on to the
            next layer); ``None`` hands out raw activations.
    """

    def __init__(self, name: str, layers: Sequence[tuple[str, nn.Module]], preprocess: Preprocess, *,
                 downsampling: Mapping[str, int] | None = None, readout: Readout | None = None):
        super().__init__()
        self.name = name
        self.layer_names = tuple(layer_name for layer_name, _ in layers)
        self.layers = nn.ModuleDict(dict(layers))
        self.preprocess = preprocess
        if downsampling is None:
            downsampling = {layer: 2 for layer in self.layer_names if layer.startswith("pool")}
        self.downsampling = dict(downsampling)
        self.readout = readout
        self.requires_grad_(False)
        self.eval()

    def check_layers(self, layers: Iterable[str]) -> tuple[str, ...]:
        """Return ``layers`` as a tuple, raising ConfigError for an unknown name."""
        layers = tuple(layers)
        if not layers:
            raise ConfigError(f"{self.name}: at least one layer is needed")
        for layer in layers:
            choice(f"{self.name} layer", layer, self.layer_names)
        return layers

    def truncated(self, layers: Iterable[str]) -> FeatureExtractor:
        """Return a copy that stops at the deepest of ``layers`` (shares weights)."""
        last = max(self.layer_names.index(layer) for layer in self.check_layers(layers))
        kept = [(name, self.layers[name]) for name in self.layer_names[: last + 1]]
        return FeatureExtractor(self.name, kept, self.preprocess,
                                downsampling=self.downsampling, readout=self.readout)

    def keeping_edges(self) -> FeatureExtractor:
        """Return a copy (shares weights) whose unpadded pools keep a last odd row or column (ceil mode).

        A 2×2 pool that rounds down drops the last row of an odd height, so no deeper layer sees it and an
        image optimised through the network gets no style from them there: Gatys left a thin rim near
        the photo's own pixels at the bottom or right of most sizes. Even sizes give the same activations.
        """
        layers = [(name, _ceil_pool(self.layers[name])) for name in self.layer_names]
        return FeatureExtractor(self.name, layers, self.preprocess,
                                downsampling=self.downsampling, readout=self.readout)

    def min_side(self) -> int:
        """Smallest input side that leaves at least one pixel at the last layer (a pool, too, is counted:
        2 px in give 1 out)."""
        return math.prod(self.downsampling.get(name, 1) for name in self.layer_names)

    def forward(self, image: torch.Tensor, layers: Iterable[str],
                reduce: Mapping[str, Callable[[torch.Tensor], torch.Tensor]] | None = None
                ) -> dict[str, torch.Tensor]:
        """Activations of ``layers``; where ``reduce`` has a function for a layer, its result instead.

        A reduction (e.g. a loss term) runs as soon as its layer is computed, so in
        the backward pass autograd reaches it only when it gets back to that layer:
        its activation-sized gradient is not held while the deeper layers are
        differentiated (0.5 GB less at 1024×1024 for the five style layers).
        """
        wanted = set(layers)
        reduce = reduce or {}
        features: dict[str, torch.Tensor] = {}
        x = self.preprocess(image)
        for name in self.layer_names:
            x = self.layers[name](x)
            if name in wanted:
                feature = x if self.readout is None else self.readout(x)
                features[name] = reduce[name](feature) if name in reduce else feature
                if len(features) == len(wanted):
                    break
        return features


def _ceil_pool(layer: nn.Module) -> nn.Module:
    """An unpadded max or average pool in ceil mode; any other layer unchanged (ResNet's padded pool
    already covers every row)."""
    if isinstance(layer, nn.MaxPool2d) and layer.padding == 0:
        return nn.MaxPool2d(layer.kernel_size, layer.stride, dilation=layer.dilation, ceil_mode=True)
    if isinstance(layer, nn.AvgPool2d) and layer.padding == 0:
        return nn.AvgPool2d(layer.kernel_size, layer.stride, ceil_mode=True,
                            count_include_pad=layer.count_include_pad)
    return layer
