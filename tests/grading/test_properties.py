"""Property-based checks on small random pictures: bounds, symmetry, monotonicity, determinism."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from stylelab.grading import Grader
from tests.grading.conftest import SMALL, shapes_picture

FEW = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
sides = st.integers(min_value=32, max_value=64)


def blurred(picture: Image.Image, radius: float) -> Image.Image:
    return picture.filter(ImageFilter.GaussianBlur(radius))


def noisy(picture: Image.Image, sigma: float, seed: int = 0) -> Image.Image:
    """The same noise pattern at every strength, so only the amount changes."""
    pattern = np.random.default_rng(seed).standard_normal((picture.height, picture.width, 3))
    array = np.asarray(picture, dtype=np.float64) / 255.0 + sigma * pattern
    return Image.fromarray((np.clip(array, 0.0, 1.0) * 255.0).round().astype(np.uint8))


def colour_shifted(picture: Image.Image, amount: float) -> Image.Image:
    """Warmer by ``amount`` (0…1): red up, blue down."""
    array = np.asarray(picture, dtype=np.float64) / 255.0 + np.array([amount, 0.0, -amount])
    return Image.fromarray((np.clip(array, 0.0, 1.0) * 255.0).round().astype(np.uint8))


def grades_of(grader: Grader, picture: Image.Image, variants: list[Image.Image]) -> list[float]:
    return [grader.grade(picture, variant).score for variant in variants]


def assert_decreasing(scores: list[float]) -> None:
    assert all(earlier > later for earlier, later in zip(scores, scores[1:], strict=False)), scores


@FEW
@given(seed_a=seeds, seed_b=seeds, width=sides, height=sides)
def test_grade_and_components_are_within_bounds(small_grader, seed_a, seed_b, width, height):
    grade = small_grader.grade(shapes_picture(seed_a, width, height), shapes_picture(seed_b, height, width))
    assert 0.0 <= grade.score <= 10.0
    assert 0.0 <= grade.similarity <= 1.0
    assert grade.score == 10.0 * grade.similarity
    assert set(grade.components) == {"style", "structure", "colour"}
    assert all(0.0 <= value <= 10.0 for value in grade.components.values())
    assert 0.0 <= grade.distances["style"] <= 1.0
    assert 0.0 <= grade.distances["structure"] <= 2.0
    assert grade.distances["colour"] >= 0.0


@FEW
@given(seed_a=seeds, seed_b=seeds, width=sides)
def test_grade_is_symmetric(small_grader, seed_a, seed_b, width):
    a, b = shapes_picture(seed_a, width, 48), noisy(shapes_picture(seed_b, 48, width), 0.05)
    forward, backward = small_grader.grade(a, b), small_grader.grade(b, a)
    assert abs(forward.score - backward.score) <= 0.1
    assert forward.distances == backward.distances  # symmetric by construction, not just within 0.1


@FEW
@given(seed=seeds)
def test_identical_pictures_grade_ten(small_grader, seed):
    picture = shapes_picture(seed)
    assert small_grader.grade(picture, picture.copy()).score == 10.0


@FEW
@given(seed=seeds)
def test_more_blur_grades_lower(small_grader, seed):
    picture = shapes_picture(seed, 64, 64)
    assert_decreasing(
        [10.0] + grades_of(small_grader, picture, [blurred(picture, r) for r in (0.7, 1.5, 3.0)])
    )


@FEW
@given(seed=seeds, noise_seed=seeds)
def test_more_noise_grades_lower(small_grader, seed, noise_seed):
    picture = shapes_picture(seed, 64, 64)
    variants = [noisy(picture, sigma, noise_seed) for sigma in (0.03, 0.1, 0.25)]
    assert_decreasing([10.0] + grades_of(small_grader, picture, variants))


@FEW
@given(seed=seeds)
def test_more_colour_shift_grades_lower(small_grader, seed):
    picture = shapes_picture(seed, 64, 64)
    variants = [colour_shifted(picture, amount) for amount in (0.05, 0.15, 0.35)]
    assert_decreasing([10.0] + grades_of(small_grader, picture, variants))


@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed_a=seeds, seed_b=seeds)
def test_grade_is_deterministic_across_graders(seed_a, seed_b):
    a, b = shapes_picture(seed_a), shapes_picture(seed_b)
    first = Grader(SMALL, cache_size=0).grade(a, b)
    second = Grader(SMALL, cache_size=0).grade(a, b)
    assert first == second
