"""Keyboard-only and screen-reader use of the page, in Debian's chromium through Playwright.

The keyboard focus is never lost to <body> when a view redraws, controls and groups are named, status
changes are said in the live region, and text is readable (WCAG contrast from the computed styles).
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.browser import CHROMIUM
from tests.experiments.fakes import FakeMethods
from tests.web.conftest import LiveServer, make_settings
from tests.web.test_browser import _api_experiment, _open_lab

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="the playwright package is missing"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"),
]

FOCUSED = """() => {
    const e = document.activeElement, card = e.closest('[data-experiment]');
    return [e.tagName.toLowerCase(), e.dataset.action || null, e.dataset.kind || null, card && card.dataset.experiment];
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("a11y-data"), methods=FakeMethods(step_seconds=0.05),
                             gatys_iterations=4, preview_every=1)
    with LiveServer(settings) as live:
        yield live


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the native confirms: keyboard-usable as they are
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


LISTEN = """() => {
    window.said = [];
    const region = document.getElementById('announce');
    new MutationObserver(() => window.said.push(region.textContent))
        .observe(region, { childList: true, characterData: true, subtree: true });
}"""


def _press(page, selector: str) -> None:
    page.focus(selector)
    page.keyboard.press("Enter")


def test_cancel_and_rerun_by_keyboard_keep_the_focus_on_the_job(page, server):
    _open_lab(page, server, iterations=400)  # long enough to cancel
    page.wait_for_selector("#job-gatys [data-job-state=running]")
    _press(page, "#job-gatys [data-action=cancel]")
    page.wait_for_selector("#job-gatys [data-job-state=cancelled]")
    assert page.evaluate(FOCUSED)[:3] == ["button", "rerun", "gatys"]  # was <body>
    page.keyboard.press("Enter")
    page.wait_for_selector("#job-gatys [data-job-state=running]")
    assert page.evaluate(FOCUSED)[:3] == ["button", "cancel", "gatys"]
    _press(page, "#finish")
    page.wait_for_selector("#view-results:not([hidden])")
    page.evaluate(LISTEN)
    _press(page, "#pictures [data-job=gatys] [data-action=cancel]")
    page.wait_for_selector("#pictures [data-job=gatys] >> text=Cancelled")
    assert page.evaluate(FOCUSED)[:3] == ["button", "rerun", "gatys"]
    page.wait_for_function("window.said.includes('Gatys method: Cancelled')")  # said on the results page too


def test_deleting_from_the_history_moves_the_focus_to_the_next_card(page, server):
    page.goto(server.url)
    older, newer = (_api_experiment(page, server.url) for _ in range(2))
    page.goto(f"{server.url}/#/history")
    delete = f"[data-experiment='{newer}'] [data-action=delete]:not([disabled])"
    page.wait_for_selector(delete, timeout=20_000)
    _press(page, delete)
    page.wait_for_selector(f"[data-experiment='{newer}']", state="detached")
    assert page.evaluate(FOCUSED) == ["a", None, None, older]  # its title link; was <body>


def test_dismissing_an_error_gives_the_focus_to_the_view(page, server):
    page.route("**/api/gallery/random", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"detail": "the gallery is busy"}'))
    page.goto(server.url)
    page.wait_for_selector("[data-gallery=photo] .thumb")
    _press(page, "#surprise")
    assert page.get_by_role("alert").inner_text().startswith("the gallery is busy")  # said at once
    _press(page, "#error-close")
    assert page.evaluate("document.activeElement.id") == "surprise"  # back where it was; was the hidden button
    page.route("**/api/gallery/random", lambda route: route.fulfill(
        status=503, content_type="application/json", body='{"detail": "still busy"}'))
    _press(page, "#surprise")
    page.get_by_role("alert").filter(has_text="still busy").wait_for()
    page.evaluate("document.getElementById('surprise').remove()")  # gone meanwhile
    _press(page, "#error-close")
    assert page.evaluate("document.activeElement.textContent") == page.inner_text("#view-start h1")

@pytest.fixture(scope="module")
def lab(browser, server):
    """One lab, both methods done, for the tests that only read it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _open_lab(page, server)
    page.wait_for_selector("#job-gatys [data-job-state=done]", timeout=20_000)
    page.wait_for_selector("#job-fast [data-job-state=done]", timeout=20_000)
    yield page
    context.close()


def test_a_failed_method_is_said_with_its_reason_and_the_undo_keys_are_exposed(browser, tmp_path):
    # the failure comes once the lab shows the job running: failed before its first view, it is no change
    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.05, fail="gatys", fail_seconds=3.0))
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script("document.addEventListener('DOMContentLoaded', () => (" + LISTEN + ")())")
    with LiveServer(settings) as live:
        _open_lab(page, live)
        page.wait_for_function("window.said.some((text) => text.startsWith('Gatys method: Failed'))")
        said = page.evaluate("window.said.find((text) => text.startsWith('Gatys method: Failed'))")
        assert "fake gatys failure" in said  # the reason shown on the card; was only "Gatys method: Failed"
        assert page.get_attribute("#undo", "aria-keyshortcuts") == "Control+Z"
    context.close()


def test_the_palette_and_the_results_in_the_lab_are_named(lab):
    assert lab.get_by_role("group", name="Colours of the painting").get_by_role("button").count() >= 1
    assert lab.get_by_role("img", name="Fast method result").count() == 1
    assert lab.get_by_role("img", name="Gatys method result").count() == 1


CONTRAST = """(selector) => {
    const rgb = (colour) => colour.match(/[\\d.]+/g).map(Number);
    const luminance = (colour) => {
        const [r, g, b] = rgb(colour).slice(0, 3).map((v) => v / 255)
            .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const element = document.querySelector(selector);
    let back = element;
    while (rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
    const [a, b] = [getComputedStyle(element).color, getComputedStyle(back).backgroundColor].map(luminance);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


READABLE = ["#view-lab .job h3", "#job-fast .state.done", ".refs figcaption", ".finish .dropzone span", "#finish",
            "#job-gatys .progress-text", "#brush-size-value"]


def test_text_in_the_lab_has_enough_contrast(lab):
    ratios = {selector: round(lab.evaluate(CONTRAST, selector), 2) for selector in READABLE}
    assert {selector: ratio for selector, ratio in ratios.items() if ratio < 4.5} == {}  # WCAG AA, body text


def test_a_delete_that_ends_after_the_user_moved_on_leaves_the_focus_where_they_are(page, server):
    """The focus went to the next card's title when the server answered, wherever the user had gone
    meanwhile (tabbed on, or typing)."""
    page.goto(server.url)
    older, newer = (_api_experiment(page, server.url) for _ in range(2))
    held = []
    page.route(f"**/api/experiments/{newer}", lambda route: held.append(route) if route.request.method == "DELETE"
               else route.continue_())
    page.goto(f"{server.url}/#/history")
    delete = f"[data-experiment='{newer}'] [data-action=delete]:not([disabled])"
    page.wait_for_selector(delete, timeout=20_000)
    _press(page, delete)
    page.wait_for_function("() => true")  # lets the route handler see the request
    page.focus("[data-nav=history]")  # moved on while the server is busy
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_selector(f"[data-experiment='{newer}']", state="detached")
    assert page.evaluate("document.activeElement.dataset.nav") == "history"
