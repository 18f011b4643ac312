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

from stylelab.validate import proportions


class _Gram(torch.autograd.Function):
    """G = F Fᵀ / (H·W) with a one-matmul backward.

    Autograd's default backward of ``F @ F.T`` runs two matmuls; since G is
    symmetric, dL/dF = (dL/dG + dL/dGᵀ) F / (H·W) needs one. With
    ``product_dtype`` bfloat16 both products read bfloat16 copies of their
    operands and accumulate in float32.
    """

    @staticmethod
    def forward(ctx, flat: torch.Tensor, positions: int,  # type: ignore[override]
                product_dtype: torch.dtype) -> torch.Tensor:
        ctx.save_for_backward(flat)
        ctx.positions = positions
        ctx.product_dtype = product_dtype
        operand = flat.to(product_dtype)
        return torch.bmm(operand, operand.transpose(1, 2)).to(flat.dtype) / positions

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (flat,) = ctx.saved_tensors
        # Scale the small C×C matrix, not the C×HW result: one pass less over the activations.
        symmetric = (grad + grad.transpose(1, 2)) / ctx.positions
        dtype = ctx.product_dtype
        return torch.bmm(symmetric.to(dtype), flat.to(dtype)).to(flat.dtype), None, None


def gram(features: torch.Tensor, product_dtype: torch.dtype | None = None) -> torch.Tensor:
    """Normalised Gram matrix of an (N, C, H, W) activation: (N, C, C), G = F Fᵀ / (H·W).

    ``product_dtype`` (default: the features' own) is the precision the matrix products read.
    """
    n, c, h, w = features.shape
    return _Gram.apply(features.reshape(n, c, h * w), h * w, product_dtype or features.dtype)


def fast_product_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on CPUs with native bfloat16 dot products (AVX512-BF16), else float32.

    Not in the paper: the Gram products are ~11 % of an optimisation step in
    float32 and 2.3x cheaper in bfloat16 (float32 accumulation). Rounding the
    operands to 8 significant bits perturbs G by ~1e-5 relative, far below the
    style errors being minimised (~1e-2); the quick and default runs reach the
    same distances (benchmarks/gatys_vs_pastiche.py).
    """
    if device.type == "cpu" and torch.cpu._is_avx512_bf16_supported():
        return torch.bfloat16
    return torch.float32


def relative_error(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """‖value − target‖² / ‖target‖² (0 when equal; 1 when value is 0)."""
    return (value - target).pow(2).sum() / target.pow(2).sum().clamp_min(1e-12)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared error of activations (Gatys et al. 2016, eq. 1, normalised)."""
    return relative_error(features, target)


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
    shares = proportions(weights)
    layers = grams_per_style[0].keys()
    return {layer: sum(share * grams[layer] for share, grams in zip(shares, grams_per_style, strict=True))
            for layer in layers}
