"""Limits and defaults for the page, and a health check."""

from __future__ import annotations

from fastapi import APIRouter

from stylelab.experiments.drafts import CANVAS_LONG_SIDE
from stylelab.gatys.config import MIN_SIZE
from stylelab.web.schemas import ConfigOut, HealthOut
from stylelab.web.state import State

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/config")
def config(state: State) -> ConfigOut:
    """What the page needs to build its forms and check files before sending them."""
    settings = state.settings
    limits = settings.image_limits
    return ConfigOut(
        max_upload_bytes=settings.max_upload_bytes,
        min_side=limits.min_side,
        max_pixels=limits.max_pixels,
        max_aspect=limits.max_aspect,
        gatys_size=settings.gatys_size,
        gatys_iterations=settings.gatys_iterations,
        gatys_min_size=MIN_SIZE,
        gatys_max_size=settings.gatys_max_size,
        gatys_max_iterations=settings.gatys_max_iterations,
        fast_size=settings.fast_size,
        gatys_workers=settings.runner.gatys_workers,
        canvas_long_side=CANVAS_LONG_SIDE,
    )


@router.get("/health")
def health(state: State) -> HealthOut:
    """``ok`` is true while every worker process is alive."""
    workers = state.runner.status() if state.runner else []
    return HealthOut(ok=bool(workers) and all(worker["alive"] for worker in workers), workers=workers)
