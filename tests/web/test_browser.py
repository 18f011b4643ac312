"""End to end in Debian's chromium through Playwright: a whole experiment through the page.

Screenshots go to ``test-artifacts/`` (git-ignored): web-start.png, web-canvas.png,
web-results.png, web-history.png.
"""

from __future__ import annotations

import colorsys
import importlib.util
import io
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.browser import CHROMIUM
from tests.experiments.fakes import FakeMethods
from tests.web.conftest import LiveServer, make_settings, wait_for

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="the playwright pip package is not installed (pip install playwright)",
    ),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
    ),
]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = make_settings(
        tmp_path_factory.mktemp("browser-data"),
        methods=FakeMethods(step_seconds=0.1),
        gatys_iterations=5,
        preview_every=1,
    )
    with LiveServer(settings) as live:
        yield live


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _canvas_point(page, fx: float, fy: float) -> tuple[float, float]:
    box = page.locator("#wet").bounding_box()
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def _stroke(page, points: list[tuple[float, float]]) -> None:
    page.mouse.move(*_canvas_point(page, *points[0]))
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(*_canvas_point(page, fx, fy), steps=4)
    page.mouse.up()


def _painted(page, region=None) -> int:
    """Pixels of the paper canvas with any paint (alpha > 0), optionally inside fractional ``region``."""
    return page.evaluate(
        """(region) => {
        const paper = document.getElementById('paper');
        const [x0, y0, x1, y1] = region || [0, 0, 1, 1];
        const x = Math.floor(x0 * paper.width), y = Math.floor(y0 * paper.height);
        const w = Math.max(1, Math.floor((x1 - x0) * paper.width));
        const h = Math.max(1, Math.floor((y1 - y0) * paper.height));
        const data = paper.getContext('2d').getImageData(x, y, w, h).data;
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
        return count;
    }""",
        region,
    )


def _open_lab(page, server, iterations: int = 5) -> None:
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    page.click("#surprise")
    page.wait_for_selector("[data-chosen=photo] img")
    page.wait_for_selector("[data-chosen=painting] img")
    page.click(".settings summary")
    page.fill("#gatys-size", "64")
    page.fill("#gatys-iterations", str(iterations))
    page.click("#start")
    page.wait_for_selector("#view-lab:not([hidden])")
    page.wait_for_selector("#palette .swatch")


def _finish_and_see_three_grades(page, server, timeout: float) -> None:
    """Press "I'm done" and wait for the results view with its three grades (what the API says if not)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.click("#finish")
    page.wait_for_selector("#view-results:not([hidden])")
    try:
        page.wait_for_function(
            "document.querySelectorAll('.grade[data-grade]:not([data-grade=none])').length === 3",
            timeout=timeout,
        )
    except PlaywrightTimeoutError as error:
        experiment_id = page.url.rsplit("/", 1)[-1]
        with urllib.request.urlopen(f"{server.url}/api/experiments/{experiment_id}") as response:
            stored = response.read().decode()
        raise AssertionError(
            f"grades not shown; page says {page.inner_text('#grades-status')!r}; the API says {stored}"
        ) from error


def whole_experiment(page, server, prefix: str = "web", timeout: float = 30_000) -> None:
    """Random pick, two brushes, one undo, both jobs through the page, finish, three grades."""
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=painting] .thumb")
    assert page.locator("#start").is_disabled()
    page.click("#surprise")
    page.wait_for_selector("[data-chosen=painting] img")
    assert page.locator("#start").is_enabled()
    _shot(page, f"{prefix}-start.png")
    _open_lab(page, server)

    page.click("[data-brush=acrylic]")
    page.locator("#palette .swatch").nth(1).click()
    _stroke(page, [(0.1, 0.3), (0.4, 0.35), (0.8, 0.3)])
    after_acrylic = _painted(page)
    page.click("[data-brush=watercolour]")
    page.locator("#palette .swatch").nth(5).click()
    _stroke(page, [(0.1, 0.7), (0.5, 0.75), (0.9, 0.65)])
    after_watercolour = _painted(page)
    assert 0 < after_acrylic < after_watercolour
    assert _painted(page, (0.05, 0.55, 0.95, 0.9)) > 0
    page.click("#underlay-toggle")
    _shot(page, f"{prefix}-canvas.png")

    page.click("#undo")
    assert _painted(page) == after_acrylic
    assert _painted(page, (0.05, 0.55, 0.95, 0.9)) == 0
    assert page.locator("#redo").is_enabled()

    page.wait_for_selector("#job-fast [data-job-state=done]", timeout=timeout)
    page.wait_for_selector("#job-gatys [data-job-state=done]", timeout=timeout)
    assert re.match(r"Iteration (\d+) of \1 ", page.inner_text("#job-gatys .progress-text"))
    assert page.locator("#job-gatys img.result").count() == 1

    _finish_and_see_three_grades(page, server, timeout)
    assert page.locator(".picture img").count() == 5
    assert page.locator(".picture a.download").count() == 5
    titles = page.locator(".grade h3").all_inner_texts()
    assert titles == ["Your drawing ↔ fast", "Your drawing ↔ Gatys", "Fast ↔ Gatys"]
    assert page.locator(".grade .components li").count() >= 3
    assert page.get_attribute("#sheet-link", "href").endswith("/sheet?download=true")
    _shot(page, f"{prefix}-results.png")

    page.click("[data-nav=history]")
    page.wait_for_selector(".history-card")
    assert page.locator(".history-card").first.locator("img").count() == 5
    _shot(page, f"{prefix}-history.png")


def test_a_whole_experiment_through_the_page(page, server):
    whole_experiment(page, server)


@pytest.mark.slow
def test_a_whole_experiment_with_the_real_engines(page, tmp_path):
    from stylelab.experiments.methods import NeuralMethods

    settings = make_settings(
        tmp_path / "data",
        methods=NeuralMethods(device="cpu"),
        fast_size=64,
        gatys_size=64,
        gatys_iterations=5,
        preview_every=2,
    )
    with LiveServer(settings) as live:
        whole_experiment(page, live, prefix="web-real", timeout=180_000)


WIDER_THAN_THE_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().width && el.getBoundingClientRect().right > width + 0.5)
        .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className);
}"""


def test_every_view_fits_a_phone_screen(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "the canvas is empty: compare anyway?"
    try:
        _open_lab(page, server)
        assert page.evaluate("window.scrollY") == 0  # the lab opens at its top, not where Start was
        assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], "lab"
        page.wait_for_selector("#job-gatys [data-job-state=done]", timeout=30_000)
        _finish_and_see_three_grades(page, server, timeout=30_000)
        assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], "results"
        page.click("[data-nav=history]")
        page.wait_for_selector(".history-card")
        assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], "history"
        page.click("[data-nav=start]")
        page.wait_for_selector("#view-start:not([hidden])")
        _shot(page, "phone-start.png")
        assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], "start"
    finally:
        context.close()


def test_a_bad_upload_is_explained_in_the_page(page, server, tmp_path):
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    fake = tmp_path / "notes.jpg"
    fake.write_text("a shopping list, not a photo\n" * 10)
    page.set_input_files("[data-file=photo]", str(fake))
    message = page.locator("[data-message=photo]")
    message.filter(has_text="not a supported image").wait_for()
    assert "notes.jpg" in message.inner_text()
    good = tmp_path / "mine.png"
    shutil.copy(Path(__file__).parents[2] / "src/stylelab/assets/images/photos/coffee.jpg", good)
    page.set_input_files("[data-file=photo]", str(good))
    page.wait_for_selector("[data-chosen=photo] figcaption:text('mine.png')")
    assert message.inner_text() == ""


def test_brushes_pressure_fill_and_fifty_undos(page, server):
    _open_lab(page, server)

    def pen_line(pressure: float, fy: float) -> None:
        page.evaluate(
            """([pressure, fy]) => {
            const wet = document.getElementById('wet');
            const box = wet.getBoundingClientRect();
            const at = (fx) => ({clientX: box.left + box.width * fx, clientY: box.top + box.height * fy,
                pointerId: 7, pointerType: 'pen', pressure, button: 0, buttons: 1, bubbles: true});
            wet.dispatchEvent(new PointerEvent('pointerdown', at(0.2)));
            for (let i = 1; i <= 20; i++) {
                wet.dispatchEvent(new PointerEvent('pointermove', at(0.2 + i * 0.03)));
            }
            wet.dispatchEvent(new PointerEvent('pointerup', at(0.8)));
        }""",
            [pressure, fy],
        )

    page.click("[data-brush=marker]")
    pen_line(0.1, 0.3)
    pen_line(1.0, 0.7)
    light = _painted(page, (0, 0.1, 1, 0.5))
    heavy = _painted(page, (0, 0.5, 1, 0.9))
    assert 0 < light < heavy  # pressure from a pen makes the marker wider

    page.click("#clear")
    assert _painted(page) == 0
    page.click("[data-brush=pencil]")
    spots = [((i % 11 + 0.5) / 11, (i // 11 + 0.5) / 6) for i in range(55)]
    for fx, fy in spots:
        page.mouse.click(*_canvas_point(page, fx, fy))
    for _ in range(52):
        page.keyboard.press("Control+z")
    painted = [_painted(page, (fx - 0.01, fy - 0.01, fx + 0.01, fy + 0.01)) > 0 for fx, fy in spots]
    assert painted == [True] * 3 + [False] * 52
    page.keyboard.press("Control+Shift+z")
    assert (
        _painted(page, (spots[3][0] - 0.01, spots[3][1] - 0.01, spots[3][0] + 0.01, spots[3][1] + 0.01)) > 0
    )

    page.click("[data-brush=fill]")
    page.mouse.click(*_canvas_point(page, 0.97, 0.97))
    size = page.evaluate(
        "() => document.getElementById('paper').width * document.getElementById('paper').height"
    )
    assert _painted(page) == size  # the blank paper around the dots is one region
    corners = page.evaluate("""() => {
        const paper = document.getElementById('paper');
        const ctx = paper.getContext('2d');
        const alpha = ([x, y]) => ctx.getImageData(x, y, 1, 1).data[3];
        return [[1, 1], [paper.width - 2, paper.height - 2]].map(alpha);
    }""")
    assert corners == [255, 255]

    page.click("[data-brush=eraser]")
    _stroke(page, [(0.3, 0.5), (0.7, 0.5)])
    assert (
        page.evaluate("""() => {
        const paper = document.getElementById('paper');
        return paper.getContext('2d').getImageData(paper.width / 2, paper.height / 2, 1, 1).data[3];
    }""")
        < 255
    )


def test_the_acrylic_brush_paints_continuous_trails_and_only_real_changes_are_undo_steps(page, server):
    _open_lab(page, server)
    page.click("[data-brush=eraser]")
    _stroke(page, [(0.2, 0.5), (0.8, 0.5)])
    page.click("[data-brush=acrylic]")
    page.mouse.click(*_canvas_point(page, 0.5, 0.5))  # a flat brush paints as it moves
    assert _painted(page) == 0
    assert page.locator("#undo").is_disabled()  # neither left an undo step

    page.fill("#brush-size", "40")
    _stroke(page, [(0.1, 0.3), (0.5, 0.3), (0.5, 0.8)])  # a right-angle corner
    assert page.locator("#undo").is_enabled()
    corner = _painted(page, (0.47, 0.27, 0.53, 0.33))
    ahead = _painted(page, (0.56, 0.2, 0.7, 0.4))  # past the corner, where the brush never went
    above = _painted(page, (0.1, 0.05, 0.5, 0.2))  # off the stroke's side: no tips of a turned flat
    assert corner > 0.5 * _painted(page, (0.27, 0.27, 0.33, 0.33))  # the corner is painted like the run
    assert ahead == 0
    assert above == 0


def test_a_reload_keeps_the_painting(page, server):
    _open_lab(page, server)
    experiment_id = page.evaluate("() => location.hash.split('/')[2]")
    draft_url = f"{server.url}/api/experiments/{experiment_id}/draft"
    page.click("[data-brush=marker]")
    _stroke(page, [(0.1, 0.2), (0.4, 0.2), (0.4, 0.3)])
    page.click("[data-brush=watercolour]")
    _stroke(page, [(0.6, 0.6), (0.8, 0.7)])
    regions = {"marker": (0.05, 0.15, 0.45, 0.35), "wash": (0.55, 0.55, 0.85, 0.75)}
    wait_for(lambda: _painted(page, regions["wash"]) > 100)  # the watercolour dries, then is committed
    before = {name: _painted(page, region) for name, region in regions.items()}
    assert min(before.values()) > 100
    page.wait_for_selector("#draft-status[data-state=saved]")
    assert page.request.get(draft_url).status == 200
    page.reload()
    page.wait_for_selector("#view-lab:not([hidden])")
    wait_for(lambda: _painted(page) > 0, timeout=10)
    after = {name: _painted(page, region) for name, region in regions.items()}
    assert after == before  # the same pixels came back, translucent wash included
    assert page.locator("#undo").is_disabled()  # the strokes came back, not their undo steps
    _shot(page, "draft-after-reload.png")
    page.click("#clear")
    assert _painted(page) == 0
    page.wait_for_selector("#draft-status[data-state=saved]")
    with page.expect_response(lambda r: r.url == draft_url and r.request.method == "GET") as answer:
        page.reload()  # clearing is saved too
    if answer.value.status == 200:
        page.wait_for_selector("#draft-status[data-state=saved]")  # the saved layer is drawn
    assert _painted(page) == 0


def test_an_interrupted_job_can_be_rerun_from_the_history(browser, tmp_path):
    import time

    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.2), gatys_iterations=100)
    with LiveServer(slow) as live:
        page = browser.new_page()
        _open_lab(page, live)
        page.wait_for_selector("#job-gatys [data-job-state=running]", timeout=20_000)
        page.close()
        time.sleep(0.3)
    quick = slow.replace(methods=FakeMethods())
    with LiveServer(quick) as live:
        page = browser.new_page()
        page.goto(f"{live.url}/#/history")
        card = page.locator(".history-card").first
        card.locator(".badge.interrupted").first.wait_for()
        assert "Interrupted by a server restart" in card.inner_text()
        card.locator("[data-action=rerun]").first.click()
        page.wait_for_selector(
            ".history-card .badge.running, .history-card .badge.queued, .history-card .badge.done"
        )
        page.close()


def test_an_experiment_can_be_deleted_from_the_history(browser, tmp_path):
    with LiveServer(make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.05))) as live:
        page = browser.new_page()
        _open_lab(page, live)
        experiment_id = page.evaluate("() => location.hash.split('/')[2]")
        page.goto(f"{live.url}/#/history")
        card = page.locator(f".history-card[data-experiment='{experiment_id}']")
        card.wait_for()
        if card.locator("[data-action=delete]").is_disabled():  # jobs still running: not yet
            assert "running jobs" in card.locator("[data-action=delete]").get_attribute("title")
            # the page follows the running jobs by itself: no reload
            page.wait_for_selector(f".history-card[data-experiment='{experiment_id}'] "
                                   "[data-action=delete]:not([disabled])", timeout=30_000)
            assert "gatys: Done" in card.inner_text()
        page.once("dialog", lambda dialog: dialog.dismiss())
        card.locator("[data-action=delete]").click()
        assert card.count() == 1  # dismissed: nothing deleted
        page.once("dialog", lambda dialog: dialog.accept())
        card.locator("[data-action=delete]").click()
        page.wait_for_selector("#history-list >> text=No experiments yet.")
        assert page.request.get(f"{live.url}/api/experiments/{experiment_id}").status == 404
        page.close()


def test_fill_on_bare_paper_goes_behind_soft_strokes_and_stops_at_outlines(page, server):
    _open_lab(page, server)
    page.click("[data-brush=airbrush]")
    _stroke(page, [(0.15, 0.2), (0.35, 0.3)])
    page.click("[data-brush=marker]")
    _stroke(page, [(0.2, 0.55), (0.45, 0.55), (0.45, 0.85), (0.2, 0.85), (0.2, 0.55)])  # an outlined square
    page.evaluate("""() => {
        const input = document.getElementById('brush-colour');
        input.value = '#3060c0';
        input.dispatchEvent(new Event('input'));
    }""")
    page.click("[data-brush=fill]")
    page.mouse.click(*_canvas_point(page, 0.97, 0.97))
    _shot(page, "fill-behind.png")
    seen = page.evaluate("""() => {
        const paper = document.getElementById('paper');
        const data = paper.getContext('2d').getImageData(0, 0, paper.width, paper.height).data;
        const at = (fx, fy) => (Math.floor(fy * paper.height) * paper.width + Math.floor(fx * paper.width)) * 4;
        let light = 0;  // pixels outside the square lighter than both the fill and the strokes
        for (let y = 0; y < paper.height; y++) {
            for (let x = 0; x < paper.width; x++) {
                const fx = x / paper.width, fy = y / paper.height;
                if (fx > 0.17 && fx < 0.48 && fy > 0.5 && fy < 0.9) continue;
                const i = (y * paper.width + x) * 4, a = data[i + 3] / 255;
                const on = (c) => data[i + c] * a + 255 * (1 - a);
                if (0.3 * on(0) + 0.59 * on(1) + 0.11 * on(2) > 120) light++;
            }
        }
        return {light, inside: data[at(0.32, 0.7) + 3], corner: [...data.slice(at(0.97, 0.97), at(0.97, 0.97) + 4)]};
    }""")
    assert seen["corner"] == [0x30, 0x60, 0xC0, 255]
    assert seen["inside"] == 0  # the outline kept the fill out of the square
    assert seen["light"] == 0  # no rim of old white paper around the soft airbrush stroke
    page.keyboard.press("Control+z")
    assert page.evaluate("""() => document.getElementById('paper').getContext('2d')
        .getImageData(document.getElementById('paper').width - 3, 2, 1, 1).data[3]""") == 0


def test_brushes_keep_their_size_opacity_and_colour_across_switches_and_reloads(page, server):
    _open_lab(page, server)
    page.click("[data-brush=marker]")
    page.fill("#brush-size", "40")
    page.click("[data-brush=pencil]")
    assert page.input_value("#brush-size") == "6"  # the pencil's own default
    page.click("[data-brush=marker]")
    assert page.input_value("#brush-size") == "40"
    page.locator("#palette .swatch").nth(2).click()
    colour = page.input_value("#brush-colour")
    page.reload()
    page.wait_for_selector("#view-lab:not([hidden])")
    assert page.get_attribute("[data-brush=marker]", "aria-pressed") == "true"
    assert page.get_attribute("[data-brush=pencil]", "aria-pressed") == "false"
    assert (page.input_value("#brush-size"), page.input_value("#brush-colour")) == ("40", colour)
    assert page.evaluate("() => localStorage.getItem('stylelab.tools') !== null")
    page.evaluate("() => localStorage.setItem('stylelab.tools', '{\"brush\": \"nope\", \"brushes\": "
                  "{\"pencil\": {\"size\": \"huge\"}}}')")
    page.reload()  # a damaged entry gives the defaults
    page.wait_for_selector("#view-lab:not([hidden])")
    assert (page.get_attribute("[data-brush=pencil]", "aria-pressed"), page.input_value("#brush-size")) == ("true", "6")


def test_the_lab_fits_a_laptop_screen_and_logs_no_errors(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message) if message.type == "error" else None)
    try:
        _open_lab(page, server)
        page.wait_for_function(  # the page has asked for a saved drawing (there is none)
            "performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/draft'))")
        box = page.locator("#canvas-wrap").bounding_box()
        assert box["y"] + box["height"] <= 800  # the whole canvas without scrolling
        assert box["height"] > 400
        assert [message.text for message in console] == []  # no 404 for the empty draft
        page.wait_for_selector("#job-gatys .progress, #job-gatys [data-action=cancel]")
        finish = page.locator("#finish").bounding_box()
        assert finish["y"] + finish["height"] <= 800  # "I'm done" too, beside the job cards (it was cut off)
        page.route("**/api/experiments/*/draft", lambda route: route.abort())
        page.click("[data-brush=marker]")
        _stroke(page, [(0.1, 0.2), (0.4, 0.2)])
        page.wait_for_selector("#error:not([hidden])")
        box = page.locator("#canvas-wrap").bounding_box()
        assert box["y"] + box["height"] <= 800  # the banner above made the canvas smaller, not longer
        page.unroute("**/api/experiments/*/draft")
    finally:
        context.close()


def test_the_time_left_reads_naturally_from_under_a_second_to_hours(page, server):
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    said = page.evaluate("""async () => {
        const { formatEta } = await import('/static/app.js');  // the page's own module, not a second copy
        return [null, 0, 0.3, 0.6, 1, 59.4, 60, 80, 3599, 3600, 4500].map(formatEta);
    }""")
    assert said == ["", "under a second left", "under a second left", "under a second left", "about 1 s left",
                    "about 59 s left", "about 1 min left", "about 1 min 20 s left", "about 59 min 59 s left",
                    "about 1 h left", "about 1 h 15 min left"]


def test_a_link_to_a_missing_experiment_says_so(page, server):
    _open_lab(page, server)
    for link in ("#/lab/0123456789abcdef", "#/results/0123456789abcdef", "#/lab/not-an-id", "#/lab/",
                 "#/results/", "#/lab/?limit=1"):
        page.evaluate(f"location.hash = {link!r}")
        page.wait_for_selector("#view-missing:not([hidden])")
        assert page.locator("#view-lab").is_hidden() and page.locator("#view-results").is_hidden()
        assert page.locator("#error").is_hidden()  # a page of its own, not the raw API message
    _shot(page, "missing.png")
    page.click("#view-missing >> text=History")
    page.wait_for_selector(".history-card")


def test_gatys_settings_are_checked_before_anything_is_sent(page, server):
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    page.click("#surprise")
    page.wait_for_selector("[data-chosen=painting] img")
    before = page.request.get(f"{server.url}/api/experiments").json()["total"]
    page.click(".settings summary")
    for field, value in (("#gatys-iterations", "0"), ("#gatys-size", "9999")):
        page.fill(field, value)
        page.click(".settings summary")  # closed: they open by themselves to show what is wrong
        page.click("#start")
        page.wait_for_timeout(300)
        assert page.locator("#view-start").is_visible()
        assert page.evaluate(f"document.querySelector({field!r}).validationMessage") != ""
        page.fill(field, "")  # empty: the server's default
    assert page.request.get(f"{server.url}/api/experiments").json()["total"] == before
    page.click("#start")
    page.wait_for_selector("#view-lab:not([hidden])")


def test_the_results_page_follows_a_method_still_running(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=200,
                         preview_every=1)
    with LiveServer(slow) as live:
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "the canvas is empty: compare anyway?"
        _open_lab(page, live, iterations=200)
        page.click("#finish")
        page.wait_for_selector("#view-results:not([hidden])")
        gatys = page.locator("#pictures [data-job=gatys]")
        gatys.locator("img.preview").wait_for()
        note = gatys.locator(".job-note")
        first = int(re.search(r"running: (\d+)%", note.inner_text()).group(1))
        wait_for(lambda: int(re.search(r"running: (\d+)%", note.inner_text()).group(1)) > first, timeout=20)
        gatys.locator("[data-action=cancel]").click()
        page.wait_for_selector("#pictures [data-job=gatys] >> text=Cancelled")
        page.close()


def test_the_results_say_grading_not_waiting_once_both_methods_are_done(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(grade_seconds=2.0), gatys_iterations=2)
    with LiveServer(slow) as live:
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "the canvas is empty: compare anyway?"
        _open_lab(page, live, iterations=2)
        page.wait_for_selector("#job-gatys [data-job-state=done]")
        page.click("#finish")
        page.wait_for_selector("#grades-status >> text=Grading…")
        page.wait_for_selector("#grades .grade:not(.empty)", timeout=20_000)
        assert page.inner_text("#grades-status") == ""
        page.close()


def test_the_history_follows_running_jobs_and_keeps_the_keyboard_focus(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=100)
    with LiveServer(slow) as live:
        page = browser.new_page()
        _open_lab(page, live, iterations=100)
        page.goto(f"{live.url}/#/history")
        title = page.locator(".history-card .history-head a")
        title.focus()
        page.evaluate("document.activeElement.dataset.before = 'yes'")  # gone once the card is redrawn
        text = page.evaluate("document.activeElement.textContent")
        page.locator(".history-card .badge.running").first.wait_for()  # fast and Gatys may both run
        slots = page.locator(".history-card .thumb-missing")  # pictures not there yet (was the bare "gatys")
        wait_for(lambda: any(re.fullmatch(r"Gatys: (running|waiting)", text) for text in slots.all_inner_texts()),
                 timeout=10)
        page.wait_for_function("!document.querySelector('[data-before]')", timeout=10_000)  # refreshed
        assert page.evaluate("document.activeElement.textContent") == text  # focus given back
        assert page.evaluate("document.activeElement.closest('.history-head') !== null")
        page.close()


def test_a_followed_job_says_when_the_server_is_gone(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=400)
    page = browser.new_page()
    with LiveServer(slow) as live:
        experiment = _api_experiment(page, live.url, gatys_iterations=400)
        page.goto(f"{live.url}/#/results/{experiment}")
        page.locator("#pictures [data-job=gatys] [data-action=cancel]").wait_for(timeout=20_000)
    # the server stopped: the page showed "running" with nothing moving and nothing said
    page.wait_for_function("() => document.querySelector('#error-text').textContent.includes('cannot be reached')",
                           timeout=15_000)
    page.close()


def test_undo_waits_for_the_stroke_and_a_second_finger_takes_the_stroke_back(page, server):
    _open_lab(page, server)
    page.click("[data-brush=marker]")
    _stroke(page, [(0.1, 0.2), (0.5, 0.2)])
    page.mouse.move(*_canvas_point(page, 0.3, 0.1))
    page.mouse.down()
    page.mouse.move(*_canvas_point(page, 0.3, 0.4), steps=4)
    page.keyboard.press("Control+z")  # mid-stroke: ignored (it left a piece of the first stroke behind)
    page.mouse.move(*_canvas_point(page, 0.3, 0.5), steps=4)
    page.mouse.up()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert _painted(page) == 0
    painted = page.evaluate("""() => {
        const wet = document.getElementById('wet'), box = wet.getBoundingClientRect();
        const at = (id, fx, fy, type) => wet.dispatchEvent(new PointerEvent(type, {pointerId: id, pointerType: 'touch',
            isPrimary: id === 1, button: type === 'pointermove' ? -1 : 0, bubbles: true,
            clientX: box.left + fx * box.width, clientY: box.top + fy * box.height}));
        at(1, 0.2, 0.6, 'pointerdown'); at(1, 0.4, 0.6, 'pointermove');
        at(2, 0.6, 0.6, 'pointerdown');  // a second finger: a pinch
        at(1, 0.5, 0.7, 'pointermove'); at(2, 0.7, 0.7, 'pointermove'); at(1, 0.5, 0.7, 'pointerup');
        at(2, 0.7, 0.7, 'pointerup');
        const data = document.getElementById('paper').getContext('2d').getImageData(0, 0, wet.width, wet.height).data;
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
        return count;
    }""")
    assert painted == 0 and page.is_disabled("#undo")  # no paint, no undo step


def test_uploading_a_painting_asks_before_dropping_a_painted_canvas(page, server, tmp_path):
    from PIL import Image

    _open_lab(page, server)
    page.click("[data-brush=marker]")
    _stroke(page, [(0.1, 0.2), (0.5, 0.2)])
    Image.new("RGB", (64, 48), "red").save(tmp_path / "mine.png")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.set_input_files("[data-file=drawing]", str(tmp_path / "mine.png"))
    page.wait_for_timeout(500)
    assert asked and "not kept" in asked[0]
    assert not page.is_hidden("#view-lab") and _painted(page) > 100  # still painting


def test_a_file_dropped_on_the_chosen_pictures_box_is_taken(page, server):
    import base64

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "PNG")
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    page.evaluate("""(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));
        const box = document.querySelector('[data-chosen=photo]');
        box.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
        box.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", base64.b64encode(buffer.getvalue()).decode())
    page.wait_for_selector("[data-chosen=photo] figcaption >> text=dropped")  # was ignored outside the strip


def test_the_last_choice_wins_over_a_slow_upload_and_start_waits_for_it(page, server, tmp_path):
    from PIL import Image

    Image.new("RGB", (64, 48), "red").save(tmp_path / "mine.png")
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    page.click("[data-gallery=painting] .thumb >> nth=0")

    def slow(route):
        page.wait_for_timeout(1500)
        route.continue_()

    page.route("**/api/uploads*", slow)
    page.set_input_files("[data-file=photo]", str(tmp_path / "mine.png"))
    page.wait_for_function("() => document.querySelector('[data-message=photo]').textContent.startsWith('Checking')")
    assert page.is_disabled("#start")  # waits for the upload
    page.click("[data-gallery=photo] .thumb >> nth=1")  # ...but the user picks a bundled photo meanwhile
    chosen = page.get_attribute("[data-gallery=photo] .thumb >> nth=1", "data-ref")
    page.wait_for_timeout(2500)  # the upload arrives
    assert page.get_attribute("[data-gallery=photo] .thumb.selected", "data-ref") == chosen
    assert not page.is_disabled("#start")


def test_views_are_announced_and_controls_are_named(page, server):
    _open_lab(page, server)
    assert page.evaluate("() => document.activeElement.textContent") == "Paint your version"
    page.wait_for_function("() => document.getElementById('announce').textContent.includes('Done')",
                           timeout=20_000)  # a job finished: said in the live region
    assert page.get_attribute("#undo", "aria-label") == "Undo"
    page.click("[data-nav=history]")
    page.wait_for_selector("#history-list .history-card")
    assert page.evaluate("() => document.activeElement.textContent") == "History"
    label = page.get_attribute("#history-list .history-card [data-action=delete] >> nth=0", "aria-label")
    assert label.startswith("Delete ") and " × " in label


def test_a_results_figure_that_did_not_change_is_not_rebuilt(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=400)
    with LiveServer(slow) as live:
        page = browser.new_page()
        experiment = _api_experiment(page, live.url, gatys_iterations=400)
        page.goto(f"{live.url}/#/results/{experiment}")
        cancel = page.locator("#pictures [data-job=gatys] [data-action=cancel]")
        cancel.wait_for(timeout=20_000)
        cancel.evaluate("(button) => { button.dataset.first = 'yes'; button.focus(); }")
        _finish_by_api(page, live.url, experiment)  # as another tab would: the drawing's figure changes
        page.wait_for_selector("#pictures figcaption >> text=Your painting")
        assert page.locator("#pictures [data-job=gatys] [data-action=cancel][data-first=yes]").count() == 1
        assert page.evaluate("() => document.activeElement.dataset.first") == "yes"  # the focus stayed too
        page.close()


def _api_experiment(page, url: str, photo: str = "gallery:photos/chelsea", **settings) -> str:
    body = {"photo": photo, "painting": "gallery:styles/udnie", "gatys_size": 32, "gatys_iterations": 1, **settings}
    response = page.request.post(f"{url}/api/experiments", data=body)
    assert response.status == 201, response.text()
    return response.json()["id"]


def test_cancel_keeps_the_place_and_progress_updates_in_place(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=200,
                         preview_every=1)
    with LiveServer(slow) as live:
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        _open_lab(page, live, iterations=200)
        page.click("#finish")
        gatys = page.locator("#pictures [data-job=gatys]")
        gatys.locator("img.preview").wait_for()
        gatys.locator("[data-action=cancel]").evaluate("(button) => { button.dataset.first = 'yes'; }")
        note = gatys.locator(".job-note")
        first = note.inner_text()
        wait_for(lambda: note.inner_text() != first, timeout=20)  # the progress moved on...
        assert gatys.locator("[data-action=cancel][data-first=yes]").count() == 1  # ...under the same button
        page.evaluate("window.scrollTo(0, 300)")
        scrolled = page.evaluate("window.scrollY")
        assert scrolled > 200
        gatys.locator("[data-action=cancel]").click()
        page.wait_for_selector("#pictures [data-job=gatys] >> text=Cancelled")
        assert abs(page.evaluate("window.scrollY") - scrolled) < 50  # not back at the top
        context.close()


def test_back_from_an_older_experiment_returns_to_its_place_in_the_history(browser, tmp_path):
    with LiveServer(make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.01))) as live:
        page = browser.new_page()
        ids = [_api_experiment(page, live.url) for _ in range(27)]
        page.goto(f"{live.url}/#/history")
        page.click("#history-more")
        wait_for(lambda: page.locator(".history-card").count() == 27)
        page.click(f"[data-experiment='{ids[0]}'] .history-head a")  # the oldest: on the second page
        page.wait_for_selector("#view-lab:not([hidden]), #view-results:not([hidden])")
        page.go_back()
        page.wait_for_function("() => document.activeElement.closest('.history-card')")  # the list is back
        focused = page.evaluate("() => document.activeElement.closest('.history-card').dataset.experiment")
        assert focused == ids[0] and page.locator(".history-card").count() == 27  # was the first 24 only
        page.close()


def test_the_history_keeps_its_older_pages_when_it_refreshes(browser, tmp_path):
    with LiveServer(make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1))) as live:
        page = browser.new_page()
        for _ in range(26):
            _api_experiment(page, live.url)
        _api_experiment(page, live.url, gatys_iterations=100)  # still running: the page refreshes
        page.goto(f"{live.url}/#/history")
        page.click("#history-more")
        wait_for(lambda: page.locator(".history-card").count() == 27)
        page.evaluate("document.querySelector('.history-card').dataset.before = 'yes'")
        page.wait_for_function("!document.querySelector('[data-before]')", timeout=10_000)  # refreshed
        assert page.locator(".history-card").count() == 27
        page.close()


def test_the_canvas_fits_after_the_window_changed_elsewhere_and_for_tall_photos(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        _open_lab(page, server)
        lab = page.url
        page.click("[data-nav=history]")
        page.set_viewport_size({"width": 1280, "height": 500})
        page.goto(lab)
        page.wait_for_selector("#view-lab:not([hidden])")  # shown at once; fitted once its data came

        def bottom() -> float:
            box = page.locator("#canvas-wrap").bounding_box()
            return box["y"] + box["height"]

        wait_for(lambda: bottom() <= 500 + 1, timeout=5)

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (100, 400), (90, 140, 200)).save(buffer, "PNG")  # 1:4 portrait
        upload = page.request.post(f"{server.url}/api/uploads?role=photo&name=tall.png", data=buffer.getvalue(),
                                   headers={"Content-Type": "application/octet-stream"})
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{server.url}/#/lab/{_api_experiment(page, server.url, photo=upload.json()['id'], gatys_size=64)}")
        page.wait_for_selector("#palette .swatch")

        def tall() -> bool:
            box = page.locator("#canvas-wrap").bounding_box()
            return box["y"] + box["height"] <= 800 + 1 and abs(box["height"] / box["width"] - 4) < 0.1

        wait_for(tall, timeout=5)
    finally:
        context.close()


def test_strokes_made_while_a_save_is_slow_are_kept_when_leaving(page, server):
    _open_lab(page, server)
    first = page.evaluate("() => location.hash.split('/')[2]")

    def slow_save(route):
        page.wait_for_timeout(1200)
        route.continue_()

    page.route("**/draft", lambda route: slow_save(route) if route.request.method == "PUT" else route.continue_())
    page.click("[data-brush=marker]")
    _stroke(page, [(0.1, 0.2), (0.4, 0.2)])
    _stroke(page, [(0.1, 0.7), (0.4, 0.7)])  # made while the first upload is still on its way
    page.goto(f"{server.url}/#/lab/{_api_experiment(page, server.url)}")  # the canvas changes hands
    page.wait_for_selector("#palette .swatch")

    from PIL import Image

    def painted_rows() -> set[int]:
        data = page.request.get(f"{server.url}/api/experiments/{first}/draft").body()
        if not data:
            return set()
        alpha = np.asarray(Image.open(io.BytesIO(data)))[..., 3]
        return {round(row / alpha.shape[0], 1) for row in np.nonzero(alpha.any(axis=1))[0]}

    wait_for(lambda: {0.2, 0.7} <= painted_rows(), timeout=15)  # both strokes reached the first experiment
    page.unroute("**/draft")


def test_fill_behind_stops_at_nearly_opaque_outlines_even_for_strokes_touching_them(page, server):
    _open_lab(page, server)
    page.click("[data-brush=marker]")
    page.fill("#brush-opacity", "100")  # opaque: an outline the fill does not go behind
    _stroke(page, [(0.2, 0.2), (0.6, 0.2), (0.6, 0.8), (0.2, 0.8), (0.2, 0.2)])
    page.fill("#brush-opacity", "60")  # translucent, inside, touching the outline
    _stroke(page, [(0.4, 0.5), (0.6, 0.5)])
    inside = page.evaluate("""() => {
        const paper = document.getElementById('paper');
        return [...paper.getContext('2d').getImageData(Math.floor(paper.width * 0.25), Math.floor(paper.height * 0.3),
            Math.floor(paper.width * 0.3), Math.floor(paper.height * 0.4)).data];
    }""")
    page.click("[data-brush=fill]")
    page.mouse.click(*_canvas_point(page, 0.9, 0.9))
    after = page.evaluate("""() => {
        const paper = document.getElementById('paper');
        return [...paper.getContext('2d').getImageData(Math.floor(paper.width * 0.25), Math.floor(paper.height * 0.3),
            Math.floor(paper.width * 0.3), Math.floor(paper.height * 0.4)).data];
    }""")
    assert _painted(page, (0.85, 0.85, 0.95, 0.95)) > 0  # the outside was filled
    assert after == inside  # the translucent stroke inside, touching the outline, kept its colours


def test_a_refresh_never_moves_the_focus_to_another_jobs_button(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1, fast_seconds=3),
                         gatys_iterations=100)
    with LiveServer(slow) as live:
        page = browser.new_page()
        _api_experiment(page, live.url, gatys_iterations=100)
        page.goto(f"{live.url}/#/history")
        page.locator(".history-card [data-action=cancel][data-kind=fast]").focus()
        page.wait_for_selector(".history-card .badge.done", timeout=15_000)  # the fast job finished
        page.wait_for_function("!document.activeElement.matches('[data-kind=fast]')", timeout=5_000)
        focused = page.evaluate(
            "[document.activeElement.dataset.kind, document.activeElement.closest('.history-head') !== null]")
        assert focused == [None, True]  # the card's title, not the Gatys job's Cancel
        page.close()


def _finish_by_api(page, url: str, experiment: str) -> str:
    """Finish ``experiment`` with a white drawing, as another tab would; return the drawing's id."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buffer, "PNG")
    drawing = page.request.post(f"{url}/api/uploads?role=drawing", data=buffer.getvalue(),
                                headers={"Content-Type": "image/png"}).json()
    finished = page.request.post(f"{url}/api/experiments/{experiment}/finish",
                                 data={"drawing": drawing["id"], "source": "upload"})
    assert finished.ok
    return drawing["id"]


def test_a_lab_whose_experiment_was_finished_elsewhere_shows_the_results_and_back_leaves_them(page, server):
    _open_lab(page, server)
    experiment = page.evaluate("() => location.hash.split('/')[2]")
    drawing = _finish_by_api(page, server.url, experiment)
    page.wait_for_selector("#view-results:not([hidden])", timeout=10_000)  # it stayed in the lab
    assert page.evaluate("() => location.hash") == f"#/results/{experiment}"
    assert page.request.get(f"{server.url}/api/experiments/{experiment}").json()["drawing"]["id"] == drawing
    assert page.locator("#pictures figcaption").all_inner_texts()[2] == "Your painting"  # it was uploaded
    link = page.get_attribute("#pictures figure >> nth=2 >> a.download", "href")
    assert link.endswith(f"?name={experiment}-your-painting")  # named after the experiment, like its sheet
    assert page.locator("#grades h3").all_inner_texts()[:2] == ["Your painting ↔ fast", "Your painting ↔ Gatys"]
    page.go_back()  # the lab was replaced by its results: Back leaves them (it went to the lab, which came back)
    page.wait_for_selector("#view-start:not([hidden])")
    page.goto(f"{server.url}/#/lab/{experiment}")  # an old link to the lab of a finished experiment
    page.wait_for_selector("#view-results:not([hidden])")
    assert page.url.endswith(f"#/results/{experiment}")  # the address names what is shown
    page.go_back()
    page.wait_for_selector("#view-start:not([hidden])")


def test_a_lab_whose_experiment_was_deleted_elsewhere_says_so(page, server):
    _open_lab(page, server)
    experiment = page.evaluate("() => location.hash.split('/')[2]")
    wait_for(lambda: not page.request.get(f"{server.url}/api/experiments/{experiment}").json()["active"], timeout=20)
    assert page.request.delete(f"{server.url}/api/experiments/{experiment}").ok  # as another tab would
    page.wait_for_selector("#view-missing:not([hidden])", timeout=10_000)  # it polled a 404 every 3 s


def test_a_stroke_painted_while_the_server_is_down_is_sent_once_it_is_back(page, server):
    _open_lab(page, server)
    page.route("**/api/experiments/*/draft", lambda route: route.abort())  # the server is down
    page.click("[data-brush=marker]")
    _stroke(page, [(0.1, 0.2), (0.4, 0.2)])
    page.wait_for_selector("#draft-status[data-state=failed]")
    assert "sent again once the server answers" in page.inner_text("#error-text")
    page.unroute("**/api/experiments/*/draft")  # ...and back
    page.wait_for_selector("#draft-status[data-state=saved]", timeout=10_000)
    page.wait_for_selector("#error", state="hidden")
    page.reload()
    page.wait_for_selector("#palette .swatch")
    wait_for(lambda: _painted(page, (0.05, 0.1, 0.45, 0.3)) > 100, timeout=10)  # the stroke was kept


def test_a_page_follows_a_rerun_started_in_another_tab(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=200)
    with LiveServer(slow) as live:
        page = browser.new_page()
        experiment = _api_experiment(page, live.url, gatys_iterations=200)
        jobs = lambda: page.request.get(f"{live.url}/api/experiments/{experiment}").json()["jobs"]  # noqa: E731
        wait_for(lambda: jobs()["gatys"]["state"] == "running", timeout=20)
        page.request.post(f"{live.url}/api/jobs/{jobs()['gatys']['id']}/cancel")
        page.goto(f"{live.url}/#/results/{experiment}")
        gatys = page.locator("#pictures [data-job=gatys]")
        gatys.locator("text=Cancelled").wait_for()
        page.request.post(f"{live.url}/api/jobs/{jobs()['gatys']['id']}/rerun")  # as another tab would
        gatys.locator("[data-action=cancel]").wait_for(timeout=10_000)  # running again here, without a reload
        page.close()


def test_a_view_opened_while_the_server_is_down_appears_once_it_is_back(page, server):
    experiment = _api_experiment(page, server.url)
    page.goto(f"{server.url}/#/history")
    page.wait_for_selector("#history-list .history-card")
    page.route("**/api/**", lambda route: route.abort())  # the server is down
    page.evaluate(f"() => {{ location.hash = '#/results/{experiment}'; }}")
    page.wait_for_function("() => document.querySelector('#error-text').textContent.includes('cannot be reached')")
    page.unroute("**/api/**")  # ...and back
    page.wait_for_selector("#pictures [data-job=fast]", timeout=10_000)
    page.wait_for_selector("#error", state="hidden")  # the banner went with the outage


def test_two_tabs_on_one_canvas_never_lose_strokes_silently(browser, server):
    first = browser.new_page()
    _open_lab(first, server)
    lab = first.url
    second = browser.new_page()
    with second.expect_response(lambda r: r.url.endswith("/draft") and r.request.method == "GET"):
        second.goto(lab)  # its draft (none yet) is loaded
    second.wait_for_selector("#palette .swatch")
    first.click("[data-brush=marker]")
    _stroke(first, [(0.1, 0.2), (0.4, 0.2)])
    first.wait_for_selector("#draft-status[data-state=saved]")
    second.click("[data-brush=marker]")
    _stroke(second, [(0.1, 0.7), (0.4, 0.7)])  # painted on a canvas that has not seen the first tab's stroke
    second.wait_for_selector("#draft-status[data-state=failed]")  # it said "Saved" and dropped the first tab's
    assert "changed in another tab" in second.inner_text("#error-text")
    second.reload()
    second.wait_for_selector("#view-lab:not([hidden])")
    wait_for(lambda: _painted(second, (0.05, 0.1, 0.45, 0.3)) > 100, timeout=10)  # the first tab's stroke
    first.click("[data-nav=history]")
    card = first.locator(f"[data-experiment='{lab.split('/')[-1]}']")
    card.locator("text=drawing in progress").wait_for()  # not "no drawing yet"
    first.close()
    second.close()


def test_on_a_phone_a_refused_start_is_shown_in_sight_in_the_forms_words(browser, server, tmp_path):
    """The 422 banner used to appear ~900 px above the visible part of the page, naming the API field."""
    from PIL import Image

    wide = tmp_path / "wide.png"
    Image.new("RGB", (800, 100), (30, 90, 160)).save(wide)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(server.url)
        page.wait_for_selector("[data-gallery=painting] .thumb")
        page.set_input_files("[data-file=photo]", str(wide))
        page.wait_for_selector("[data-chosen=photo] figcaption:text('wide.png')")
        page.locator("[data-gallery=painting] .thumb").first.click()
        page.click(".settings summary")
        page.fill("#gatys-size", "64")
        page.click("#start")
        page.wait_for_selector("#error", state="visible")
        box = page.locator("#error").bounding_box()
        assert page.evaluate("window.scrollY") > 400  # the Start button is far down the page
        assert 0 <= box["y"] and box["y"] + box["height"] <= 844, box  # in sight where the user is
        text = page.inner_text("#error-text")
        assert text.startswith("Size (px): at 64 px this photo's short side would be 8 px"), text
        assert "choose a size of at least 124" in text and "gatys_size" not in text
        assert page.evaluate("document.activeElement.id") == "gatys-size"
        assert page.evaluate("document.querySelector('#view-start details.settings').open")
        page.screenshot(path=str(ARTIFACTS / "phone-start-error.png"))
    finally:
        context.close()


TRACK_EVENT_SOURCES = """
window.eventSources = [];
window.EventSource = class extends window.EventSource {
    constructor(...args) { super(...args); window.eventSources.push(this); }
};
"""

SET_VISIBILITY = """(state) => {
    Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def test_a_hidden_tab_gives_back_its_event_stream_and_catches_up_when_shown(browser, tmp_path):
    """Chromium allows 6 connections per host: six tabs each holding a stream stalled the others."""
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=400)
    with LiveServer(slow) as live:
        page = browser.new_page()
        page.add_init_script(TRACK_EVENT_SOURCES)
        experiment = _api_experiment(page, live.url, gatys_iterations=400)
        page.goto(f"{live.url}/#/lab/{experiment}")
        page.wait_for_selector("#job-gatys [data-job-state=running]", timeout=20_000)
        page.wait_for_function("window.eventSources.length === 1 && window.eventSources[0].readyState === 1")
        page.evaluate(SET_VISIBILITY, "hidden")
        assert page.evaluate("window.eventSources.map((source) => source.readyState)") == [2]  # closed
        gatys = page.request.get(f"{live.url}/api/experiments/{experiment}").json()["jobs"]["gatys"]
        page.request.post(f"{live.url}/api/jobs/{gatys['id']}/cancel")  # while hidden
        page.wait_for_timeout(500)
        assert page.evaluate("window.eventSources.length") == 1  # nothing reopened while hidden
        page.evaluate(SET_VISIBILITY, "visible")
        page.wait_for_selector("#job-gatys [data-job-state=cancelled]", timeout=10_000)  # caught up
        assert page.evaluate("window.eventSources.length") == 2
        page.close()


def test_the_results_say_why_grades_are_missing_when_a_method_was_cancelled(browser, tmp_path):
    slow = make_settings(tmp_path / "data", methods=FakeMethods(step_seconds=0.1), gatys_iterations=400)
    with LiveServer(slow) as live:
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
        page = context.new_page()
        experiment = _api_experiment(page, live.url, gatys_iterations=400)
        jobs = lambda: page.request.get(f"{live.url}/api/experiments/{experiment}").json()["jobs"]  # noqa: E731
        wait_for(lambda: jobs()["gatys"]["state"] == "running" and jobs()["fast"]["state"] == "done", timeout=20)
        page.request.post(f"{live.url}/api/jobs/{jobs()['gatys']['id']}/cancel")
        wait_for(lambda: jobs()["gatys"]["state"] == "cancelled", timeout=20)
        _finish_by_api(page, live.url, experiment)
        page.goto(f"{live.url}/#/results/{experiment}")
        page.wait_for_selector("#grades .grade:not(.empty)", timeout=20_000)  # drawing ↔ fast
        status = page.inner_text("#grades-status")
        assert status.startswith("Gatys method was cancelled: Re-run it"), status
        assert page.locator("#grades .grade.empty").count() == 2
        _shot(page, "phone-results-cancelled.png")
        page.set_viewport_size({"width": 1400, "height": 900})
        _shot(page, "results-cancelled.png")
        context.close()


def test_the_results_say_why_grading_stopped_and_offer_to_rerun_it(browser, tmp_path):
    settings = make_settings(tmp_path / "data", methods=FakeMethods(fail="grade"))
    with LiveServer(settings) as live:
        page = browser.new_page()
        experiment = _api_experiment(page, live.url)
        jobs = lambda: page.request.get(f"{live.url}/api/experiments/{experiment}").json()["jobs"]  # noqa: E731
        wait_for(lambda: jobs()["gatys"]["state"] == "done" and jobs()["fast"]["state"] == "done", timeout=20)
        _finish_by_api(page, live.url, experiment)
        wait_for(lambda: jobs().get("grade", {}).get("state") == "failed", timeout=20)
        page.goto(f"{live.url}/#/results/{experiment}")
        page.wait_for_selector("#grades .grade.empty")
        status = page.locator("#grades-status")
        status.get_by_text("Grading failed (fake grade failure)").wait_for()  # it said only "Not graded."
        first_start = jobs()["grade"]["started"]
        status.locator("[data-action=rerun][data-kind=grade]").click()
        wait_for(lambda: jobs()["grade"]["started"] not in (None, first_start), timeout=20)  # it ran again
        page.close()


def _black(page) -> None:
    page.evaluate("""() => {
        const input = document.getElementById('brush-colour');
        input.value = '#000000';
        input.dispatchEvent(new Event('input'));
    }""")


def _brush(page, brush: str, size: int, opacity: int) -> None:
    page.click(f"[data-brush={brush}]")
    page.fill("#brush-size", str(size))
    page.fill("#brush-opacity", str(opacity))


def _alpha_at(page, fx: float, fy: float, half: int = 2) -> float:
    """Mean paint alpha (0…1) of the paper canvas in a small square around (fx, fy)."""
    return page.evaluate(
        """([fx, fy, half]) => {
        const paper = document.getElementById('paper');
        const data = paper.getContext('2d').getImageData(Math.round(paper.width * fx) - half,
            Math.round(paper.height * fy) - half, 2 * half + 1, 2 * half + 1).data;
        let sum = 0;
        for (let i = 3; i < data.length; i += 4) sum += data[i];
        return sum / (data.length / 4) / 255;
    }""",
        [fx, fy, half],
    )


def test_an_eraser_at_half_opacity_takes_away_about_half_the_paint(page, server):
    _open_lab(page, server)
    _black(page)
    _brush(page, "marker", 40, 100)
    _stroke(page, [(0.1, 0.5), (0.9, 0.5)])
    assert _alpha_at(page, 0.5, 0.5) == 1
    _brush(page, "eraser", 20, 50)
    _stroke(page, [(0.2, 0.5), (0.8, 0.5)])  # its overlapping dabs took away 99.9 %: 50 % acted as 100 %
    assert 0.4 < _alpha_at(page, 0.5, 0.5) < 0.6
    _brush(page, "eraser", 20, 100)
    _stroke(page, [(0.2, 0.5), (0.8, 0.5)])
    assert _alpha_at(page, 0.5, 0.5) == 0  # at 100 % it still takes everything
    page.keyboard.press("Control+z")
    assert 0.4 < _alpha_at(page, 0.5, 0.5) < 0.6


def test_a_pencil_stroke_is_as_dark_as_its_opacity_says(page, server):
    _open_lab(page, server)
    _black(page)
    _brush(page, "pencil", 20, 40)
    _stroke(page, [(0.1, 0.3), (0.9, 0.3)])  # its overlapping dabs made it 80 % dark
    assert 0.25 < _alpha_at(page, 0.5, 0.3, 1) < 0.5
    _brush(page, "pencil", 20, 100)
    _stroke(page, [(0.1, 0.7), (0.9, 0.7)])
    assert _alpha_at(page, 0.5, 0.7, 1) > 0.85


def test_the_results_explain_the_grades_and_show_each_once(page, server):
    experiment = _api_experiment(page, server.url)
    jobs = lambda: page.request.get(f"{server.url}/api/experiments/{experiment}").json()["jobs"]  # noqa: E731
    wait_for(lambda: jobs()["gatys"]["state"] == "done" and jobs()["fast"]["state"] == "done", timeout=20)
    _finish_by_api(page, server.url, experiment)
    page.goto(f"{server.url}/#/results/{experiment}")
    page.wait_for_function("document.querySelectorAll('.grade[data-grade]:not([data-grade=none])').length === 3",
                           timeout=20_000)
    about = page.locator("#grades-about")
    assert about.is_visible()  # nothing said what a grade measures or what its components mean
    assert all(word in about.inner_text() for word in ("0", "10", "style", "structure", "colour"))
    cards = page.locator("#grades .grade").all_inner_texts()
    assert not any("similarity" in card for card in cards), cards  # "6.9 / 10" beside "similarity 0.69": one number


def _outline(page) -> dict | None:
    """The brush outline (None while hidden): centre, size and shape, and its box as turned on screen."""
    return page.evaluate("""async () => {
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        const outline = document.getElementById('brush-outline');
        if (outline.hidden) return null;
        const box = outline.getBoundingClientRect();
        return {x: box.x + box.width / 2, y: box.y + box.height / 2, width: outline.offsetWidth,
                height: outline.offsetHeight, shape: outline.dataset.shape,
                across: box.width, down: box.height};  // as turned on screen
    }""")


def test_the_brush_outline_follows_the_pointer_at_the_brush_size_on_screen(page, server):
    _open_lab(page, server)
    scale = page.evaluate("() => { const wet = document.getElementById('wet');"
                          " return wet.getBoundingClientRect().width / wet.width; }")
    assert 0.3 < scale < 3 and abs(scale - 1) > 0.05  # shown scaled: the outline must scale with it
    _brush(page, "marker", 40, 100)
    assert _outline(page) is None  # nothing until the pointer is over the canvas
    for fx, fy in [(0.5, 0.5), (0.2, 0.3)]:
        x, y = _canvas_point(page, fx, fy)
        page.mouse.move(x, y)
        outline = _outline(page)
        assert outline["shape"] == "round"
        assert abs(outline["width"] - 40 * scale) <= 1 and abs(outline["height"] - 40 * scale) <= 1
        assert abs(outline["x"] - x) <= 1 and abs(outline["y"] - y) <= 1  # centred on the pointer
    page.fill("#brush-size", "80")  # a change under a still pointer shows at once
    page.mouse.move(x + 1, y)
    assert abs(_outline(page)["width"] - 80 * scale) <= 1
    _brush(page, "pencil", 40, 100)  # the pencil's point is half its size setting across
    page.mouse.move(x, y)
    assert abs(_outline(page)["width"] - 20 * scale) <= 1

    _brush(page, "acrylic", 60, 100)  # a flat: a bar across the way it moves
    page.mouse.move(*_canvas_point(page, 0.3, 0.5))
    page.mouse.move(*_canvas_point(page, 0.5, 0.5), steps=5)
    outline = _outline(page)
    assert outline["shape"] == "flat" and abs(outline["width"] - 60 * scale) <= 1 and outline["height"] < 10
    assert outline["down"] > 3 * outline["across"]  # moving sideways: the bar stands upright
    page.mouse.move(*_canvas_point(page, 0.5, 0.8), steps=5)
    outline = _outline(page)
    assert outline["across"] > 3 * outline["down"]  # moving down: it lies across

    page.mouse.move(5, 5)  # off the canvas
    assert _outline(page) is None
    page.mouse.move(*_canvas_point(page, 0.5, 0.5))
    assert _outline(page) is not None
    page.evaluate("""() => {
        const wet = document.getElementById('wet');
        const box = wet.getBoundingClientRect();
        wet.dispatchEvent(new PointerEvent('pointermove', {clientX: box.left + 50, clientY: box.top + 50,
            pointerId: 9, pointerType: 'touch', bubbles: true}));
    }""")
    assert _outline(page) is None  # under a finger: nothing to see anyway
    page.click("[data-brush=fill]")
    page.mouse.move(*_canvas_point(page, 0.4, 0.4))
    assert _outline(page) is None  # the fill has no size
    assert _painted(page) == 0  # the outline is never in the picture


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _near(colour: str, rgb: tuple[int, int, int], tolerance: int = 8) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(_hex(colour), rgb, strict=True))


def test_the_colour_picker_takes_colours_from_the_photo_the_painting_and_the_canvas(page, server):
    from PIL import Image

    red, blue, yellow, green = (200, 30, 40), (30, 60, 200), (240, 200, 40), (20, 120, 60)

    def upload(role: str, size: tuple[int, int], halves: str, first, second) -> str:
        image = Image.new("RGB", size, first)
        box = (size[0] // 2, 0, *size) if halves == "left-right" else (0, size[1] // 2, *size)
        image.paste(second, box)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        response = page.request.post(f"{server.url}/api/uploads?role={role}&name={role}.png",
                                     data=buffer.getvalue(), headers={"Content-Type": "image/png"})
        return response.json()["id"]

    photo = upload("photo", (320, 160), "left-right", red, blue)  # wider than its box: margins above and below
    painting = upload("painting", (200, 200), "top-bottom", yellow, green)
    experiment = page.request.post(f"{server.url}/api/experiments", data={
        "photo": photo, "painting": painting, "gatys_size": 32, "gatys_iterations": 1}).json()["id"]
    page.goto(f"{server.url}/#/lab/{experiment}")
    page.wait_for_selector("#palette .swatch")
    page.wait_for_function("['lab-photo', 'lab-painting'].every((id) => document.getElementById(id).naturalWidth)")

    def at(selector: str, fx: float, fy: float) -> dict:
        box = page.locator(selector).bounding_box()
        return {"x": box["width"] * fx, "y": box["height"] * fy}

    button = page.get_by_role("button", name="Pick colour")  # named, and reached by the keyboard
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == "true"
    page.click("#lab-photo", position=at("#lab-photo", 0.5, 0.02))  # the margin above the photo: nothing
    assert page.input_value("#brush-colour") == "#2b2b2b"
    page.click("#lab-photo", position=at("#lab-photo", 0.3, 0.5))
    assert _near(page.input_value("#brush-colour"), red), page.input_value("#brush-colour")
    assert button.get_attribute("aria-pressed") == "false"  # one pick, then back to the brush
    assert "picked" in page.inner_text("#announce")
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('stylelab.tools')).colour")
    assert stored == page.input_value("#brush-colour")  # the brush's colour, kept like a palette choice

    page.click("#lab-painting", position=at("#lab-painting", 0.5, 0.8), modifiers=["Alt"])  # Alt+click
    assert _near(page.input_value("#brush-colour"), green), page.input_value("#brush-colour")
    page.click("#lab-photo", position=at("#lab-photo", 0.7, 0.5))  # without Alt or the picker: nothing
    assert _near(page.input_value("#brush-colour"), green)

    _brush(page, "marker", 40, 100)
    page.evaluate("""() => {
        const input = document.getElementById('brush-colour');
        input.value = '#3366cc';
        input.dispatchEvent(new Event('input'));
    }""")
    _stroke(page, [(0.2, 0.5), (0.8, 0.5)])
    painted = _painted(page)
    page.locator("#palette .swatch").first.click()
    page.click("#wet", position=at("#wet", 0.5, 0.5), modifiers=["Alt"])
    assert _near(page.input_value("#brush-colour"), (0x33, 0x66, 0xCC), 2), page.input_value("#brush-colour")
    button.click()
    page.click("#wet", position=at("#wet", 0.5, 0.1))  # bare paper: white
    assert page.input_value("#brush-colour") == "#ffffff"
    assert _painted(page) == painted  # picking never paints
    page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
    assert page.locator("#brush-outline").is_visible()  # the picker is off again: the brush is back
    button.click()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-pressed") == "false"


def test_on_a_phone_the_drawing_is_beside_both_results(browser, server):
    """Two columns: photo | painting, then the drawing beside the fast result, and the Gatys result was alone
    on a third row. The drawing now spans both results' rows and stays beside the one scrolled to."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    experiment = _api_experiment(page, server.url)
    jobs = lambda: page.request.get(f"{server.url}/api/experiments/{experiment}").json()["jobs"]  # noqa: E731
    wait_for(lambda: jobs()["gatys"]["state"] == "done" and jobs()["fast"]["state"] == "done", timeout=20)
    _finish_by_api(page, server.url, experiment)
    page.goto(f"{server.url}/#/results/{experiment}")
    page.wait_for_selector("#pictures [data-job=gatys] img")
    figures = page.locator("#pictures > figure")
    drawing, fast, gatys = (figures.nth(index) for index in (2, 3, 4))

    def beside(a, b) -> bool:  # side by side: other columns, overlapping rows
        one, two = a.bounding_box(), b.bounding_box()
        return one["x"] != two["x"] and one["y"] < two["y"] + two["height"] and two["y"] < one["y"] + one["height"]

    assert beside(drawing, fast)
    _shot(page, "phone-results.png")
    gatys.evaluate("element => element.scrollIntoView({block: 'start'})")
    assert beside(drawing, gatys), (drawing.bounding_box(), gatys.bounding_box())
    page.set_viewport_size({"width": 1400, "height": 900})  # a desktop: all five in one row, as before
    assert len({round(box["y"]) for box in (figure.bounding_box() for figure in figures.all())}) == 1
    context.close()


def test_an_acrylic_stroke_is_as_dark_as_its_opacity_says(page, server):
    _open_lab(page, server)
    _black(page)
    _brush(page, "acrylic", 40, 30)
    _stroke(page, [(0.1, 0.3), (0.9, 0.3)])  # its overlapping bristle trails made it about 65 % dark
    assert 0.22 < _alpha_at(page, 0.3, 0.3, 4) < 0.38
    _brush(page, "acrylic", 40, 100)
    _stroke(page, [(0.1, 0.7), (0.9, 0.7)])
    assert _alpha_at(page, 0.3, 0.7, 4) > 0.9


def _colour(page, hex_colour: str) -> None:
    page.evaluate(
        """(colour) => {
        const input = document.getElementById('brush-colour');
        input.value = colour;
        input.dispatchEvent(new Event('input'));
    }""",
        hex_colour,
    )


def _stroke_colour(page, fy: float, under: tuple[int, int, int]) -> tuple[float, float, float]:
    """Hue (degrees), saturation and texture (std of the distance from ``under``) of the painted pixels around row
    ``fy``, seen over ``under``."""
    data, width, height = page.evaluate("""() => {
        const paper = document.getElementById('paper');
        const data = paper.getContext('2d').getImageData(0, 0, paper.width, paper.height).data;
        return [Array.from(data), paper.width, paper.height];
    }""")
    rgba = np.array(data, dtype=float).reshape(height, width, 4)
    band = rgba[int(height * fy) - 12 : int(height * fy) + 12, int(width * 0.3) : int(width * 0.6)]
    alpha = band[..., 3:] / 255
    seen = band[..., :3] * alpha + np.array(under, dtype=float) * (1 - alpha)
    distance = np.abs(seen - under).sum(-1)
    painted = seen[distance > 6]
    assert len(painted) > 200, "no stroke where it was painted"
    hue, saturation, _ = colorsys.rgb_to_hsv(*(painted.mean(0) / 255))
    return hue * 360, saturation, float(distance[distance > 6].std())


def test_an_acrylic_stroke_at_low_opacity_is_a_thin_layer_of_its_colour(page, server):
    # a review said acrylic came out a flat grey at low opacity; not reproduced, this keeps it so
    _open_lab(page, server)
    _colour(page, "#0044ff")  # hue 224°
    _brush(page, "acrylic", 28, 10)
    _stroke(page, [(0.1, 0.3), (0.9, 0.3)])
    hue, saturation, texture = _stroke_colour(page, 0.3, (255, 255, 255))
    assert abs(hue - 224) < 8 and saturation > 0.07 and texture > 2  # a marker at 10 % seen on white: 0.10
    _colour(page, "#202020")
    _brush(page, "fill", 12, 100)
    _stroke(page, [(0.02, 0.02)])
    _colour(page, "#ff0000")
    _brush(page, "acrylic", 28, 30)
    _stroke(page, [(0.1, 0.6), (0.9, 0.6)])
    hue, saturation, texture = _stroke_colour(page, 0.6, (32, 32, 32))
    assert min(hue, 360 - hue) < 8 and saturation > 0.6 and texture > 4  # the pencil here: 0.76
