"""The autoencoder scorer: training lowers the loss, checkpoints round-trip, the shipped one loads offline."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from stylelab.errors import ConfigError, ModelError
from stylelab.grading import GradeConfig, Grader
from stylelab.grading.autoencoder import (
    Autoencoder,
    checkpoint_payload,
    load_autoencoder,
    reconstruction_loss,
    save_checkpoint,
    shipped_checkpoint,
    train_autoencoder,
)
from stylelab.grading.config import TrainConfig
from stylelab.imageio import load_image
from tests.grading.conftest import PHOTOS, shapes_picture

TINY = TrainConfig(
    steps=60,
    crops=48,
    crop_size=16,
    image_size=48,
    batch_size=8,
    learning_rate=3e-3,
    widths=(8, 16, 32, 32),
    code_channels=8,
    evaluations=4,
)


def small_photos() -> list[Image.Image]:
    return [load_image(path).resize((64, 48), Image.LANCZOS) for path in PHOTOS]


@pytest.fixture(scope="module")
def tiny_run():
    return train_autoencoder(small_photos(), TINY)


def test_training_a_few_steps_lowers_the_held_out_reconstruction_loss(tiny_run):
    assert len(tiny_run.history["train"]) == TINY.steps
    assert (
        tiny_run.history["validation_step"][0] == 0 and tiny_run.history["validation_step"][-1] == TINY.steps
    )
    assert tiny_run.final_loss < 0.7 * tiny_run.initial_loss, tiny_run.history["validation"]


def test_training_is_reproducible_with_a_seed(tiny_run):
    again = train_autoencoder(small_photos(), TINY)
    assert again.history["train"] == tiny_run.history["train"]


def test_progress_is_reported_every_step():
    calls = []
    train_autoencoder(
        [shapes_picture(0)],
        dataclasses.replace(TINY, steps=3),
        progress=lambda event: calls.append((event.step, event.total, event.loss > 0)),
    )
    assert calls == [(1, 3, True), (2, 3, True), (3, 3, True)]


def test_checkpoint_round_trip_gives_the_same_encoder(tiny_run, tmp_path):
    path = save_checkpoint(checkpoint_payload(tiny_run, TINY, ["a.png"]), tmp_path / "ae.pt")
    loaded = load_autoencoder(path)
    batch = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded.encode(batch)["code"], tiny_run.model.encode(batch)["code"])
    payload = torch.load(path, weights_only=True)
    assert (
        payload["sources"] == ["a.png"] and payload["history"]["validation"] == tiny_run.history["validation"]
    )


def test_shipped_checkpoint_loads_offline_with_weights_only():
    resource = shipped_checkpoint()
    assert resource.is_file()
    assert len(resource.read_bytes()) <= 5 * 1024 * 1024
    model = load_autoencoder()
    assert isinstance(model, Autoencoder) and not model.training
    assert not any(parameter.requires_grad for parameter in model.parameters())
    with torch.no_grad():
        code = model.encode(torch.rand(1, 3, 64, 96))["code"]
    assert code.shape == (1, model.code_channels, 8, 12)


def test_shipped_checkpoint_reconstructs_better_than_an_untrained_one():
    arrays = [np.asarray(shapes_picture(seed, 48, 48), dtype=np.float32) / 255.0 for seed in range(8)]
    crops = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    assert reconstruction_loss(load_autoencoder(), crops) < 0.5 * reconstruction_loss(Autoencoder(), crops)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", None])
def test_bad_checkpoints_raise_model_error(tmp_path, content):
    path = tmp_path / "bad.pt"
    if content is None:
        torch.save({"format": "something-else"}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(ModelError):
        load_autoencoder(path)


def test_checkpoint_with_mismatched_weights_raises_model_error(tiny_run, tmp_path):
    payload = checkpoint_payload(tiny_run, TINY, [])
    payload["widths"] = [9, 9, 9, 9]
    path = save_checkpoint(payload, tmp_path / "mismatch.pt")
    with pytest.raises(ModelError, match="do not match the autoencoder architecture \\(size mismatch for ") as info:
        load_autoencoder(path)
    assert "\n" not in str(info.value)


def test_autoencoder_scorer_grades_with_a_trained_checkpoint(tiny_run, tmp_path):
    path = save_checkpoint(checkpoint_payload(tiny_run, TINY, []), tmp_path / "ae.pt")
    grader = Grader(GradeConfig(scorer="autoencoder", size=64, checkpoint=str(path)))
    a, b = shapes_picture(1), shapes_picture(2)
    assert grader.grade(a, a.copy()).score == 10.0
    result = grader.grade(a, b)
    assert result.scorer == "autoencoder" and 0.0 <= result.score < 10.0
    assert result.distances == grader.grade(b, a).distances


@pytest.mark.parametrize(
    "changes",
    [
        {"steps": 0},
        {"crop_size": 20},
        {"crops": 1},
        {"learning_rate": 0.0},
        {"widths": (8, 8, 8)},
        {"widths": 5},
        {"batch_size": 2.5},
    ],
)
def test_bad_training_settings_raise_config_error(changes):
    with pytest.raises(ConfigError):
        TrainConfig(**changes)


def test_training_widths_computed_with_numpy_are_plain_ints_like_the_other_settings():
    config = TrainConfig(widths=np.array([8, 16, 32, 32]))
    assert config.widths == (8, 16, 32, 32) and all(type(width) is int for width in config.widths)


def test_training_needs_images():
    with pytest.raises(ConfigError):
        train_autoencoder([], TINY)
