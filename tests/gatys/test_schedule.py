import torch
import torch.nn.functional as F

from stylelab.gatys.schedule import (
    IterateAverage,
    scale_sizes,
    scaled_shape,
    warm_start_adam,
    warm_start_lbfgs,
)


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


def _fit_smooth_target(image: torch.Tensor, target: torch.Tensor, optimizer: torch.optim.LBFGS) -> float:
    """One L-BFGS step on mean((image - target)^2); returns the loss after it."""
    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = (image - target).pow(2).mean()
        loss.backward()
        return loss

    optimizer.step(closure)
    return (image - target).pow(2).mean().item()


def _coarse_then_fine(warm: bool) -> tuple[float, float]:
    torch.manual_seed(0)
    target = F.interpolate(torch.rand(1, 3, 4, 4), size=(16, 16), mode="bilinear", align_corners=False)
    coarse = torch.zeros(1, 3, 8, 8, requires_grad=True)
    coarse_opt = torch.optim.LBFGS([coarse], lr=1.0, max_iter=1, history_size=5)
    coarse_target = F.interpolate(target, size=(8, 8), mode="area")
    for _ in range(4):
        _fit_smooth_target(coarse, coarse_target, coarse_opt)
    fine = torch.zeros(1, 3, 16, 16, requires_grad=True)
    fine_opt = torch.optim.LBFGS([fine], lr=1.0, max_iter=1, history_size=5)
    if warm:
        warm_start_lbfgs(coarse_opt, fine_opt, (16, 16))
    before = (fine - target).pow(2).mean().item()
    return before, _fit_smooth_target(fine, target, fine_opt)


def test_warm_start_lbfgs_carries_the_curvature_scale_to_the_finer_scale():
    # The loss is a mean over pixels, so its curvature per pixel shrinks 4x at twice the size;
    # the carried history must account for that and solve this quadratic in one step.
    before, warm_after = _coarse_then_fine(warm=True)
    _, cold_after = _coarse_then_fine(warm=False)
    assert warm_after < 1e-4 * before
    assert cold_after > 0.5 * before  # a cold restart's first step is tiny


def test_warm_start_lbfgs_without_history_leaves_a_cold_start():
    previous = torch.optim.LBFGS([torch.zeros(1, 3, 8, 8, requires_grad=True)])
    current = torch.optim.LBFGS([torch.zeros(1, 3, 16, 16, requires_grad=True)])
    warm_start_lbfgs(previous, current, (16, 16))
    assert not current.state
