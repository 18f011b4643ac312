import torch

from stylelab.gatys.schedule import IterateAverage, scale_sizes, scaled_shape, warm_start_adam


def test_automatic_scales_halve_down_to_the_minimum():
    assert scale_sizes(512, 0, 256) == [256, 512]
    assert scale_sizes(2048, 0, 256) == [256, 512, 1024, 2048]
    assert scale_sizes(200, 0, 256) == [200]


def test_explicit_scale_count():
    assert scale_sizes(1000, 3, 256) == [250, 500, 1000]
    assert scale_sizes(64, 1, 256) == [64]


def test_scaled_shape_keeps_aspect():
    assert scaled_shape(451, 300, 64) == (43, 64)
    assert scaled_shape(300, 451, 97) == (97, 65)


def test_iterate_average_is_bias_corrected():
    average = IterateAverage(torch.zeros(1), decay=0.9)
    average.update(torch.full((1,), 2.0))
    assert torch.allclose(average.value(), torch.tensor([2.0]))
    average.update(torch.full((1,), 4.0))
    assert 2.0 < average.value().item() < 4.0


def test_warm_start_adam_resizes_moments():
    small = torch.zeros(1, 3, 4, 4, requires_grad=True)
    first = torch.optim.Adam([small])
    small.grad = torch.ones_like(small)
    first.step()
    large = torch.zeros(1, 3, 8, 8, requires_grad=True)
    second = torch.optim.Adam([large])
    warm_start_adam(first, second, (8, 8))
    state = second.state[large]
    assert state["exp_avg"].shape == large.shape
    assert torch.allclose(state["exp_avg"], torch.full_like(large, 0.1))
