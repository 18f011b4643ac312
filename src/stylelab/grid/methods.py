"""The stylisation methods a grid can run, behind one small interface.

``gatys`` (:mod:`stylelab.gatys`) and ``fast`` (:mod:`stylelab.fast`, Ghiasi et
al. 2017). Each engine is imported on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from stylelab.validate import choice

METHODS = ("gatys", "fast")
WARM_UP_SIDE = 64  # px of the picture a worker warms Gatys up on


@dataclass(frozen=True)
class MethodOutput:
    """What one method run gives the grid: the picture, the loss per step (may be empty) and timings."""

    image: Image.Image
    history: dict[str, list[float]]
    timings: dict[str, float]


@dataclass(frozen=True)
class Method:
    """A stylisation method: its config class and how to run it."""

    name: str
    config_class: type

    def field_types(self) -> dict[str, str]:
        """Setting name → its annotation, e.g. ``{"size": "int", "style_layers": "tuple[str, ...] | None"}``."""
        return {f.name: str(f.type).replace(" ", "") for f in dataclasses.fields(self.config_class)}

    def make_config(self, values: Mapping[str, Any]) -> Any:
        """Build (and validate) the config; Gatys layers are resolved to the backbone's defaults.

        Raises:
            ConfigError: a bad value, naming the setting first (``"size: ..."``).
        """
        config = self.config_class(**values)
        return config.resolved() if hasattr(config, "resolved") else config

    def check_device(self, device: str) -> None:
        """Raise ConfigError if ``device`` cannot run this method on this machine (CUDA missing)."""
        if self.name == "gatys":
            from stylelab.devices import resolve_device

            resolve_device(device)
        else:
            from stylelab.fast.models import providers_for

            providers_for(device)

    def run(self, content: Image.Image, style: Image.Image, config: Any, stylizer: Any = None) -> MethodOutput:
        """Stylise ``content`` with ``style``; Ctrl-C propagates as KeyboardInterrupt.

        ``stylizer``: a warm FastStylizer for fast cells (default: a new one, models loaded in the call).
        """
        if self.name == "gatys":
            from stylelab.gatys.engine import stylize

            result = stylize(content, style, config)
            if result.interrupted:  # the engine swallows Ctrl-C to return its best image; a grid cell must not
                raise KeyboardInterrupt
            return MethodOutput(result.image, result.history, result.timings)
        from stylelab.fast import fast_stylize

        result = fast_stylize(content, style, config, stylizer=stylizer)
        return MethodOutput(result.image, {}, dict(result.timings))

    def setup(self, config: Any) -> tuple:
        """What a worker warms up once for every cell that shares it (see :meth:`warm_up`)."""
        if self.name == "gatys":
            return (self.name, config.backbone, config.pooling, config.optimizer, config.device)
        return (self.name, getattr(config, "device", "auto"))

    def warm_up(self, config: Any, stylizer: Any = None) -> None:
        """Pay the one-time costs of cells like ``config`` in this process: Gatys runs two steps on a
        tiny picture (torch's first steps are several times slower); fast loads ``stylizer``'s models."""
        if self.name == "fast":
            stylizer.warm_up()
            return
        from stylelab.gatys.engine import stylize

        tiny = Image.effect_noise((WARM_UP_SIDE, WARM_UP_SIDE), 64).convert("RGB")
        stylize(tiny, tiny, config.replace(size=min(config.size, WARM_UP_SIDE), iterations=2, scales=1,
                                           init="content", preview_every=0, seed=0))


def get_method(name: str) -> Method:
    """The method called ``name``.

    Raises:
        ConfigError: unknown method.
    """
    choice("method", name, METHODS)
    if name == "gatys":
        from stylelab.gatys.config import GatysConfig

        return Method("gatys", GatysConfig)
    from stylelab.fast import FastConfig

    return Method("fast", FastConfig)


def all_methods() -> dict[str, Method]:
    """Every method, by name."""
    return {name: get_method(name) for name in METHODS}
