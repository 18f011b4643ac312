"""Quality measures shared by benchmarks, grids and reports.

Both follow the definitions in the project's issues, evaluated with VGG19 at a
fixed size so that numbers from different methods and sizes are comparable:

* style distance: mean over relu1_1…relu5_1 of ‖G(out) − G(style)‖² / ‖G(style)‖²,
  G = F Fᵀ / (H·W);
* content distance: ‖F(out) − F(content)‖² / ‖F(content)‖² at relu4_2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from stylelab.backbones.layers import VGG_STYLE_LAYERS
from stylelab.imageio import ImageSource, load_image, resize_long_side

if TYPE_CHECKING:
    import torch

    from stylelab.backbones import FeatureExtractor

STYLE_LAYERS = VGG_STYLE_LAYERS
CONTENT_LAYER = "relu4_2"
EVAL_SIZE = 512
# torch is imported inside the functions: the grid report and the CLI's help read the constants above.


def image_to_tensor(image: Image.Image, device: str | torch.device = "cpu") -> torch.Tensor:
    """PIL RGB → (1, 3, H, W) float tensor in [0, 1]."""
    import torch

    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def tensor_to_image(tensor: torch.Tensor) -> Image.Image:
    """(1, 3, H, W) or (3, H, W) tensor in [0, 1] → PIL RGB (clamped, rounded)."""
    array = tensor.detach().reshape(3, *tensor.shape[-2:]).clamp(0, 1).mul(255).round().byte()
    return Image.fromarray(array.permute(1, 2, 0).cpu().numpy(), "RGB")


def _features(net: FeatureExtractor, image: ImageSource, size: int, layers) -> dict[str, torch.Tensor]:
    import torch

    picture = resize_long_side(load_image(image), size)
    device = next(net.parameters()).device
    with torch.no_grad():
        return net(image_to_tensor(picture, device), layers)


def style_distance(output: ImageSource, style: ImageSource, net: FeatureExtractor, size: int = EVAL_SIZE
                   ) -> float:
    """Mean relative Gram error of ``output`` against ``style`` over relu1_1…relu5_1."""
    return float(np.mean(list(style_errors(output, style, net, size).values())))


def style_errors(output: ImageSource, style: ImageSource, net: FeatureExtractor, size: int = EVAL_SIZE
                 ) -> dict[str, float]:
    """Relative Gram error of ``output`` against ``style`` at each of relu1_1…relu5_1."""
    from stylelab.gatys.losses import gram, relative_error

    out = _features(net, output, size, STYLE_LAYERS)
    ref = _features(net, style, size, STYLE_LAYERS)
    return {layer: relative_error(gram(out[layer]), gram(ref[layer])).item() for layer in STYLE_LAYERS}


def content_distance(output: ImageSource, content: ImageSource, net: FeatureExtractor, size: int = EVAL_SIZE
                     ) -> float:
    """Relative squared error of relu4_2 activations of ``output`` against ``content``.

    Both images are resized to the same long side; the output is resized to the
    content's exact pixel size so the activations align.
    """
    import torch

    from stylelab.gatys.losses import relative_error

    reference = resize_long_side(load_image(content), size)
    picture = load_image(output).resize(reference.size, Image.LANCZOS)
    device = next(net.parameters()).device
    with torch.no_grad():
        out = net(image_to_tensor(picture, device), [CONTENT_LAYER])[CONTENT_LAYER]
        ref = net(image_to_tensor(reference, device), [CONTENT_LAYER])[CONTENT_LAYER]
    return relative_error(out, ref).item()
