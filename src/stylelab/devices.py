"""Torch devices from the names settings take: auto, cpu, cuda or cuda:N."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stylelab.errors import ConfigError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when present, else CPU; validate explicit names.

    Raises:
        ConfigError: unknown device, or CUDA asked for but not available.
    """
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(f"device: unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device: {name} asked for, but CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"device: {name} does not exist ({torch.cuda.device_count()} CUDA device(s))")
    elif device.type != "cpu":
        raise ConfigError(f"device: unsupported device {name!r}; use auto, cpu, cuda or cuda:N")
    return device


def device_label(device: torch.device) -> str:
    """The device a run used, as reported: ``cpu``, or ``cuda:N`` with N filled in for a bare ``cuda``."""
    import torch

    if device.type == "cuda" and device.index is None:
        return f"cuda:{torch.cuda.current_device()}"
    return str(device)
