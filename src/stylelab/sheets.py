"""Side-by-side sheets and loss-curve plots (PIL and matplotlib, no global state)."""

from __future__ import annotations

import functools
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from stylelab.imageio import atomic_write

LABEL_HEIGHT = 28
LINE_HEIGHT = 19  # a further line of a 16 px label
GAP = 8
MARKER = re.compile(r"#\d+ ")  # "#2 " before a setting's label in the report
COLOURS = 10  # in matplotlib's colour cycle: each further ten curves get the next line style
LINE_STYLES = ("-", "--", "-.", ":")
LEGEND_INSIDE = 6  # legend entries drawn over the plot; more go beside it, which grows the figure to fit them
LEGEND_ROWS = 30  # entries per column of a legend beside the plot


@functools.cache  # fit_label measures a label once per length it tries: 0.4 ms a file read each time
def sheet_font(size: int = 16) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The sheets' font: DejaVu Sans, shipped with matplotlib (accents, dashes, Greek and Cyrillic: file
    names are not ASCII), else Pillow's default, which draws such characters as empty boxes."""
    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def text_width(text: str, size: int = 16) -> float:
    """Width in pixels of ``text`` in the sheets' font at ``size``."""
    return sheet_font(size).getlength(text)


def fit_label(text: str, width: float, size: int = 16) -> str:
    """``text`` cut in the middle ("portrait_o…_A") to fit ``width`` pixels: names tend to differ at
    their ends. A leading ``#N`` marker (a report's setting number) is always kept whole."""
    if text_width(text, size) <= width:
        return text
    marker = MARKER.match(text)
    kept = marker[0] if marker else ""
    rest = text[len(kept):]
    for length in range(len(rest) - 1, 0, -1):
        head = (length + 1) // 2
        candidate = kept + rest[:head] + "…" + rest[len(rest) - (length - head):]
        if text_width(candidate, size) <= width:
            return candidate
    return kept + "…"


def side_by_side(panels: Sequence[tuple[str, Image.Image]], height: int = 320, label_lines: int = 1
                 ) -> Image.Image:
    """One row of labelled pictures, each scaled to ``height``. A label longer than its picture wraps
    after its commas onto up to ``label_lines`` lines; what still does not fit is cut in the middle."""
    scaled = [(label, image.convert("RGB").resize((max(1, round(image.width * height / image.height)), height),
                                                  Image.LANCZOS)) for label, image in panels]
    wrapped = [wrap_label(label, image.width, label_lines) for label, image in scaled]
    band = LABEL_HEIGHT + LINE_HEIGHT * (max(len(lines) for lines in wrapped) - 1)
    width = sum(image.width for _, image in scaled) + GAP * (len(scaled) + 1)
    sheet = Image.new("RGB", (width, height + band + 2 * GAP), "white")
    draw = ImageDraw.Draw(sheet)
    font = sheet_font(16)
    x = GAP
    for (_, image), lines in zip(scaled, wrapped, strict=True):
        for row, line in enumerate(lines):
            draw.text((x, GAP // 2 + 2 + row * LINE_HEIGHT), line, fill=(30, 30, 30), font=font)
        sheet.paste(image, (x, band + GAP))
        x += image.width + GAP
    return sheet


def wrap_label(text: str, width: float, lines: int = 1, size: int = 16) -> list[str]:
    """``text`` on at most ``lines`` lines of ``width`` pixels, broken after commas where it can;
    the last line is cut in the middle if the rest does not fit."""
    parts = [part + "," for part in text.split(",")]
    parts[-1] = parts[-1][:-1]
    wrapped: list[str] = []
    while parts and len(wrapped) < lines - 1:
        taken = 1
        while taken < len(parts) and text_width("".join(parts[:taken + 1]).strip(), size) <= width:
            taken += 1
        wrapped.append(fit_label("".join(parts[:taken]).strip(), width, size))
        parts = parts[taken:]
    if parts:
        wrapped.append(fit_label("".join(parts).strip(), width, size))
    return wrapped


def grid_sheet(rows: Sequence[Sequence[Image.Image]], row_labels: Sequence[str], column_labels: Sequence[str],
               cell: int = 160) -> Image.Image:
    """A contact sheet: one thumbnail per cell, labels along the top and left."""
    label_width = 120
    width = label_width + len(column_labels) * (cell + GAP) + GAP
    height = LABEL_HEIGHT + len(rows) * (cell + GAP) + GAP
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = sheet_font(14)
    for column, label in enumerate(column_labels):
        draw.text((label_width + column * (cell + GAP) + GAP, 6), fit_label(label, cell - 4, 14), fill=(30, 30, 30),
                  font=font)
    for row, (label, images) in enumerate(zip(row_labels, rows, strict=True)):
        top = LABEL_HEIGHT + row * (cell + GAP)
        draw.text((6, top + cell // 2 - 8), fit_label(label, label_width - 12, 14), fill=(30, 30, 30), font=font)
        for column, image in enumerate(images):
            thumb = image.convert("RGB")
            thumb.thumbnail((cell, cell), Image.LANCZOS)
            sheet.paste(thumb, (label_width + column * (cell + GAP) + GAP, top))
    return sheet


def scale_changes(histories: Mapping[str, Mapping[str, Sequence[float]]]) -> list[int]:
    """Steps after which any run's ``scale`` entry moves to the next scale (sorted, no repeats)."""
    changes = set()
    for history in histories.values():
        scales = history.get("scale", [])
        changes |= {step for step in range(1, len(scales)) if scales[step] != scales[step - 1]}
    return sorted(changes)


def save_loss_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], path: str | Path,
                     title: str = "Loss per step", name_runs: bool | None = None) -> Path:
    """Plot the loss terms of one or more runs (log scale) to a PNG, atomically.

    ``histories`` maps a run label to its history (term → values per step); a
    ``scale`` entry, if present, marks where the coarse-to-fine scales change.
    ``name_runs``: put the run label before each term in the legend (default: when there are several).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(7, 4), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    curves = 0
    for run_label, history in histories.items():
        prefix = f"{run_label}: " if (len(histories) > 1 if name_runs is None else name_runs) else ""
        for term in ("total", "style", "content", "tv"):
            values = history.get(term, [])
            if values and max(values) > 0:
                axes.plot(range(1, len(values) + 1), values, label=f"{prefix}{term}",
                          linestyle=LINE_STYLES[curves // COLOURS % len(LINE_STYLES)])
                curves += 1
    changes = scale_changes(histories)
    for step in changes:
        axes.axvline(step + 0.5, color="grey", linestyle=":", linewidth=1)
    axes.set_yscale("log")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
    axes.set_xlabel("step (dotted lines: next scale)" if changes else "step")
    axes.set_ylabel("weighted loss")
    axes.set_title(textwrap.fill(title, 80), fontsize=10)  # a long setting label would run off the figure
    _add_legend(figure, axes)
    figure.tight_layout()
    path = Path(path)
    with atomic_write(path) as temp:
        figure.savefig(temp, format="png")
    return path


def _add_legend(figure, axes) -> None:
    """A legend over the plot, or beside it (the figure grown to fit) when it has many entries."""
    entries = len(axes.get_legend_handles_labels()[0])
    if entries > LEGEND_INSIDE:  # over the plot, a long legend would hide most of the curves (or run off it)
        legend = axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0,
                             ncol=math.ceil(entries / LEGEND_ROWS))
        box = legend.get_window_extent(figure.canvas.get_renderer())  # in pixels, whatever the figure's size
        width, height = figure.get_size_inches()
        figure.set_size_inches(width + box.width / figure.dpi + 0.2, max(height, box.height / figure.dpi + 0.5))
    elif entries:
        axes.legend(fontsize=8, framealpha=0.5)  # the curves show through where it covers them
