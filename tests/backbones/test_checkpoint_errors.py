"""A missing, foreign or mismatched checkpoint gets a ModelError naming the expected keys."""

import re

import pytest
import torch

from stylelab.backbones import check_checkpoint, load_backbone, parse_backbone
from stylelab.cli import main
from stylelab.errors import ConfigError, ModelError
from stylelab.gatys.config import GatysConfig
from tests.backbones import checkpoints

STATES = {"vgg16": checkpoints.vgg16_state, "resnet50": lambda: checkpoints.resnet50_state(fc=False)}
FIRST_KEY = {"vgg16": "features.0.weight", "resnet50": "conv1.weight"}
COUNT = {"vgg16": "26 in all", "resnet50": "265 in all"}


@pytest.fixture(scope="module", params=sorted(STATES))
def arch_state(request):
    return request.param, STATES[request.param]()


def save(tmp_path, state):
    return checkpoints.save(state, tmp_path / "model.pth")


def expect_model_error(spec, *patterns):
    for check in (load_backbone, check_checkpoint):
        with pytest.raises(ModelError) as info:
            check(spec)
        for pattern in patterns:
            assert pattern in str(info.value)


@pytest.mark.parametrize("arch", sorted(STATES))
def test_missing_file_and_directory(tmp_path, arch):
    expect_model_error(f"{arch}:{tmp_path / 'nope.pth'}", "no such file", "nope.pth")
    expect_model_error(f"{arch}:{tmp_path}", "is a directory")


@pytest.mark.parametrize("content", [b"", b"hello, not a checkpoint\n" * 20, b"PK\x03\x04broken zip", b"hi\n"])
def test_files_that_are_not_checkpoints(tmp_path, content):
    path = tmp_path / "weights.pth"
    path.write_bytes(content)
    expect_model_error(f"vgg16:{path}", "not a PyTorch checkpoint")
    with pytest.raises(ModelError) as info:  # not the unpickler's KeyError('105') or advice to load unsafely
        check_checkpoint(f"vgg16:{path}")
    assert re.search(r"can be read safely \(\w+\)$", str(info.value)) and "\n" not in str(info.value)


def test_a_checkpoint_that_is_not_a_state_dict(tmp_path):
    expect_model_error(
        f"resnet50:{save(tmp_path, {'epoch': 3, 'lr': 0.1})}", "expected a state dict of tensors"
    )


def test_missing_keys_name_the_expected_keys_and_their_count(tmp_path, arch_state):
    arch, state = arch_state
    partial = dict(list(state.items())[len(state) // 2 :])
    expect_model_error(
        f"{arch}:{save(tmp_path, partial)}", "missing", FIRST_KEY[arch], COUNT[arch], "Expected keys:"
    )


def test_wrong_shape_is_named(tmp_path, arch_state):
    arch, state = arch_state
    broken = dict(state)
    broken[FIRST_KEY[arch]] = torch.zeros(8, 3, 3, 3)
    expect_model_error(f"{arch}:{save(tmp_path, broken)}", "wrong shape", FIRST_KEY[arch], COUNT[arch])


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_named_at_load_time(tmp_path, arch_state, value):
    arch, state = arch_state
    broken = dict(state)
    broken[FIRST_KEY[arch]] = state[FIRST_KEY[arch]].clone()
    broken[FIRST_KEY[arch]][0, 0, 0, 0] = value
    path = save(tmp_path, broken)
    # was a ConfigError at step 1 blaming the loss weights ("the settings overflow float32")
    expect_model_error(f"{arch}:{path}", str(path), f"non-finite values (NaN or infinity) in {FIRST_KEY[arch]}")


def test_unexpected_keys_are_named(tmp_path, arch_state):
    arch, state = arch_state
    extra = dict(state)
    extra["layer3.6.conv1.weight"] = torch.zeros(1)  # e.g. a ResNet101 or a different VGG
    expect_model_error(f"{arch}:{save(tmp_path, extra)}", "1 unexpected (layer3.6.conv1.weight)")


def test_vgg16_checkpoint_for_resnet50_is_refused(tmp_path):
    expect_model_error(
        f"resnet50:{save(tmp_path, checkpoints.vgg16_state())}", "265 missing", "26 unexpected"
    )


def test_wrapped_and_dataparallel_checkpoints_are_accepted(tmp_path):
    state = checkpoints.vgg16_state()
    wrapped = {"epoch": 90, "state_dict": {f"module.{k}": v for k, v in state.items()}}
    assert load_backbone(f"vgg16:{save(tmp_path, wrapped)}").name == "vgg16"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("vgg16", "needs a torchvision-format checkpoint"),
        ("resnet50", "needs a torchvision-format checkpoint"),
        ("vgg19:/x.pth", "takes no checkpoint"),
        ("resnet:/x.pth", "Did you mean 'resnet50'"),
        (16, "expected a string"),
    ],
)
def test_backbone_specs_are_validated(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_backbone(spec)
    with pytest.raises(ConfigError, match=message):
        GatysConfig(backbone=spec)


@pytest.mark.parametrize("device, message", [("bogus", "unknown device 'bogus'"), ("gpu", "unknown device 'gpu'")])
def test_load_backbone_refuses_an_unknown_device_as_a_config_error(device, message):
    with pytest.raises(ConfigError, match=message):
        load_backbone("vgg19", device=device)


def test_load_backbone_takes_auto_like_the_settings():
    assert next(load_backbone("vgg19", device="auto").parameters()).device.type in ("cpu", "cuda")


def test_cli_reports_a_missing_checkpoint_with_exit_2(tmp_path, capsys, photo, painting):
    out = tmp_path / "out.png"
    code = main(
        [
            "stylize",
            str(photo),
            str(painting),
            "-o",
            str(out),
            "--size",
            "32",
            "--iterations",
            "1",
            "--backbone",
            f"vgg16:{tmp_path / 'missing.pth'}",
        ]
    )
    assert code == 2
    assert "error: vgg16 checkpoint" in capsys.readouterr().err
    assert not out.exists()
