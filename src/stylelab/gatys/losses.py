"""Loss terms of Gatys et al. 2016 as pure tensor functions.

Departures from the paper, all for scale-free weights that work at any image size:
the Gram matrix is divided by the number of positions (H·W), and content and
style errors are divided by the squared norm of their target, so each term is a
relative error near 1 at the start and the default weights need no retuning
when the size, the layers or the style image change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch


class _Gram(torch.autograd.Function):
    """G = F Fᵀ / (H·W) with a one-matmul backward.

    Autograd's default backward of ``F @ F.T`` runs two matmuls; since G is
    symmetric, dL/dF = (dL/dG + dL/dGᵀ) F / (H·W) needs one.
    """

    @staticmethod
    def forward(ctx, flat: torch.Tensor, positions: int) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(flat)
        ctx.positions = positions
        return torch.bmm(flat, flat.transpose(1, 2)) / positions

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (flat,) = ctx.saved_tensors
        # Scale the small C×C matrix, not the C×HW result: one pass less over the activations.
        symmetric = (grad + grad.transpose(1, 2)) / ctx.positions
        return torch.bmm(symmetric, flat), None


def gram(features: torch.Tensor) -> torch.Tensor:
    """Normalised Gram matrix of an (N, C, H, W) activation: (N, C, C), G = F Fᵀ / (H·W)."""
    n, c, h, w = features.shape
    return _Gram.apply(features.reshape(n, c, h * w), h * w)


def relative_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """‖value − target‖² / ‖target‖² (0 when equal; 1 when value is 0)."""
    return (value - target).pow(2).sum() / target.pow(2).sum().clamp_min(1e-12)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared error of activations (Gatys et al. 2016, eq. 1, normalised)."""
    return relative_error(features, target)


def style_loss(features: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor],
               layer_weights: Mapping[str, float]) -> torch.Tensor:
    """Weighted sum over layers of relative Gram errors (Gatys et al. 2016, eqs. 3–5, normalised)."""
    total = features[next(iter(layer_weights))].new_zeros(())
    for layer, weight in layer_weights.items():
        total = total + weight * relative_error(gram(features[layer]), target_grams[layer])
    return total


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (total variation, squared form)."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()


def blended_grams(grams_per_style: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float]
                  ) -> dict[str, torch.Tensor]:
    """Weighted mean of several styles' Gram matrices, layer by layer.

    Minimising ‖G − Σ wᵢGᵢ‖² has the same minimiser as Σ wᵢ‖G − Gᵢ‖² (Σ wᵢ = 1)
    and costs one comparison per layer instead of one per style.
    """
    total = sum(weights)
    layers = grams_per_style[0].keys()
    return {layer: sum((w / total) * grams[layer] for w, grams in zip(weights, grams_per_style))
            for layer in layers}
