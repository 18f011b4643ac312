"""stylelab report: files, tables, quality numbers, grades, and chromium opening the HTML cleanly."""

import re
import shutil
import sqlite3
import sys
import types
from pathlib import Path

import pytest
from PIL import Image

from stylelab.cli import main
from stylelab.grid import ExecutorConfig, load_grid, run_grid
from stylelab.grid.index import Index
from stylelab.grid.report import ReportConfig, write_report
from stylelab.grid.runner import output_name
from tests.browser import CHROMIUM, launch_chromium
from tests.grid.conftest import make_pictures

pytestmark = pytest.mark.slow  # the module's grid takes ~15 s to compute once

SMALL = ReportConfig(eval_size=64, thumbnail=64)


@pytest.fixture(scope="module")
def _finished_once(tmp_path_factory):
    """The 2 × 2 × 2 grid run for real on a worker process; then one cell (cup × udnie, lbfgs) is
    recorded as failed, as a failing cell would be, and its output removed."""
    folder = tmp_path_factory.mktemp("grid")
    make_pictures(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        grid = load_grid("grid.toml")  # as typed in its folder: the report names it in full
        run_grid(grid, "out", ExecutorConfig(workers=1))
    (cell,) = [
        c
        for c in grid.cells()
        if (c.content.label, c.style.label, c.setting.label) == ("cup", "udnie", "optimizer=lbfgs")
    ]
    (folder / "out" / output_name(cell.key)).unlink()
    with Index(folder / "out") as index:
        index.record(
            cell.key,
            status="failed",
            setting=cell.setting.label,
            content="cup",
            style="udnie",
            error="unexpected RuntimeError: injected failure\nTraceback ...",
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "stylelab.grading", None)
        write_report(folder / "out", SMALL)  # computes and caches the quality numbers once
    return folder


@pytest.fixture
def finished_grid(_finished_once, tmp_path):
    """A private copy of the finished grid folder (reports write into it)."""
    copy = tmp_path / "copy"
    shutil.copytree(_finished_once, copy)
    return copy / "out"


def test_report_files_tables_and_quality_numbers(finished_grid, capsys, monkeypatch):
    # main() builds every subcommand's options, and `compare` reads stylelab.grading.config for its
    # defaults: load it before hiding the package, or this test fails when it runs first.
    import stylelab.grading.config  # noqa: F401

    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    code = main(["report", str(finished_grid), "--eval-size", "64", "--thumbnail", "64"])
    assert code == 0
    assert capsys.readouterr().out.split() == [
        str(finished_grid / "report.html"),
        str(finished_grid / "report.md"),
    ]
    markdown = (finished_grid / "report.md").read_text()
    assert "2 photos × 2 paintings × 2 settings = 8 cells: 7 done, 1 failed, 0 not run." in markdown
    for picture in ["sheet-0.jpg", "sheet-1.jpg", "compare-1-0.jpg", "loss-medians.png", "loss-1.png"]:
        assert f"(report/{picture})" in markdown and (finished_grid / "report" / picture).is_file()
    assert "optimizer=lbfgs | cup × udnie: unexpected RuntimeError: injected failure" in markdown
    assert "Grades between methods are omitted" in markdown
    grid_file = re.search(r"Grid file: (.*)  \n", markdown)[1]
    assert Path(grid_file).is_absolute() and grid_file.endswith("grid.toml")  # was: grid.toml, as typed
    timing = next(line for line in markdown.splitlines() if line.startswith("| #2 | optimizer=adam | 4 |"))
    assert re.match(r"\| #2 \| optimizer=adam \| 4 \| \d+\.\d\d \| \d+\.\d\d–\d+\.\d\d \|", timing)
    with sqlite3.connect(finished_grid / "index.sqlite") as connection:
        numbers = connection.execute(
            "SELECT style_distance, content_distance, eval_size FROM cells WHERE status = 'done'"
        ).fetchall()
    assert len(numbers) == 7 and all(s > 0 and c > 0 and size == 64 for s, c, size in numbers)
    with sqlite3.connect(finished_grid / "index.sqlite") as connection:
        cells = connection.execute(
            "SELECT setting, content, style, style_distance, content_distance FROM cells WHERE status = 'done'"
        ).fetchall()
    rows = [line.strip("|").split(" | ") for line in markdown.splitlines() if line.count(" | ") == 7]
    for setting, content, style, style_distance, content_distance in cells:
        (row,) = [r for r in rows if [cell.strip() for cell in r[:3]] == [setting, content, style]]
        assert [cell.strip() for cell in row[5:7]] == [f"{style_distance:.4f}", f"{content_distance:.4f}"]


def test_the_timing_table_gives_median_quartiles_and_range_of_the_cells_seconds(finished_grid, monkeypatch):
    """Quartiles by the inclusive method (as a box plot draws them), from the cells' seconds in any order."""
    with sqlite3.connect(finished_grid / "index.sqlite") as connection:
        keys = [row[0] for row in connection.execute(
            "SELECT key FROM cells WHERE setting = 'optimizer=adam' AND status = 'done' ORDER BY key")]
        for key, seconds, optimise in zip(keys, [4.0, 1.0, 3.0, 2.0], [0.5, 0.9, 0.5, 10.0], strict=True):
            connection.execute("UPDATE cells SET seconds = ?, timings = ? WHERE key = ?",
                               (seconds, f'{{"optimise": {optimise}}}', key))
    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    markdown = write_report(finished_grid, SMALL).markdown.read_text()
    timing = next(line for line in markdown.splitlines() if line.startswith("| #2 | optimizer=adam | 4 |"))
    assert timing == "| #2 | optimizer=adam | 4 | 2.50 | 1.75–3.25 | 1.00–4.00 | 0.70 |"


def test_quality_numbers_are_cached(finished_grid, monkeypatch):
    write_report(finished_grid, SMALL)
    import stylelab.metrics

    monkeypatch.setattr(stylelab.metrics, "style_distance", lambda *a, **k: pytest.fail("recomputed"))
    write_report(finished_grid, SMALL)


def test_grades_between_settings_when_grading_exists(finished_grid, monkeypatch):
    calls = []

    def grade(a, b):
        calls.append((Path(a).name, Path(b).name))
        return types.SimpleNamespace(score=7.5, similarity=0.75, components={"style": 7.0})

    monkeypatch.setitem(sys.modules, "stylelab.grading", types.SimpleNamespace(grade=grade))
    write_report(finished_grid, SMALL)
    markdown = (finished_grid / "report.md").read_text()
    assert len(calls) == 3  # adam vs lbfgs for the 3 pairs whose lbfgs cell is done
    assert "| 7.50 |" in markdown and "0–10 grade" in markdown
    write_report(finished_grid, SMALL)
    assert len(calls) == 3  # cached in the index


def test_report_of_a_folder_without_a_grid(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no grid here" in err and "--out" not in err  # a library error names no command-line flag
    toml = tmp_path / "grid.toml"
    toml.write_text("[grid]\n")
    assert main(["report", str(toml)]) == 2  # the grid's TOML instead of its folder
    err = capsys.readouterr().err
    assert "grid.toml: is a file; give the folder a grid was run into, not its TOML file" in err and "--out" not in err


@pytest.mark.browser
def test_report_opens_in_chromium_without_console_errors(finished_grid, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    write_report(finished_grid, SMALL)
    messages = []
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((finished_grid / "report.html").as_uri())
        page.wait_for_load_state("load")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        images = page.evaluate("document.images.length")
        headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert messages == [] and broken == []
    assert images == 2 + 4 + 3  # sheets, comparisons, loss curves
    assert all(url.startswith("file://") for url in requests)
    assert headings[:5] == ["Settings", "Contact sheets", "Settings side by side", "Loss curves", "Timings"]


def test_setting_tags_keep_the_values_that_tell_settings_apart():
    from stylelab.grid.report import _tag
    from stylelab.sheets import fit_label

    label = "style_weight=100.0, size=64"
    assert _tag(0, label, 1000) == "#1 style_weight=100.0, size=64"
    assert _tag(2, label, 150) == "#3 100.0, 64"  # was "#3 style_w…0, size=64", like #1's
    cut = [fit_label(_tag(i, f"vgg19, photo colours, optimizer={name}", 140), 140) for i, name in
           enumerate(["lbfgs", "adam"])]  # 140 px of DejaVu Sans hold what 120 of Pillow's default font did
    assert cut[0].startswith("#1") and cut[0].endswith("lbfgs") and cut[1].endswith("adam") and "…" in cut[0]


def test_sheet_labels_are_cut_to_their_room_keeping_both_ends():
    from stylelab.sheets import fit_label, text_width

    names = ["portrait_of_an_astronaut_2019_version_A", "portrait_of_an_astronaut_2019_version_B"]
    cut = [fit_label(name, 108, 14) for name in names]
    assert cut[0] != cut[1] and cut[0].endswith("_A") and all(text_width(c, 14) <= 108 for c in cut)
    assert fit_label("short", 108, 14) == "short"


def test_loss_curves_get_each_cells_scale_schedule(finished_grid, monkeypatch):
    import stylelab.sheets
    from stylelab.sheets import scale_changes

    plotted = []
    real = stylelab.sheets.save_loss_curves
    monkeypatch.setattr(stylelab.sheets, "save_loss_curves",
                        lambda histories, path, title="", **named: plotted.append(histories)
                        or real(histories, path, title, **named))
    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    write_report(finished_grid, SMALL)
    runs = [history for histories in plotted for history in histories.values()]
    assert runs and all(len(run["scale"]) == len(run["total"]) for run in runs)  # the dotted lines' data
    assert scale_changes({"a": {"scale": [0, 0, 1, 1, 2]}, "b": {"scale": [0, 1]}}) == [1, 2, 4]


def test_markdown_report_shows_names_as_text():
    from stylelab.grid.report import _md_table

    assert _md_table(["photo"], [["<b>cat</b> & co|2"]])[-1] == "| &lt;b&gt;cat&lt;/b&gt; &amp; co\\|2 |"


def test_a_result_deleted_since_the_run_leaves_a_gap_not_an_error(finished_grid, capsys):
    done = sorted((finished_grid / "cells").glob("*.png"))
    done[0].unlink()
    with sqlite3.connect(finished_grid / "index.sqlite") as connection:  # numbers computed afresh
        connection.execute("UPDATE cells SET style_distance = NULL")
    assert main(["report", str(finished_grid), "--eval-size", "64", "--thumbnail", "64"]) == 0, capsys.readouterr()
    markdown = (finished_grid / "report.md").read_text()
    assert "| #1 | optimizer=lbfgs | gatys |" in markdown and "3 of 4" in markdown  # cells done, per setting


def test_a_damaged_result_keeps_no_numbers_measured_at_another_size(finished_grid, capsys):
    assert main(["report", str(finished_grid), "--eval-size", "64", "--thumbnail", "64"]) == 0
    damaged = sorted((finished_grid / "cells").glob("*.png"))[0]
    damaged.write_bytes(b"not a picture any more")
    assert main(["report", str(finished_grid), "--eval-size", "96", "--thumbnail", "64"]) == 0, capsys.readouterr()
    with sqlite3.connect(finished_grid / "index.sqlite") as connection:
        rows = connection.execute(
            "SELECT output, style_distance, eval_size FROM cells WHERE status = 'done'"
        ).fetchall()
    stale = [row for row in rows if row[2] not in (96, None)]
    assert stale == []
    assert [row[1:] for row in rows if row[0].endswith(damaged.name)] == [(None, None)]


def test_the_markdown_title_is_text(finished_grid):
    with Index(finished_grid) as index:
        layout = index.latest_layout()
        index.save_layout("grid.toml", {**layout, "title": "G6 <b>long</b> & names"})
    write_report(finished_grid, SMALL)
    assert (finished_grid / "report.md").read_text().startswith("# G6 &lt;b&gt;long&lt;/b&gt; &amp; names\n")


def test_a_file_where_the_reports_folder_goes_is_an_output_error(finished_grid, capsys):
    (finished_grid / "report").mkdir(exist_ok=True)
    shutil.rmtree(finished_grid / "report")
    (finished_grid / "report").write_text("in the way")
    assert main(["report", str(finished_grid), "--eval-size", "64", "--thumbnail", "64"]) == 2
    assert "cannot make the report's folder" in capsys.readouterr().err  # was a traceback


def test_curves_and_failures_use_this_grids_names_for_cells_named_otherwise_before(tmp_path, monkeypatch):
    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    count_runs(monkeypatch, fail=lambda content, style, config: config.optimizer == "adam")
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    (tmp_path / "cat.png").rename(tmp_path / "kitten.png")  # same bytes, same cells: nothing to compute
    (tmp_path / "grid.toml").write_text((tmp_path / "grid.toml").read_text().replace("cat.png", "kitten.png"))
    count_runs(monkeypatch, fail=lambda *args: True)
    summary = run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    assert summary.computed == 0
    with Index(tmp_path / "out") as index:  # as if the failed cells too kept the name of the first run
        index.connection.execute("UPDATE cells SET content = 'cat' WHERE content = 'kitten'")
    drawn = []
    monkeypatch.setattr("stylelab.sheets.save_loss_curves", lambda curves, path, title, **named: drawn.extend(curves))
    write_report(tmp_path / "out", SMALL)
    assert drawn and not any(name.startswith("cat×") for name in drawn) and "kitten×udnie" in drawn
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "optimizer=adam | kitten × udnie: unexpected RuntimeError: injected failure" in markdown


def test_the_median_curves_name_their_setting_when_only_one_has_curves(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    count_runs(monkeypatch, fail=lambda content, style, config: config.optimizer == "adam")
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    legends = {}
    real = Axes.legend
    monkeypatch.setattr(Axes, "legend", lambda axes, *args, **kwargs: legends.setdefault(
        axes.get_title(), axes.get_legend_handles_labels()[1]) and real(axes, *args, **kwargs))
    write_report(tmp_path / "out", SMALL)
    assert legends["Median total loss per step, by setting"] == ["#1 optimizer=lbfgs: total"]  # was ["total"]


def test_a_report_removes_the_pictures_of_settings_the_grid_no_longer_has(tmp_path, monkeypatch):
    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    count_runs(monkeypatch)
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    write_report(tmp_path / "out", SMALL)
    assert (tmp_path / "out/report/sheet-1.jpg").is_file() and (tmp_path / "out/report/loss-1.png").is_file()
    (tmp_path / "out/report/mine.jpg").write_bytes(b"a file of the user's")
    (tmp_path / "grid.toml").write_text((tmp_path / "grid.toml").read_text().replace('["lbfgs", "adam"]', '"adam"'))
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    files = write_report(tmp_path / "out", SMALL)
    left = sorted(path.name for path in (tmp_path / "out/report").iterdir())
    assert left == sorted([path.name for path in files.assets] + ["mine.jpg"])
    assert left == ["loss-0.png", "loss-medians.png", "mine.jpg", "sheet-0.jpg"]


def test_means_compare_settings_over_the_pairs_every_setting_has_done(tmp_path, monkeypatch):
    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    failing = {((64, 48), (56, 56), "adam"), ((48, 64), (64, 40), "lbfgs")}  # cat × udnie, cup × wreck
    count_runs(monkeypatch, fail=lambda content, style, config: (content.size, style.size, config.optimizer)
               in failing)
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    write_report(tmp_path / "out", SMALL)  # measures the distances once
    with sqlite3.connect(tmp_path / "out/index.sqlite") as connection:  # the pairs only one setting has: far
        connection.execute("UPDATE cells SET style_distance = CASE WHEN (setting = 'optimizer=lbfgs' AND content = "
                           "'cat' AND style = 'udnie') OR (setting = 'optimizer=adam' AND content = 'cup' AND "
                           "style = 'wreck') THEN 100 ELSE 1 END WHERE status = 'done'")
    markdown = write_report(tmp_path / "out", SMALL).markdown.read_text()
    assert "optimizer=lbfgs | 3 of 4 | 1.0000 |" in markdown  # was 34.0000: cat × udnie counted for #1 only
    assert ("the means in the settings table are over the 2 of 4 pairs done in every setting that has run, "
            "leaving out 2 finished cell(s)") in markdown


def test_a_grid_stopped_before_its_second_setting_keeps_the_first_settings_means(tmp_path, monkeypatch):
    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    count_runs(monkeypatch, interrupt_at=5)  # cells run setting by setting: #1's four, then Ctrl-C
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))  # stops at 4
    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    markdown = write_report(tmp_path / "out", SMALL).markdown.read_text()
    row = next(line for line in markdown.splitlines() if line.startswith("| #1 |"))
    assert "4 of 4" in row and "| – | – |" not in row  # every mean was "–": no pair was done by #2
    assert "Not every setting" not in markdown and "No photo × painting pair" not in markdown


def test_side_by_side_comparisons_wrap_follow_the_thumbnail_and_name_every_setting_in_the_caption(
        tmp_path, monkeypatch):
    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    text = ('contents = ["cat.png"]\nstyles = ["udnie.png", "wreck.png"]\n[settings]\nsize = 32\niterations = 1\n'
            "style_weight = [1, 2, 3, 4, 5, 6]\n")
    (tmp_path / "grid.toml").write_text(text)
    count_runs(monkeypatch)
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    sizes = {}
    for side in (64, 128):
        files = write_report(tmp_path / "out", ReportConfig(eval_size=64, thumbnail=side))
        with Image.open(tmp_path / "out/report/compare-0-0.jpg") as strip:
            sizes[side] = strip.size
    # 8 pictures (photo, painting, 6 settings) in 2 rows of 4, each as high as a thumbnail: was 1 row of 8 at
    # 200 px whatever the thumbnail, 1500+ px wide, so shrunk on the page to unreadable labels
    assert sizes[128][0] < 4 * 128 * 1.5 and sizes[128][1] > 2 * 128
    assert sizes[128][1] - sizes[64][1] == 2 * 64  # two rows, each 64 px higher
    markdown = files.markdown.read_text()
    assert ("*cat × udnie: photo, painting, #1 style_weight=1.0; #2 style_weight=2.0; #3 style_weight=3.0; "
            "#4 style_weight=4.0; #5 style_weight=5.0; #6 style_weight=6.0*") in markdown


def test_a_narrow_comparison_label_keeps_its_setting_number():
    from stylelab.sheets import fit_label, wrap_label

    assert fit_label("#1 optimizer=lbfgs", 50).startswith("#1 ")  # was '#1…s'
    assert wrap_label("#12 optimizer=lbfgs, size=64", 60, lines=3)[0].startswith("#12 ")


def test_a_missing_picture_says_why_in_type_that_can_be_read(finished_grid, monkeypatch):
    from stylelab.sheets import GAP, LABEL_HEIGHT

    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    side = 160
    write_report(finished_grid, ReportConfig(eval_size=64, thumbnail=side))
    with Image.open(finished_grid / "report/sheet-0.jpg") as sheet:  # cup × udnie failed: row 2, column 1
        left, top = 120 + side + 2 * GAP, LABEL_HEIGHT + 2 * (side + GAP)
        cell = sheet.convert("RGB").crop((left, top, left + side, top + side))
    red_rows = [y for y in range(side) if any(r - g > 50 for r, g, _ in (cell.getpixel((x, y)) for x in range(side)))]
    assert red_rows and max(red_rows) - min(red_rows) >= 12  # "failed" was about 6 px tall


def test_the_markdown_summary_and_notes_are_text():
    from stylelab.grid.report import _Data, _markdown, _Sections

    table = (["a"], [["1"]])
    sections = _Sections(["Grid file: /tmp/<b>x</b>/grid.toml"], table, table, table, [], [], [], [],
                         ["Grade: … the output of the first setting (<script>x</script>) …"])
    markdown = _markdown(_Data(Path("out"), {"title": "t"}, {}, {}), sections)
    assert "Grid file: /tmp/&lt;b&gt;x&lt;/b&gt;/grid.toml" in markdown
    assert "first setting (&lt;script&gt;x&lt;/script&gt;)" in markdown


def test_ranges_of_numbers_align_right_like_the_other_numbers():
    from stylelab.grid.report import _html_cell, _md_table

    header = ["#", "setting", "cells", "median s", "IQR s", "min–max s", "median optimise s"]
    row = ["#1", "optimizer=lbfgs", "4", "0.04", "0.03–0.04", "0.02–10.51", "0.01"]
    assert _md_table(header, [row])[1] == "|---|---|---:|---:|---:|---:|---:|"  # was ---, --- for the ranges
    assert _html_cell("0.03–0.04") == '<td class="num">0.03–0.04</td>'
    assert _html_cell("–") == "<td>–</td>" and _html_cell("1.2.3") == "<td>1.2.3</td>"


def test_number_columns_align_right_when_the_first_setting_has_no_finished_cell(tmp_path, monkeypatch):
    from tests.grid.test_run import count_runs

    make_pictures(tmp_path)
    count_runs(monkeypatch, fail=lambda content, style, config: config.optimizer == "lbfgs")  # all of #1
    run_grid(load_grid(tmp_path / "grid.toml"), tmp_path / "out", ExecutorConfig(workers=0))
    monkeypatch.setitem(sys.modules, "stylelab.grading", None)
    lines = write_report(tmp_path / "out", SMALL).markdown.read_text().splitlines()
    timings = lines.index(next(line for line in lines if line.startswith("| # | setting | cells |")))
    assert lines[timings + 2].startswith("| #1 | optimizer=lbfgs | 0 | – |")  # the first row: no numbers
    # was |---|---|---:|---|---|---|---|; the stand-in records no optimise time, so that column has no number
    assert lines[timings + 1] == "|---|---|---:|---:|---:|---:|---|"


def test_a_column_aligns_by_its_first_value_and_stays_left_when_it_has_none():
    from stylelab.grid.report import _md_table

    rows = [["#1", "–", "–", "x"], ["#2", "–", "0.5", "–"], ["#3", "–", "0.7–0.9", "y"]]
    assert _md_table(["#", "a", "b", "c"], rows)[1] == "|---|---|---:|---|"
