"""Turn a grid folder into ``report.html`` and ``report.md``.

Both reference the pictures in ``DIR/report/`` (and nothing outside ``DIR``),
so the HTML opens from disk with no server, no script and no network:

* a contact sheet per setting (rows: photos, columns: paintings);
* side-by-side comparisons of the settings for every photo × painting;
* loss curves: the median total loss per step for each setting, and each
  setting's cells;
* a timing table (median and spread per setting);
* quality numbers per cell: style and content distance (:mod:`stylelab.metrics`,
  VGG19 at ``eval_size``), and the grade (:mod:`stylelab.grading`, when this build
  has it) of each setting's output against the first setting's, for the same pair.

Quality numbers and grades are computed once and cached in the index.
"""

from __future__ import annotations

import html
import importlib
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from stylelab.errors import InputError, OutputError
from stylelab.grid.index import CellRecord, Index, open_existing
from stylelab.imageio import atomic_write, check_not_empty, load_image
from stylelab.locks import grid_lock
from stylelab.metrics import EVAL_SIZE
from stylelab.validate import help_text, integer, plain_numbers

ASSETS_DIR = "report"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
COMPARISON_PANELS = 4  # pictures per row of a side-by-side comparison: wider would be shrunk on the page
COMPARISON_LABEL_LINES = 3  # a setting's label wraps after its commas onto this many lines
TIMING_NOTE = ("Wall time per cell in its worker, from reading the inputs to the encoded output. Each worker "
               "warms up before its first cell of a kind (loads the fast models once, runs Gatys two steps on a "
               "tiny picture); that time is not counted here.")
GENERATED_PICTURE = re.compile(r"sheet-\d+\.jpg|compare-\d+-\d+\.jpg|loss-(\d+|medians)\.png")
PLACEHOLDER_TYPE = 11  # px: the smallest type a missing picture's reason is written in
LEGEND_WIDTH = 320  # px of the sheets font a legend entry may take before its setting names go


@dataclass(frozen=True)
class ReportConfig:
    """Settings of ``stylelab report`` (the single source of its defaults)."""

    eval_size: int = field(
        default=EVAL_SIZE,
        metadata=help_text("long side at which style and content distances are measured (VGG19)"),
    )
    thumbnail: int = field(default=160, metadata=help_text(
        "side of each picture in the contact sheets, and height of the side-by-side comparisons, in px"))

    def __post_init__(self) -> None:
        plain_numbers(self)
        integer("eval_size", self.eval_size, minimum=32, maximum=4096)
        integer("thumbnail", self.thumbnail, minimum=32, maximum=1024)


@dataclass
class _Data:
    """Everything the report shows, gathered from the index."""

    folder: Path
    layout: dict[str, Any]
    records: dict[str, CellRecord]
    grid: dict[tuple[int, int, int], str]  # (setting, content, style) → key
    grades: dict[str, float] = field(default_factory=dict)  # key → grade against the reference setting
    grade_note: str = ""
    places: dict[str, tuple[int, int, int]] = field(init=False)  # key → (setting, content, style)

    def __post_init__(self) -> None:
        self.places = {key: cell for cell, key in self.grid.items()}

    def record(self, setting: int, content: int, style: int) -> CellRecord | None:
        key = self.grid.get((setting, content, style))
        return self.records.get(key) if key else None

    def done(self, setting: int | None = None) -> list[CellRecord]:
        keys = [key for (s, _, _), key in self.grid.items() if setting is None or s == setting]
        return [self.records[k] for k in keys if k in self.records and self.records[k].status == "done"]

    def shared_pairs(self) -> set[tuple[int, int]] | None:
        """(photo, painting) pairs done in every setting that has done any: the means compare settings
        over these. None when there is no such pair (then each setting's mean is over its own cells)."""
        done = {self.places[record.key] for record in self.done()}
        started = {s for (s, _, _) in done}
        shared = {(c, t) for (_, c, t) in done if all((s, c, t) in done for s in started)}
        return shared or None

    def done_on_shared_pairs(self, setting: int) -> list[CellRecord]:
        shared = self.shared_pairs()
        return [r for r in self.done(setting) if shared is None or self.places[r.key][1:] in shared]

    def labels(self, key: str) -> tuple[str, str, str]:
        """(setting, photo, painting) of a cell as this grid names them: a row of the index keeps the
        names of the run that made it (a photo renamed since, same bytes, same key)."""
        setting, content, style = self.places[key]
        return (self.layout["settings"][setting]["label"], self.layout["contents"][content]["label"],
                self.layout["styles"][style]["label"])


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    assets: list[Path]


def write_report(folder: str | Path, config: ReportConfig = ReportConfig()) -> ReportFiles:
    """Write ``report.html``, ``report.md`` and their pictures for the grid in ``folder``.

    Raises:
        OutputError: no grid in ``folder``, or it cannot be written.
        ConfigError: a grid is running in ``folder`` (its cells would change under the report).
    """
    folder = check_not_empty(folder, "grid-out", "the grid folder")
    with open_existing(folder) as index, grid_lock(folder):  # one snapshot: no grid may write meanwhile
        data = _gather(index, folder)
        _fill_quality(index, data, config.eval_size)
        _fill_grades(index, data)
        data.records = index.cells(data.grid.values())
    try:
        (folder / ASSETS_DIR).mkdir(exist_ok=True)
    except OSError as exc:  # a file of that name, or a read-only folder
        raise OutputError(f"{folder / ASSETS_DIR}: cannot make the report's folder ({exc.strerror or exc})") from None
    assets = _pictures(data, config)
    _remove_unused_pictures(folder, assets)
    html_path, md_path = folder / REPORT_HTML, folder / REPORT_MD
    sections = _sections(data, assets, config)
    _write_text(html_path, _html(data, sections))
    _write_text(md_path, _markdown(data, sections))
    return ReportFiles(html_path, md_path, [folder / path for path in assets.values() if path])


def _gather(index: Index, folder: Path) -> _Data:
    layout = index.latest_layout()
    if layout is None:
        raise OutputError(f"{folder}: the index holds no grid layout; run `stylelab grid` into this folder")
    grid = {(c["setting"], c["content"], c["style"]): c["key"] for c in layout["cells"]}
    return _Data(folder, layout, index.cells(grid.values()), grid)


# --- numbers ----------------------------------------------------------------------------------


def _fill_quality(index: Index, data: _Data, eval_size: int) -> None:
    missing = [r for r in data.done() if r.style_distance is None or r.eval_size != eval_size]
    if not missing:
        return
    from stylelab.backbones import load_backbone
    from stylelab.metrics import content_distance, style_distance

    net = load_backbone("vgg19")
    sources = _cell_sources(data)
    for record in missing:
        content, style = sources[record.key]
        output = data.folder / record.output
        try:
            distances = (style_distance(output, style, net, size=eval_size),
                         content_distance(output, content, net, size=eval_size))
        except InputError:  # deleted or damaged since the run: "file missing", and no numbers of another size
            distances, size = (None, None), None
        else:
            size = eval_size
        index.set_quality(record.key, *distances, size)


def _cell_sources(data: _Data) -> dict[str, tuple[Path, Path]]:
    contents = [data.folder / c["file"] for c in data.layout["contents"]]
    styles = [data.folder / s["file"] for s in data.layout["styles"]]
    return {key: (contents[c], styles[s]) for (_, c, s), key in data.grid.items()}


def _grader():
    try:
        return importlib.import_module("stylelab.grading").grade, ""
    except ImportError as exc:
        return None, (
            f"Grades between methods are omitted: this build of Style Lab has no grading module "
            f"(stylelab.grading: {exc})."
        )


def _fill_grades(index: Index, data: _Data) -> None:
    """Grade each setting's output against the first setting's output for the same photo × painting."""
    settings = len(data.layout["settings"])
    if settings < 2:
        data.grade_note = "Grades compare settings; this grid has only one."
        return
    grade, data.grade_note = _grader()
    for (setting, content, style), key in data.grid.items():
        reference = data.record(0, content, style)
        record = data.records.get(key)
        if setting == 0 or not _done(record) or not _done(reference):
            continue
        cached = index.grade(key, reference.key)
        if cached is None and grade is not None:
            try:
                result = grade(data.folder / record.output, data.folder / reference.output)
            except InputError:  # a file deleted since the run
                continue
            cached = (result.score, dict(result.components))
            index.set_grade(key, reference.key, *cached)
        if cached is not None:
            data.grades[key] = cached[0]


def _done(record: CellRecord | None) -> bool:
    return record is not None and record.status == "done"


def _spread(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {"median": statistics.median(ordered), "q1": q1, "q3": q3, "min": ordered[0], "max": ordered[-1]}


# --- pictures ---------------------------------------------------------------------------------


def _pictures(data: _Data, config: ReportConfig) -> dict[str, str | None]:
    """Write every picture; returns name → path relative to the folder (None if nothing to plot)."""
    assets: dict[str, str | None] = {}
    for s in range(len(data.layout["settings"])):
        assets[f"sheet-{s}"] = _save(data, f"sheet-{s}.jpg", _contact_sheet(data, s, config.thumbnail))
    if len(data.layout["settings"]) > 1:
        for c in range(len(data.layout["contents"])):
            for t in range(len(data.layout["styles"])):
                assets[f"compare-{c}-{t}"] = _save(data, f"compare-{c}-{t}.jpg",
                                                   _comparison(data, c, t, config.thumbnail))
    assets["loss-medians"] = _median_curves(data)
    for s in range(len(data.layout["settings"])):
        assets[f"loss-{s}"] = _setting_curves(data, s)
    return assets


def _remove_unused_pictures(folder: Path, assets: dict[str, str | None]) -> None:
    """Delete pictures an earlier report made that this one does not show (a grid with fewer settings
    since); only names the report makes, so files put there by hand stay."""
    used = {Path(path).name for path in assets.values() if path}
    for path in (folder / ASSETS_DIR).iterdir():
        if GENERATED_PICTURE.fullmatch(path.name) and path.name not in used:
            path.unlink(missing_ok=True)


def _save(data: _Data, name: str, image: Image.Image) -> str:
    relative = f"{ASSETS_DIR}/{name}"
    with atomic_write(data.folder / relative) as temp:
        image.save(temp, format="JPEG", quality=88)
    return relative


def _placeholder(text: str, side: int) -> Image.Image:
    """A grey square of ``side`` px (the size it is shown at) saying why a picture is missing, in type as
    large as fits, up to an eighth of the side."""
    from stylelab.sheets import fit_label, sheet_font, text_width

    size = max(side // 8, PLACEHOLDER_TYPE)
    while size > PLACEHOLDER_TYPE and text_width(text, size) > side - 8:
        size -= 1
    image = Image.new("RGB", (side, side), (225, 225, 225))
    ImageDraw.Draw(image).text((side / 2, side / 2), fit_label(text, side - 8, size), fill=(120, 20, 20),
                               font=sheet_font(size), anchor="mm")
    return image


def _picture(data: _Data, relative: str | None, missing: str, side: int) -> Image.Image:
    if relative is None:
        return _placeholder(missing, side)
    try:
        return load_image(data.folder / relative)
    except InputError:  # deleted or damaged since the run: the rest of the report still stands
        return _placeholder("file missing", side)


def _cell_picture(data: _Data, record: CellRecord | None, side: int) -> Image.Image:
    if record is None:
        return _placeholder("not run yet", side)
    if record.status != "done":
        return _placeholder("failed", side)
    return _picture(data, record.output, "missing", side)


def _contact_sheet(data: _Data, setting: int, thumbnail: int) -> Image.Image:
    from stylelab.sheets import grid_sheet

    contents, styles = data.layout["contents"], data.layout["styles"]
    rows = [
        [Image.new("RGB", (thumbnail, thumbnail), "white")]
        + [_picture(data, style["file"], "?", thumbnail) for style in styles]
    ]
    for c, content in enumerate(contents):
        rows.append(
            [_picture(data, content["file"], "?", thumbnail)]
            + [_cell_picture(data, data.record(setting, c, t), thumbnail) for t in range(len(styles))]
        )
    fitted = [[_fit(image, thumbnail) for image in row] for row in rows]
    return grid_sheet(
        fitted,
        ["(painting)"] + [item["label"] for item in contents],
        ["(photo)"] + [item["label"] for item in styles],
        cell=thumbnail,
    )


def _fit(image: Image.Image, side: int) -> Image.Image:
    """Scale up or down so the long side is ``side`` (grid_sheet only ever shrinks)."""
    scale = side / max(image.size)
    return image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS
    )


def _comparison(data: _Data, content: int, style: int, height: int) -> Image.Image:
    """The photo, the painting and every setting's output, ``height`` px high, in rows of
    ``COMPARISON_PANELS``; each labelled ``#N`` and its label, wrapped (the caption has all of it)."""
    from stylelab.sheets import side_by_side

    panels = [
        ("photo", _picture(data, data.layout["contents"][content]["file"], "?", height)),
        ("painting", _picture(data, data.layout["styles"][style]["file"], "?", height)),
    ]
    for s, setting in enumerate(data.layout["settings"]):
        panels.append((_tag(s, setting["label"]), _cell_picture(data, data.record(s, content, style), height)))
    rows = [side_by_side(panels[i:i + COMPARISON_PANELS], height=height, label_lines=COMPARISON_LABEL_LINES)
            for i in range(0, len(panels), COMPARISON_PANELS)]
    return _stacked(rows)


def _stacked(rows: Sequence[Image.Image]) -> Image.Image:
    sheet = Image.new("RGB", (max(row.width for row in rows), sum(row.height for row in rows)), "white")
    top = 0
    for row in rows:
        sheet.paste(row, (0, top))
        top += row.height
    return sheet


def _tag(setting: int, label: str, width: float | None = None) -> str:
    """``#2 label``; if wider than ``width`` px, its values without their names (``#2 adam, 64`` for
    ``optimizer=adam, size=64``): the values are what tell panels apart, the settings table names them."""
    from stylelab.sheets import text_width

    full = f"#{setting + 1} {label}"
    if width is None or text_width(full) <= width:
        return full
    return f"#{setting + 1} " + ", ".join(part.partition("=")[2] or part for part in label.split(", "))


def _totals(data: _Data, setting: int) -> list[tuple[CellRecord, list[float]]]:
    return [(r, r.history["total"]) for r in data.done(setting) if r.history.get("total")]


def _scales(record: CellRecord, steps: int) -> list[float]:
    """The cell's scale index per step (where the coarse-to-fine schedule moves on), cut to ``steps``."""
    return list(record.history.get("scale", []))[:steps]


def _median_curves(data: _Data) -> str | None:
    from stylelab.sheets import save_loss_curves

    curves = {}
    for s, setting in enumerate(data.layout["settings"]):
        cells = _totals(data, s)
        if cells:
            totals = [values for _, values in cells]
            steps = min(len(values) for values in totals)
            curves[_tag(s, setting["label"], LEGEND_WIDTH)] = {
                "total": [statistics.median(values[i] for values in totals) for i in range(steps)],
                "scale": _scales(cells[0][0], steps),
            }
    if not curves:
        return None
    relative = f"{ASSETS_DIR}/loss-medians.png"
    save_loss_curves(curves, data.folder / relative, title="Median total loss per step, by setting",
                     name_runs=True)  # one setting with curves is still one of several
    return relative


def _setting_curves(data: _Data, setting: int) -> str | None:
    from stylelab.sheets import save_loss_curves

    totals = _totals(data, setting)
    if not totals:
        return None
    curves = {"×".join(data.labels(r.key)[1:]): {"total": values, "scale": _scales(r, len(values))}
              for r, values in totals}
    relative = f"{ASSETS_DIR}/loss-{setting}.png"
    label = _tag(setting, data.layout["settings"][setting]["label"])
    save_loss_curves(curves, data.folder / relative, title=f"Total loss per step: {label}")
    return relative


# --- text -------------------------------------------------------------------------------------


def _failure_line(labels: tuple[str, str, str], error: str | None) -> str:
    setting, content, style = labels
    first_line = error.splitlines()[0] if error else ""
    return f"{setting} | {content} × {style}: {first_line}"


@dataclass
class _Sections:
    """The report's content, independent of HTML or markdown."""

    summary: list[str]
    settings_table: tuple[list[str], list[list[str]]]
    timing_table: tuple[list[str], list[list[str]]]
    quality_table: tuple[list[str], list[list[str]]]
    sheets: list[tuple[str, str]]  # (title, image)
    comparisons: list[tuple[str, str]]
    curves: list[tuple[str, str]]
    failures: list[str]
    notes: list[str]


def _sections(data: _Data, assets: dict[str, str | None], config: ReportConfig) -> _Sections:
    failed = [
        r for r in (data.records.get(k) for k in data.grid.values()) if r is not None and r.status == "failed"
    ]
    return _Sections(
        _summary(data, failed),
        _settings_table(data),
        _timing_table(data),
        _quality_table(data),
        *_figures(data, assets),
        [_failure_line(data.labels(r.key), r.error) for r in failed],
        _notes(data, config),
    )


def _summary(data: _Data, failed: list[CellRecord]) -> list[str]:
    layout, done, total = data.layout, data.done(), len(data.grid)
    return [
        f"{len(layout['contents'])} photos × {len(layout['styles'])} paintings × {len(layout['settings'])} "
        f"settings = {total} cells: {len(done)} done, {len(failed)} failed, "
        f"{total - len(done) - len(failed)} not run.",
        f"Grid file: {layout['source']}",
        f"Compute time (sum over cells): {sum(r.seconds or 0 for r in done):.1f} s on "
        f"{len({r.host for r in done})} machine(s).",
    ] + _partial_note(data)


def _partial_note(data: _Data) -> list[str]:
    """For a grid not finished alike in every setting: which cells the settings table's means leave out."""
    shared = data.shared_pairs()
    if shared is None:
        return ([] if not data.done() else
                ["No photo × painting pair is done in every setting that has run: each setting's means in the "
                 "settings table are over its own cells, so they compare different pictures."])
    left_out = len(data.done()) - sum(len(data.done_on_shared_pairs(s)) for s in range(len(data.layout["settings"])))
    if not left_out:
        return []
    pairs = len(data.layout["contents"]) * len(data.layout["styles"])
    return [f"Not every setting has finished the same photo × painting pairs: the means in the settings table "
            f"are over the {len(shared)} of {pairs} pairs done in every setting that has run, leaving out "
            f"{left_out} finished cell(s) (settings with none done show none)."]


def _notes(data: _Data, config: ReportConfig) -> list[str]:
    notes = [
        f"Style distance: mean relative Gram error over VGG19 relu1_1…relu5_1; content distance: relative "
        f"error at relu4_2; both at {config.eval_size} px long side (stylelab.metrics). Lower is closer.",
        "Loss values are the engine's weighted relative errors: compare their shapes across settings, not "
        "their levels when the weights differ.",
    ]
    if data.grade_note:
        notes.append(data.grade_note)
    elif data.grades:
        notes.append(
            f"Grade: stylelab.grading's 0–10 grade of each output against the output of the first "
            f"setting ({data.layout['settings'][0]['label']}) for the same photo and painting."
        )
    return notes


def _figures(data: _Data, assets: dict[str, str | None]) -> tuple[list, list, list]:
    """(contact sheets, side-by-side comparisons, loss curves) as (title, picture) pairs."""
    layout, settings = data.layout, data.layout["settings"]
    sheets = [(f"Setting #{i + 1}: {s['label']}", assets[f"sheet-{i}"]) for i, s in enumerate(settings)]
    legend = "; ".join(f"#{i + 1} {s['label']}" for i, s in enumerate(settings))
    comparisons = [
        (f"{layout['contents'][c]['label']} × {layout['styles'][t]['label']}: photo, painting, {legend}",
         assets[f"compare-{c}-{t}"])
        for c in range(len(layout["contents"]))
        for t in range(len(layout["styles"]))
        if assets.get(f"compare-{c}-{t}")
    ]
    curves = [
        (title, path)
        for title, path in [("All settings (median over cells)", assets["loss-medians"])]
        + [(f"Setting #{i + 1}: {s['label']}", assets[f"loss-{i}"]) for i, s in enumerate(settings)]
        if path
    ]
    return sheets, comparisons, curves


def _settings_table(data: _Data) -> tuple[list[str], list[list[str]]]:
    rows = []
    for s, setting in enumerate(data.layout["settings"]):
        values = ", ".join(f"{k}={_value(v)}" for k, v in setting["values"].items())
        compared = data.done_on_shared_pairs(s)
        records = [r for r in compared if r.style_distance is not None]
        style = _mean([r.style_distance for r in records])
        content = _mean([r.content_distance for r in records])
        grades = [data.grades[r.key] for r in compared if r.key in data.grades]
        rows.append(
            [
                f"#{s + 1}",
                setting["label"],
                setting["method"],
                values,
                f"{len(data.done(s))} of {len(data.layout['contents']) * len(data.layout['styles'])}",
                style,
                content,
                _mean(grades) if grades else "–",
            ]
        )
    return [
        "#",
        "setting",
        "method",
        "settings given",
        "cells done",
        "mean style dist.",
        "mean content dist.",
        "mean grade",
    ], rows


def _timing_table(data: _Data) -> tuple[list[str], list[list[str]]]:
    rows = []
    for s, setting in enumerate(data.layout["settings"]):
        seconds = [r.seconds for r in data.done(s) if r.seconds is not None]
        if not seconds:
            rows.append([f"#{s + 1}", setting["label"], "0", "–", "–", "–", "–"])
            continue
        spread = _spread(seconds)
        optimise = [r.timings["optimise"] for r in data.done(s) if "optimise" in r.timings]
        rows.append(
            [
                f"#{s + 1}",
                setting["label"],
                str(len(seconds)),
                f"{spread['median']:.2f}",
                f"{spread['q1']:.2f}–{spread['q3']:.2f}",
                f"{spread['min']:.2f}–{spread['max']:.2f}",
                f"{statistics.median(optimise):.2f}" if optimise else "–",
            ]
        )
    return ["#", "setting", "cells", "median s", "IQR s", "min–max s", "median optimise s"], rows


def _quality_table(data: _Data) -> tuple[list[str], list[list[str]]]:
    rows = []
    for (s, c, t), key in sorted(data.grid.items()):
        record = data.records.get(key)
        status = record.status if record else "not run"
        done = record is not None and record.status == "done"
        rows.append(
            [
                data.layout["settings"][s]["label"],
                data.layout["contents"][c]["label"],
                data.layout["styles"][t]["label"],
                status,
                f"{record.seconds:.2f}" if done and record.seconds is not None else "–",
                _number(record.style_distance) if done else "–",
                _number(record.content_distance) if done else "–",
                _number(data.grades.get(key), 2) if key in data.grades else "–",
            ]
        )
    return [
        "setting",
        "photo",
        "painting",
        "status",
        "seconds",
        "style dist.",
        "content dist.",
        "grade",
    ], rows


def _value(value: Any) -> str:
    return "+".join(map(str, value)) if isinstance(value, list) else str(value)


def _mean(values: Sequence[float]) -> str:
    return _number(statistics.fmean(values)) if values else "–"


def _number(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# --- writers ----------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9rem; color: #555; } .note { color: #555; font-size: 0.9rem; }
.failed { color: #a00; }
"""


def _html(data: _Data, sections: _Sections) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(data.layout['title'])} — Style Lab grid report</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{e(data.layout['title'])}</h1>",
    ]
    parts += [f"<p>{e(line)}</p>" for line in sections.summary]
    parts += ["<h2>Settings</h2>", _html_table(*sections.settings_table)]
    parts.append('<h2>Contact sheets</h2><p class="note">Rows: photos; columns: paintings.</p>')
    parts += [_html_figure(title, path) for title, path in sections.sheets]
    if sections.comparisons:
        parts.append("<h2>Settings side by side</h2>")
        parts += [_html_figure(title, path) for title, path in sections.comparisons]
    parts.append("<h2>Loss curves</h2>")
    parts += [_html_figure(title, path) for title, path in sections.curves] or [
        '<p class="note">No loss histories: no Gatys cell has finished (the fast method has none).</p>'
    ]
    parts += [
        "<h2>Timings</h2>",
        f'<p class="note">{html.escape(TIMING_NOTE)}</p>',
        _html_table(*sections.timing_table),
    ]
    parts += ["<h2>Quality per cell</h2>", _html_table(*sections.quality_table)]
    if sections.failures:
        parts.append("<h2>Failed cells</h2><ul>")
        parts += [f'<li class="failed">{e(line)}</li>' for line in sections.failures]
        parts.append("</ul>")
    parts.append("<h2>Notes</h2><ul>")
    parts += [f'<li class="note">{e(line)}</li>' for line in sections.notes]
    parts += ["</ul>", "</body></html>", ""]
    return "\n".join(parts)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_html_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_cell(value: str) -> str:
    css = ' class="num"' if _numeric(value) else ""
    return f"<td{css}>{html.escape(value)}</td>"


_NUMBER_OR_RANGE = re.compile(r"\d+(\.\d+)?(–\d+(\.\d+)?)?")


def _numeric(value: str) -> bool:
    """A number (``0.04``) or a range of two (``0.03–0.04``): aligned right."""
    return _NUMBER_OR_RANGE.fullmatch(value) is not None


def _html_figure(title: str, path: str) -> str:
    e = html.escape
    return f'<figure><img src="{e(path)}" alt="{e(title)}"><figcaption>{e(title)}</figcaption></figure>'


def _markdown(data: _Data, sections: _Sections) -> str:
    lines = [f"# {_md_text(data.layout['title'])}", ""] + [f"{_md_text(line)}  " for line in sections.summary] + [""]
    lines += [
        "## Settings",
        "",
        *_md_table(*sections.settings_table),
        "",
        "## Contact sheets",
        "",
        "Rows: photos; columns: paintings.",
        "",
    ]
    lines += [f"![{_md_text(title)}]({path})\n\n*{_md_text(title)}*\n" for title, path in sections.sheets]
    if sections.comparisons:
        lines += ["## Settings side by side", ""]
        lines += [f"![{_md_text(title)}]({path})\n\n*{_md_text(title)}*\n" for title, path in sections.comparisons]
    lines += ["## Loss curves", ""]
    lines += [f"![{_md_text(title)}]({path})\n\n*{_md_text(title)}*\n" for title, path in sections.curves] or [
        "No loss histories: no Gatys cell has finished (the fast method has none).",
        "",
    ]
    lines += [
        "## Timings",
        "",
        TIMING_NOTE,
        "",
        *_md_table(*sections.timing_table),
        "",
        "## Quality per cell",
        "",
        *_md_table(*sections.quality_table),
        "",
    ]
    if sections.failures:
        lines += ["## Failed cells", "", *[f"- {_md_text(line)}" for line in sections.failures], ""]
    lines += ["## Notes", "", *[f"- {_md_text(line)}" for line in sections.notes], ""]
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(_md_text(cell).replace("|", "\\|") for cell in cells) + " |"

    def aligned(column: int) -> str:  # by the column's first value: a setting with no finished cell has only "–"
        value = next((r[column] for r in rows if r[column] != "–"), "")
        return "---:" if _numeric(value) else "---"

    return [row(header), "|" + "|".join(aligned(c) for c in range(len(header))) + "|", *[row(r) for r in rows]]


def _md_text(text: str) -> str:
    """File and setting names as text: Markdown renderers would run ``<b>`` or ``<script>`` in them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write_text(path: Path, text: str) -> None:
    with atomic_write(path) as temp:
        temp.write_text(text, encoding="utf-8", errors="backslashreplace")  # undecodable file names
