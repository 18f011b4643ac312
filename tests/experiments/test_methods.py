"""The adapter to the real engines (marked slow)."""

from __future__ import annotations

import pickle

import pytest
from PIL import Image

from stylelab.errors import Cancelled
from stylelab.experiments.methods import FastOptions, GatysOptions, NeuralMethods


def test_neural_methods_pickle_without_their_models():
    methods = NeuralMethods(device="cpu", warm_up=False)
    methods._fast_stylizer = methods._grader = object()  # models built in a worker must not travel
    copy = pickle.loads(pickle.dumps(methods))
    assert (copy.device, copy.warm_up, copy._fast_stylizer, copy._grader) == ("cpu", False, None, None)


@pytest.mark.slow
def test_real_fast_method_returns_a_picture_of_the_asked_size(photo, painting):
    methods = NeuralMethods(device="cpu", warm_up=False)
    image = methods.run_fast(photo, painting, FastOptions(size=96))
    assert isinstance(image, Image.Image) and max(image.size) == 96
    again = methods.run_fast(photo, painting, FastOptions(size=64))  # the stylizer is kept between calls
    assert max(again.size) == 64


@pytest.mark.slow
def test_real_gatys_reports_progress_with_previews_and_stops_on_cancel(photo, painting):
    methods = NeuralMethods(device="cpu", warm_up=False)
    steps = []

    def progress(step):
        steps.append(step)
        if step.iteration == 3:
            raise Cancelled("enough")

    outcome = methods.run_gatys(
        photo, painting, GatysOptions(size=48, iterations=10, seed=1, preview_every=2), progress
    )
    assert outcome.interrupted
    assert [step.iteration for step in steps] == [1, 2, 3]
    assert steps[1].preview is not None and steps[0].preview is None
    assert set(steps[0].losses) >= {"style", "content"}
    finished = methods.run_gatys(
        photo, painting, GatysOptions(size=48, iterations=2, seed=1, preview_every=5), lambda step: None
    )
    assert not finished.interrupted and max(finished.image.size) == 48


@pytest.mark.slow
def test_real_grading_scores_an_image_against_itself_highest(photo, painting):
    methods = NeuralMethods(device="cpu", warm_up=False)
    same = methods.grade(photo, photo)
    other = methods.grade(photo, painting)
    assert same.score == 10.0 and 0 <= other.score < 5
    assert other.similarity == other.score / 10
    assert set(other.components) >= {"style", "structure", "colour"}
    assert all(0 <= value <= 10 for value in other.components.values())
    assert methods._grader is not None  # kept for the next job of this worker
