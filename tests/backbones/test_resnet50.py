import math

import pytest
import torch

from stylelab.backbones import default_layers, layer_names, load_backbone
from stylelab.backbones import resnet50 as resnet_module
from stylelab.cli import main
from stylelab.gatys.config import GatysConfig
from stylelab.gatys.engine import stylize
from tests.backbones import checkpoints

STAGES = ["conv1", "layer1", "layer2", "layer3", "layer4"]


@pytest.fixture(scope="module")
def state(resnet50_checkpoint):
    return torch.load(resnet50_checkpoint, weights_only=True)


@pytest.fixture(scope="module")
def image():
    return torch.rand(1, 3, 64, 56, generator=torch.Generator().manual_seed(2))


def test_plain_activations_match_an_independent_forward_over_torchvision_keys(
    resnet50_checkpoint, state, image
):
    net = load_backbone(f"resnet50-plain:{resnet50_checkpoint}")
    expected = checkpoints.resnet50_reference(state, image)
    with torch.no_grad():
        ours = net(image, STAGES)
    for layer in STAGES:
        assert ours[layer].shape == expected[layer].shape, layer
        assert torch.allclose(ours[layer], expected[layer], rtol=1e-4, atol=1e-4), layer
    assert ours["layer4"].shape == (1, 2048, 2, 2)


def test_swag_smooths_each_activation_with_a_softmax_scaled_to_mean_one(resnet50_checkpoint, state, image):
    net = load_backbone(f"resnet50:{resnet50_checkpoint}")
    expected = checkpoints.resnet50_reference(state, image)
    with torch.no_grad():
        ours = net(image, STAGES)
    for layer in STAGES:
        raw = expected[layer].flatten(1)
        smoothed = torch.softmax(raw, dim=1) * raw.shape[1]
        assert torch.allclose(ours[layer].flatten(1), smoothed, rtol=1e-3, atol=1e-5), layer
        assert ours[layer].mean().item() == pytest.approx(1.0, rel=1e-4)
        assert (ours[layer] > 0).all()


def test_smoothing_leaves_the_forward_chain_raw(resnet50_checkpoint, state, image):
    """Asking for an early layer must not change what deeper layers see."""
    net = load_backbone(f"resnet50:{resnet50_checkpoint}")
    with torch.no_grad():
        alone = net(image, ["layer2"])["layer2"]
        together = net(image, ["conv1", "layer1", "layer2"])["layer2"]
    assert torch.equal(alone, together)


def test_layer_map_defaults_and_stage_aliases():
    names = layer_names("resnet50:x.pth")
    assert names[:3] == ("conv1", "pool1", "layer1_0")
    assert [n for n in names if n.startswith("layer3")] == [f"layer3_{i}" for i in range(6)] + ["layer3"]
    assert len(names) == 2 + 16 + 4
    assert default_layers("resnet50:x.pth") == (("layer3",), tuple(STAGES))


def test_expected_keys_are_torchvisions_less_fc_and_counters():
    shapes = resnet_module.expected_shapes()
    full = checkpoints.resnet50_state()
    assert len(full) == 320  # torchvision's resnet50().state_dict()
    kept = {key for key in full if not resnet_module.is_optional(key)}
    assert set(shapes) == kept and len(shapes) == 265
    assert all(shapes[key] == full[key].shape for key in shapes)


def test_min_side_counts_every_downsampling_layer(resnet50_checkpoint):
    net = load_backbone(f"resnet50:{resnet50_checkpoint}")
    assert net.truncated(["layer2"]).min_side() == 8
    assert net.truncated(["layer4"]).min_side() == 32


@pytest.mark.slow
def test_gatys_runs_end_to_end_on_resnet50_with_its_default_layers(resnet50_checkpoint, photo, painting):
    config = GatysConfig(size=64, iterations=4, seed=0, backbone=f"resnet50:{resnet50_checkpoint}")
    result = stylize(photo, painting, config)
    assert result.image.size == (64, 43)
    assert result.config.style_layers == tuple(STAGES) and result.config.content_layers == ("layer3",)
    total = result.history["total"]
    assert len(total) == 4 and all(math.isfinite(v) for v in total)
    assert min(total) < total[0]  # the engine returns the lowest-loss iterate


@pytest.mark.slow
def test_plain_resnet50_lowers_the_loss(resnet50_checkpoint, photo, painting):
    config = GatysConfig(
        size=64,
        iterations=6,
        seed=0,
        optimizer="adam",
        learning_rate=0.05,
        backbone=f"resnet50-plain:{resnet50_checkpoint}",
    )
    total = stylize(photo, painting, config).history["total"]
    assert total[-1] < 0.5 * total[0]


@pytest.mark.parametrize("iterations, noted", [(8, False), (9, True)])  # 2 and 3 restarts
def test_lbfgs_that_keeps_running_away_gets_a_note_suggesting_adam(
    resnet50_checkpoint, photo, second_painting, iterations, noted
):
    # random SWAG weights: every third L-BFGS step multiplies the loss by ~300 (the clamp bounds it) and is undone
    config = GatysConfig(size=128, iterations=iterations, seed=0, backbone=f"resnet50:{resnet50_checkpoint}")
    result = stylize(photo, second_painting, config)
    assert max(result.history["total"]) > 100 * min(result.history["total"])
    if not noted:  # one or two restarts are the guard doing its job (after a long coarse scale)
        assert result.notes == []
    else:  # was silent
        assert result.notes == [
            f"L-BFGS ran away 3 times in {iterations} steps (a loss over 4× the best) and went back to the "
            "best image each time, so the result may have barely changed; `optimizer` adam may suit this "
            "backbone and these settings better"
        ]


def test_the_cli_prints_the_results_notes(resnet50_checkpoint, photo, second_painting, tmp_path, capsys):
    argv = [photo, second_painting, "-o", tmp_path / "out.png", "--size", "128", "--iterations", "9"]
    code = main(["stylize", *map(str, argv), "--seed", "0", "--quiet", "--backbone", f"resnet50:{resnet50_checkpoint}"])
    err = capsys.readouterr().err
    assert code == 0 and "note: L-BFGS ran away 3 times in 9 steps" in err and "--optimizer adam may suit" in err
