"""Synthetic "painted attempts": what a person's crude copy of a picture might look like.

Used to calibrate and benchmark the grade. A picture is repainted with thick,
jittered brush strokes that follow its edges, in a small palette, coarse to
fine in the manner of Hertzmann's painterly rendering (SIGGRAPH 1998): each
finer layer only repaints where the canvas still differs from the picture.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from stylelab.errors import ConfigError
from stylelab.validate import choice

# Brush radii per level, as fractions of the picture's long side.
LEVELS = {"crude": (1 / 40,), "medium": (1 / 40, 1 / 80), "careful": (1 / 40, 1 / 80, 1 / 160)}
PAPER = (245, 240, 228)
PALETTE_COLOURS = 8
REPAINT_THRESHOLD = 40.0  # RGB distance above which a finer layer repaints a spot
COLOUR_JITTER = 8.0  # RGB standard deviation of the colour a stroke aims for
ANGLE_JITTER = 0.25  # radians


def paint_attempt(picture: Image.Image, level: str = "medium", seed: int = 0) -> Image.Image:
    """Repaint ``picture`` with brush strokes; ``level`` is ``crude``, ``medium`` or ``careful``.

    Raises:
        ConfigError: unknown level.
    """
    choice("level", level, LEVELS)
    long_side = max(picture.size)
    radii = [max(1.5, fraction * long_side) for fraction in LEVELS[level]]
    return paint(picture.convert("RGB"), radii, np.random.default_rng(seed))


def paint(picture: Image.Image, radii: list[float], rng: np.random.Generator) -> Image.Image:
    """Paint ``picture`` with one layer of strokes per brush radius (largest first)."""
    if not radii:
        raise ConfigError("paint: at least one brush radius is needed")
    palette = small_palette(picture)
    canvas = Image.new("RGB", picture.size, PAPER)
    for layer, radius in enumerate(radii):
        reference = np.asarray(picture.filter(ImageFilter.GaussianBlur(radius / 2)), dtype=np.float32)
        gradient_y, gradient_x = np.gradient(reference @ np.array([0.299, 0.587, 0.114], dtype=np.float32))
        error = np.sqrt(((np.asarray(canvas, dtype=np.float32) - reference) ** 2).sum(axis=2))
        draw = ImageDraw.Draw(canvas)
        for x, y in stroke_centres(picture.size, radius, rng):
            if layer > 0 and error[y, x] < REPAINT_THRESHOLD:
                continue
            # strokes run along edges: perpendicular to the luminance gradient
            angle = np.arctan2(gradient_y[y, x], gradient_x[y, x]) + np.pi / 2 + rng.normal(0.0, ANGLE_JITTER)
            colour = nearest_colour(palette, reference[y, x] + rng.normal(0.0, COLOUR_JITTER, 3))
            draw_stroke(draw, (x, y), angle, radius * rng.uniform(2.0, 4.0),
                        max(1, round(2 * radius * rng.uniform(0.8, 1.2))), colour)
    return canvas


def small_palette(picture: Image.Image, colours: int = PALETTE_COLOURS) -> np.ndarray:
    """(colours, 3) RGB palette of the picture (median cut refined by k-means)."""
    quantised = picture.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, kmeans=4)
    return np.array(quantised.getpalette()[: 3 * colours], dtype=np.float32).reshape(-1, 3)


def nearest_colour(palette: np.ndarray, rgb: np.ndarray) -> tuple[int, int, int]:
    r, g, b = palette[np.argmin(((palette - rgb) ** 2).sum(axis=1))]
    return int(r), int(g), int(b)


def stroke_centres(size: tuple[int, int], radius: float, rng: np.random.Generator) -> np.ndarray:
    """Jittered grid of stroke centres, one per ``radius`` pixels, in random order."""
    width, height = size
    step = max(2, int(radius))
    ys, xs = np.mgrid[step // 2:height:step, step // 2:width:step]
    centres = np.stack([xs.ravel(), ys.ravel()], axis=1) + rng.uniform(-step / 2, step / 2, (xs.size, 2))
    centres = np.clip(np.round(centres), 0, [width - 1, height - 1]).astype(int)
    rng.shuffle(centres)
    return centres


def draw_stroke(draw: ImageDraw.ImageDraw, centre: tuple[int, int], angle: float, length: float, width: int,
                colour: tuple[int, int, int]) -> None:
    """A straight stroke with round ends."""
    x, y = centre
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    ends = ((x - dx, y - dy), (x + dx, y + dy))
    draw.line(ends, fill=colour, width=width)
    for end_x, end_y in ends:
        draw.ellipse([end_x - width / 2, end_y - width / 2, end_x + width / 2, end_y + width / 2], fill=colour)
