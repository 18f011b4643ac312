"""Colour preservation for neural style transfer (Gatys et al. 2016b,
"Preserving color in neural artistic style transfer", arXiv:1606.05897).

Two modes, on RGB tensors in [0, 1] shaped (1, 3, H, W):

* luminance (sec. 2.2): transfer on the luminance channel only, the style's
  luminance matched to the content's mean and deviation; the output's
  luminance is then joined with the content's chroma (YIQ space).
* histogram (sec. 2.1): before transfer, give the style the content's colour
  mean and covariance (a linear map, the "Image Analogies" variant).
"""

from __future__ import annotations

import torch

# NTSC YIQ, as in the paper.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                            [0.596, -0.274, -0.322],
                            [0.211, -0.523, 0.312]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def luminance_image(image: torch.Tensor) -> torch.Tensor:
    """The Y channel repeated three times, so the network sees a grey picture."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Luminance of ``style`` shifted and scaled to the mean and deviation of ``content``'s (eq. 1)."""
    style_y, content_y = luminance_image(style), luminance_image(content)
    scale = content_y.std() / style_y.std().clamp_min(1e-6)
    return ((style_y - style_y.mean()) * scale + content_y.mean()).clamp(0, 1)


def join_luminance(output: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Luminance of ``output`` with the chroma (I, Q) of ``content`` (same size)."""
    output_y = rgb_to_yiq(output)[:, :1]
    content_iq = rgb_to_yiq(content)[:, 1:]
    return yiq_to_rgb(torch.cat([output_y, content_iq], dim=1)).clamp(0, 1)


def _mean_and_covariance(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    pixels = image.reshape(3, -1).double()
    mean = pixels.mean(dim=1, keepdim=True)
    centred = pixels - mean
    covariance = centred @ centred.T / pixels.shape[1] + 1e-5 * torch.eye(3, dtype=pixels.dtype)
    return mean, covariance


def _matrix_power(matrix: torch.Tensor, power: float) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(1e-8).pow(power)) @ vectors.T


def match_histogram(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """``style`` recoloured so its pixel mean and covariance equal ``content``'s (eqs. 2–4)."""
    style_mean, style_cov = _mean_and_covariance(style)
    content_mean, content_cov = _mean_and_covariance(content)
    transform = _matrix_power(content_cov, 0.5) @ _matrix_power(style_cov, -0.5)
    pixels = style.reshape(3, -1).double()
    recoloured = transform @ (pixels - style_mean) + content_mean
    return recoloured.reshape(style.shape).to(style.dtype).clamp(0, 1)
