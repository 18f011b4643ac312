"""Style distance as the benchmarks use it: per-layer relative Gram errors and their mean."""

import numpy as np
import pytest
from PIL import Image

from stylelab.backbones import load_backbone
from stylelab.metrics import STYLE_LAYERS, style_distance, style_errors


@pytest.fixture(scope="module")
def net():
    return load_backbone("vgg19")


def test_a_painting_is_at_distance_zero_from_itself(net, painting):
    assert style_distance(painting, painting, net, size=96) == pytest.approx(0.0, abs=1e-6)


def test_style_distance_is_the_mean_of_the_layer_errors(net, photo, painting):
    errors = style_errors(photo, painting, net, size=96)
    assert list(errors) == list(STYLE_LAYERS)
    assert style_distance(photo, painting, net, size=96) == pytest.approx(np.mean(list(errors.values())))
    assert all(e > 0.01 for e in errors.values())  # a photo is not the painting at any layer


def test_a_flat_image_is_at_error_one_in_deep_layers(net, painting):
    # zero deep features give G = 0 and ‖0 − G‖² / ‖G‖² = 1: the bound a blurred output approaches
    flat = Image.new("RGB", (96, 72), (128, 128, 128))
    errors = style_errors(flat, painting, net, size=96)
    assert errors["relu5_1"] == pytest.approx(1.0, abs=0.05)



def test_images_and_tensors_convert_without_losing_a_level():
    import torch

    from stylelab.metrics import image_to_tensor, tensor_to_image

    levels = np.arange(256, dtype=np.uint8)
    picture = Image.fromarray(np.stack([levels, levels[::-1], levels], axis=-1).reshape(16, 16, 3), "RGB")
    tensor = image_to_tensor(picture)
    assert tensor.shape == (1, 3, 16, 16) and float(tensor.min()) == 0.0 and float(tensor.max()) == 1.0
    assert np.array_equal(np.asarray(tensor_to_image(tensor)), np.asarray(picture))
    assert np.asarray(tensor_to_image(torch.full((3, 2, 2), 100.6 / 255)))[0, 0, 0] == 101  # rounded, not cut
