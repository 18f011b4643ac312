import pytest
import torch

from stylelab.backbones import default_layers, layer_names, load_backbone
from stylelab.backbones import vgg16 as vgg16_module
from stylelab.gatys.config import GatysConfig
from stylelab.gatys.engine import stylize
from tests.backbones import checkpoints


@pytest.fixture(scope="module")
def net(vgg16_checkpoint):
    return load_backbone(f"vgg16:{vgg16_checkpoint}")


def test_activations_match_an_independent_forward_over_torchvision_keys(net, vgg16_checkpoint):
    state = torch.load(vgg16_checkpoint, weights_only=True)
    image = torch.rand(1, 3, 48, 40, generator=torch.Generator().manual_seed(1))
    expected = checkpoints.vgg16_reference(state, image)
    with torch.no_grad():
        ours = net(image, list(expected))
    assert set(ours) == set(expected) and len(expected) == 13
    for layer, value in expected.items():
        assert torch.allclose(ours[layer], value, rtol=1e-4, atol=1e-5), layer


def test_layer_map_and_defaults():
    names = layer_names("vgg16:x.pth")
    assert len(names) == 31 and names[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert names[-3:] == ("conv5_3", "relu5_3", "pool5")
    assert default_layers("vgg16:x.pth") == (
        ("relu4_2",),
        ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
    )
    assert vgg16_module.torchvision_names()["conv5_3"] == "features.28"


def test_expected_keys_are_torchvisions_feature_keys():
    shapes = vgg16_module.expected_shapes()
    assert len(shapes) == 26
    assert shapes["features.0.weight"] == (64, 3, 3, 3) and shapes["features.28.bias"] == (512,)


def test_classifier_keys_are_ignored(tmp_path):
    path = checkpoints.save(checkpoints.vgg16_state(classifier=True), tmp_path / "full.pth")
    assert load_backbone(f"vgg16:{path}").name == "vgg16"


@pytest.mark.slow
def test_gatys_runs_end_to_end_on_vgg16(vgg16_checkpoint, photo, painting):
    result = stylize(
        photo, painting, GatysConfig(size=32, iterations=4, seed=0, backbone=f"vgg16:{vgg16_checkpoint}")
    )
    assert result.image.size == (32, 21)
    assert result.config.content_layers == ("relu4_2",)
    assert result.history["total"][-1] < result.history["total"][0]


def test_reductions_run_in_the_forward_pass_and_replace_the_activation(net):
    image = torch.rand(1, 3, 48, 40, generator=torch.Generator().manual_seed(2), requires_grad=True)
    plain = net(image, ["relu1_1", "relu3_1"])
    reduced = net(image, ["relu1_1", "relu3_1"], reduce={"relu1_1": lambda f: f.pow(2).sum()})
    assert torch.allclose(reduced["relu1_1"], plain["relu1_1"].pow(2).sum())
    assert torch.equal(reduced["relu3_1"], plain["relu3_1"])
    # Created before the deeper layers, the reduction's backward node runs after theirs.
    assert reduced["relu1_1"].grad_fn._sequence_nr() < reduced["relu3_1"].grad_fn._sequence_nr()
