"""Coarse-to-fine scale schedule and small optimisation helpers."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def scale_sizes(size: int, scales: int, min_scale: int) -> list[int]:
    """Long sides from coarsest to finest, ending exactly at ``size``.

    ``scales`` > 0 gives that many scales, each half the next; 0 halves
    ``size`` while the result stays at or above ``min_scale``.
    """
    if scales == 0:
        sizes = [size]
        while sizes[-1] // 2 >= min_scale:
            sizes.append(sizes[-1] // 2)
    else:
        sizes = [max(16, size >> k) for k in range(scales)]
    return sorted(set(sizes))


def scaled_shape(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(height, width) of a ``width``×``height`` image scaled to ``long_side`` (same rounding as imageio)."""
    scale = long_side / max(width, height)
    return max(1, round(height * scale)), max(1, round(width * scale))


def upsample(image: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize of an (N, C, H, W) tensor to ``shape`` (the next scale's start)."""
    return F.interpolate(image, size=shape, mode="bicubic", align_corners=False).clamp(0, 1)


class IterateAverage:
    """Exponential moving average of the iterates with bias correction.

    Averaging smooths the high-frequency jitter of late Adam/L-BFGS steps
    (as in crowsonkb/style-transfer-pytorch); ``decay`` 0.9 averages roughly
    the last ten iterates.
    """

    def __init__(self, image: torch.Tensor, decay: float):
        self.decay = decay
        self.accumulated = torch.zeros_like(image)
        self.weight = 0.0

    def update(self, image: torch.Tensor) -> None:
        self.accumulated.mul_(self.decay).add_(image.detach(), alpha=1 - self.decay)
        self.weight = self.weight * self.decay + (1 - self.decay)

    def value(self) -> torch.Tensor:
        return self.accumulated / max(self.weight, 1e-12)


def warm_start_adam(previous: torch.optim.Adam, current: torch.optim.Adam, shape: tuple[int, int]) -> None:
    """Carry Adam's moment estimates to the next scale, resized (crowsonkb's ``scale_adam``).

    Without this, Adam restarts with zero moments and its first steps at the
    new scale are too large, undoing the coarse result.
    """
    (old_param,) = previous.param_groups[0]["params"]
    (new_param,) = current.param_groups[0]["params"]
    old_state = previous.state.get(old_param)
    if not old_state:
        return
    current.state[new_param] = {
        "step": old_state["step"].clone(),
        "exp_avg": F.interpolate(old_state["exp_avg"], size=shape, mode="bilinear", align_corners=False),
        "exp_avg_sq": F.interpolate(old_state["exp_avg_sq"], size=shape, mode="bilinear",
                                    align_corners=False).clamp_min(0),
    }


def warm_start_lbfgs(previous: torch.optim.LBFGS, current: torch.optim.LBFGS, shape: tuple[int, int]) -> None:
    """Carry L-BFGS's curvature pairs to the next scale, resized.

    Not in Gatys et al.: without it L-BFGS restarts with no history and a
    first step of length 1/|g|_1, so the first steps at the fine scale (the
    costly ones) barely move. Step pairs ``s`` are pixel displacements and are
    resized as images; gradient differences ``y`` are resized and divided by
    the pixel-count ratio, because every loss term is a mean over positions.
    """
    (old_param,) = previous.param_groups[0]["params"]
    (new_param,) = current.param_groups[0]["params"]
    old_state = previous.state.get(old_param)
    if not old_state or not old_state.get("old_dirs"):
        return
    ratio = new_param.numel() / old_param.numel()

    def resized(vector: torch.Tensor) -> torch.Tensor:
        image = vector.view_as(old_param)
        return F.interpolate(image, size=shape, mode="bilinear", align_corners=False).flatten()

    # Newest first, resizing only the pairs that fit the new (possibly shorter) history.
    newest_first = []
    for y, s in zip(reversed(old_state["old_dirs"]), reversed(old_state["old_stps"]), strict=True):
        if len(newest_first) == current.defaults["history_size"]:
            break
        y, s = resized(y) / ratio, resized(s)
        ys = y.dot(s)
        if ys > 1e-10:
            newest_first.append((y, s, ys))
    pairs = newest_first[::-1]
    if not pairs:
        return
    last_y, _, last_ys = pairs[-1]
    flat = new_param.detach().flatten()
    # n_iter 1 with a zero previous step: the next step() uses this history and a full step length.
    current.state[new_param] = {
        "func_evals": 0, "n_iter": 1, "d": torch.zeros_like(flat), "t": 1.0,
        "old_dirs": [y for y, _, _ in pairs], "old_stps": [s for _, s, _ in pairs],
        "ro": [1.0 / ys for _, _, ys in pairs], "H_diag": last_ys / last_y.dot(last_y),
        "prev_flat_grad": torch.zeros_like(flat), "prev_loss": None,
    }
