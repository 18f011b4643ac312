"""The Grader API: caching, configuration and bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

import stylelab
from stylelab.errors import ConfigError, InputError, ModelError
from stylelab.grading import Calibration, Grade, GradeConfig, Grader, grade
from stylelab.grading.features import working_image
from tests.grading.conftest import PAINTINGS, PHOTOS, SMALL, shapes_picture


def test_a_matrix_costs_one_feature_pass_per_image():
    grader = Grader(SMALL)
    images = [*PHOTOS[:2], *PAINTINGS[:2], PHOTOS[0]]  # the last repeats the first
    matrix = grader.matrix(images)
    assert grader.feature_passes == 4
    assert len(matrix) == 5 and all(len(row) == 5 for row in matrix)
    assert all(matrix[i][i].score == 10.0 for i in range(5))
    assert matrix[0][4].score == 10.0
    assert matrix[1][2] == grader.grade(images[1], images[2])
    assert grader.feature_passes == 4  # answered from the cache


def test_cache_is_keyed_by_content_not_by_source(small_grader, tmp_path):
    picture = shapes_picture(11)
    path = tmp_path / "same.png"
    picture.save(path)
    before = small_grader.feature_passes
    small_grader.features(picture)
    small_grader.features(path)
    small_grader.features(np.asarray(picture))
    assert small_grader.feature_passes == before + 1


def test_cache_keeps_only_the_most_recent_images():
    grader = Grader(SMALL, cache_size=2)
    pictures = [shapes_picture(seed) for seed in range(3)]
    for picture in pictures:
        grader.features(picture)
    grader.features(pictures[2])
    assert grader.feature_passes == 3
    grader.features(pictures[0])  # was dropped
    assert grader.feature_passes == 4


def test_grade_function_matches_grader_and_is_exported_lazily(small_grader):
    a, b = shapes_picture(5), shapes_picture(6)
    assert stylelab.grade is grade and stylelab.Grade is Grade
    assert grade(a, b, SMALL) == small_grader.grade(a, b)


def test_grade_is_the_documented_formula(small_grader):
    result = small_grader.grade(shapes_picture(7), shapes_picture(8))
    calibration = SMALL.calibration
    similarities = {
        name: np.exp(-((result.distances[name] / calibration.scales[name]) ** 2))
        for name in ("style", "structure", "colour")
    }
    expected = 10 * sum(calibration.weights[name] * similarities[name] for name in similarities)
    assert result.score == pytest.approx(expected, rel=1e-12)
    assert result.components == pytest.approx({name: 10 * value for name, value in similarities.items()})
    assert json.loads(json.dumps(result.as_dict()))["score"] == result.score


def test_a_non_finite_distance_is_a_model_error_not_a_perfect_grade():
    import torch

    from stylelab.grading.features import ImageFeatures, structure_distance
    from stylelab.grading.grader import combine

    broken = ImageFeatures(grams=[], layout=torch.full((4, 9), float("nan")), palette=None)
    assert np.isnan(structure_distance(broken, broken))  # not clamped to 0, "identical"
    with pytest.raises(ModelError, match=r"gave a non-finite structure distance \(nan\); its weights are broken"):
        combine({"style": 0.1, "structure": float("nan"), "colour": 2.0}, SMALL.calibration, "autoencoder")


def test_identical_images_grade_exactly_ten_whatever_the_weights_add_up_to():
    """Weights 0.1, 0.1, 0.6 normalise to three floats whose sum is 0.9999999999999999."""
    from stylelab.grading.grader import combine

    calibration = Calibration(0.1, 0.1, 0.6, 0.2, 0.5, 10.0)
    result = combine({"style": 0.0, "structure": 0.0, "colour": 0.0}, calibration, "vgg19")
    assert (result.score, result.similarity) == (10.0, 1.0)


def test_a_grade_never_exceeds_ten_when_the_weights_round_above_one():
    """Weights 0.1, 0.7, 0.375 normalise to three floats whose sum is 1.0000000000000002."""
    from stylelab.grading.grader import combine

    calibration = Calibration(0.1, 0.7, 0.375, 0.2, 0.5, 10.0)
    result = combine({"style": 1e-12, "structure": 1e-12, "colour": 1e-12}, calibration, "vgg19")
    assert result.similarity <= 1.0 and result.score <= 10.0


def test_a_calibration_that_weighs_only_structure_still_grades_two_flat_canvases():
    """Flat canvases have no structure evidence; scaling structure's weight down left nothing to divide by."""
    from stylelab.grading.grader import combine

    structure_only = Calibration(0.0, 1.0, 0.0, 0.2, 0.5, 10.0)
    result = combine({"style": 0.1, "structure": 0.5, "colour": 3.0}, structure_only, "vgg19", structure_evidence=0.0)
    assert result.weights == {"style": 0.0, "structure": 1.0, "colour": 0.0}
    assert result.score == pytest.approx(result.components["structure"])


def test_two_all_zero_gram_matrices_are_the_same_style():
    import torch

    from stylelab.grading.features import dice

    assert dice(torch.zeros(4, 4), torch.zeros(4, 4)) == 1.0


def test_the_structure_distance_of_two_nearly_equal_layouts_is_not_below_zero():
    """Rounding made 1 − cosine −2.2e-16 for this pair; the distance is documented as 0 to 2."""
    import torch

    from stylelab.grading.features import ImageFeatures, structure_distance

    generator = torch.Generator().manual_seed(0)
    x = torch.rand(8, 16, generator=generator, dtype=torch.float64)
    y = x * (1 + 1e-12 * torch.rand(8, 16, generator=generator, dtype=torch.float64))
    distance = structure_distance(ImageFeatures((), x, None), ImageFeatures((), y, None))
    assert 0.0 <= distance < 1e-9


def test_weights_change_the_grade_but_not_the_components(small_grader):
    a, b = shapes_picture(9), shapes_picture(10)
    colour_only = Calibration(0.0, 0.0, 1.0, 0.2, 0.5, 10.0)
    result = Grader(SMALL.replace(vgg19=colour_only)).grade(a, b)
    assert result.score == pytest.approx(result.components["colour"])
    assert result.components == small_grader.grade(a, b).components


@pytest.mark.parametrize(
    "changes", [{"scorer": "vgg"}, {"size": 8}, {"size": 256.0}, {"grid": 0}, {"grid": 33}, {"vgg19": "heavy"}]
)
def test_bad_config_values_raise_config_error(changes):
    with pytest.raises(ConfigError):
        GradeConfig(**changes)


def test_unknown_scorer_suggests_the_nearest():
    with pytest.raises(ConfigError, match="Did you mean 'vgg19'"):
        GradeConfig(scorer="vgg")


@pytest.mark.parametrize(
    "values",
    [
        (-1, 1, 1, 0.2, 0.5, 10),
        (0, 0, 0, 0.2, 0.5, 10),
        (1, 1, 1, 0, 0.5, 10),
        (1, 1, 1, 0.2, float("nan"), 10),
    ],
)
def test_bad_calibrations_raise_config_error(values):
    with pytest.raises(ConfigError):
        Calibration(*values)


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "text", "truncated", "tiny"])
def test_bad_image_files_raise_input_error(small_grader, bad_images, good_image, kind):
    with pytest.raises(InputError, match=str(bad_images[kind].name)):
        small_grader.grade(bad_images[kind], good_image)


def test_bad_arrays_raise_input_error(small_grader, good_image):
    with pytest.raises(InputError):
        small_grader.grade(np.zeros((8, 8, 3), np.uint8), good_image)
    with pytest.raises(InputError):
        small_grader.grade(np.full((32, 32, 3), np.nan), good_image)


def test_missing_autoencoder_checkpoint_raises_model_error(tmp_path, good_image):
    grader = Grader(GradeConfig(scorer="autoencoder", size=64, checkpoint=str(tmp_path / "none.pt")))
    with pytest.raises(ModelError, match="no such checkpoint"):
        grader.grade(good_image, good_image)


def test_extreme_aspect_ratio_keeps_a_workable_short_side():
    picture = working_image(Image.new("RGB", (800, 50)), 64)
    assert min(picture.size) >= 32
    assert Grader(SMALL).grade(picture, shapes_picture(1)).score <= 10.0


def test_flat_images_grade_sensibly(small_grader):
    grey = Image.new("RGB", (48, 48), (128, 128, 128))
    black = Image.new("RGB", (48, 48), (0, 0, 0))
    assert small_grader.grade(grey, grey.copy()).score == 10.0
    result = small_grader.grade(grey, black)
    assert np.isfinite(result.score) and result.score < 10.0


@pytest.mark.parametrize("scorer", ["default_grader", "autoencoder_grader"])
def test_two_flat_canvases_of_other_colours_grade_near_zero(scorer, request):
    # both lack a layout, so their equal flatness is not a structure match (white vs black graded 4.8)
    grader: Grader = request.getfixturevalue(scorer)
    canvases = [Image.new("RGB", (451, 300), colour) for colour in ("white", "black", "red", (128, 128, 128))]
    for other in canvases[1:]:
        result = grader.grade(canvases[0], other)
        assert result.score <= 0.5, (other.getpixel((0, 0)), result)
        assert result.weights["structure"] == 0.0
        assert sum(result.weights.values()) == pytest.approx(1.0)
    assert grader.grade(canvases[0], canvases[0].copy()).score == 10.0


def test_structure_keeps_its_weight_when_one_image_has_a_layout(default_grader):
    blank = Image.new("RGB", (451, 300), "white")
    drawing = blank.copy()
    ImageDraw.Draw(drawing).line((50, 50, 300, 200), fill="black", width=6)
    result = default_grader.grade(blank, drawing)
    assert result.weights == pytest.approx(default_grader.config.calibration.weights)
    assert result.as_dict()["weights"] == result.weights


def test_weights_at_full_structure_evidence_are_the_calibrations_to_the_last_bit():
    from stylelab.grading.grader import weights_for

    calibration = Calibration(0.1, 0.7, 0.3, 0.2, 0.5, 10.0)  # renormalising these changed their last bits
    assert weights_for(calibration, 1.0) == calibration.weights
    assert weights_for(calibration, 0.0)["structure"] == 0.0


def test_the_layout_leaves_out_the_borders_that_zero_padding_shapes(default_grader):
    from stylelab.grading.features import layout_share

    flat = default_grader.features(Image.new("RGB", (451, 300), "red"))
    assert layout_share(flat) == pytest.approx(0.0, abs=1e-6)  # 0.081 with the borders in
    assert layout_share(default_grader.features(PHOTOS[0])) > 0.2


def test_unusable_device_raises_config_error(good_image):
    with pytest.raises(ConfigError, match="device"):
        Grader(SMALL.replace(device="cuda:7")).grade(good_image, good_image)


@pytest.mark.parametrize("changes, message", [
    ({"device": "meta"}, "device: unknown value 'meta'"), ({"device": 5}, "device: unknown value 5"),
    ({"checkpoint": 5}, "checkpoint: expected a path, got int")])
def test_grade_settings_are_validated_like_the_engines(changes, message):
    with pytest.raises(ConfigError, match=message):
        SMALL.replace(**changes)


def test_a_matrix_of_one_image_is_refused(good_image):
    with pytest.raises(InputError, match="images: expected a list of images, got one str"):
        Grader(SMALL).matrix("photo.jpg")  # was taken letter by letter: "/: is a directory"


@pytest.mark.parametrize("images, kind", [(None, "NoneType"), (5, "int")])
def test_a_matrix_of_something_that_is_not_a_list_is_refused(images, kind):
    with pytest.raises(InputError, match=f"images: expected a list of images, got {kind}"):
        Grader(SMALL).matrix(images)


def test_auto_device_grades(good_image):
    assert Grader(SMALL.replace(device="auto")).grade(good_image, good_image).score == 10.0


def test_a_bad_second_image_fails_before_any_feature_pass(bad_images, good_image):
    grader = Grader(SMALL)
    with pytest.raises(InputError, match="notes.jpg"):
        grader.grade(good_image, bad_images["text"])
    with pytest.raises(InputError, match="image 2"):
        grader.matrix([good_image, np.zeros((4, 4, 3), np.uint8)])
    assert grader.feature_passes == 0
