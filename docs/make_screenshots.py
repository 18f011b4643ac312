"""Screenshots of the web app for the README, from a real run with the default settings.

Serves the app (the real engines, default settings) on a fresh data dir and a free port, drives Debian's
chromium through one experiment (cat photo × Matisse, a quick cat painted with
the fill, watercolour, acrylic, marker and pencil tools), and writes:

* docs/web-canvas.png  - the lab while the Gatys job runs (fast result shown, live preview);
* docs/web-results.png - the results page with the three grades.

Run: ``.venv/bin/python docs/make_screenshots.py`` (needs the test extras and /usr/bin/chromium).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test helpers that launch chromium and serve the app in a thread

from tests.browser import launch_chromium
from tests.web.conftest import LiveServer

from stylelab.web.settings import WebSettings

DOCS = ROOT / "docs"
VIEWPORT = {"width": 1400, "height": 900}
PHOTO, PAINTING = "Chelsea", "Woman with hat"
JOB_TIMEOUT_MS = 600_000

# (brush, palette swatch, size, points as fractions of the canvas): a quick attempt at the cat
STROKES = [
    ("fill", 3, 1, [(0.5, 0.5)]),
    ("watercolour", 6, 120, [(0.0, 0.1), (0.3, 0.05), (0.7, 0.1), (1.0, 0.05)]),
    ("watercolour", 7, 120, [(0.0, 0.9), (0.4, 0.95), (1.0, 0.88)]),
    ("acrylic", 5, 110, [(0.5, 0.3), (0.35, 0.45), (0.4, 0.7), (0.5, 0.8), (0.6, 0.7), (0.65, 0.45), (0.5, 0.3)]),
    ("acrylic", 5, 90, [(0.5, 0.45), (0.5, 0.65)]),
    ("acrylic", 5, 60, [(0.25, 0.35), (0.28, 0.1), (0.4, 0.3)]),
    ("acrylic", 5, 60, [(0.6, 0.3), (0.72, 0.1), (0.75, 0.35)]),
    ("watercolour", 7, 70, [(0.33, 0.62), (0.36, 0.66)]),
    ("watercolour", 7, 70, [(0.64, 0.62), (0.67, 0.66)]),
    ("acrylic", 0, 30, [(0.38, 0.48), (0.42, 0.46), (0.46, 0.49)]),
    ("acrylic", 0, 30, [(0.54, 0.49), (0.58, 0.46), (0.62, 0.48)]),
    ("marker", 2, 14, [(0.47, 0.62), (0.5, 0.66), (0.53, 0.62)]),
    ("pencil", 0, 3, [(0.3, 0.66), (0.43, 0.64)]),
    ("pencil", 0, 3, [(0.3, 0.72), (0.43, 0.68)]),
    ("pencil", 0, 3, [(0.57, 0.64), (0.7, 0.66)]),
    ("pencil", 0, 3, [(0.57, 0.68), (0.7, 0.72)]),
]


def paint(page, brush: str, swatch: int, size: int, points: list[tuple[float, float]]) -> None:
    page.click(f"[data-brush={brush}]")
    page.locator("#palette .swatch").nth(swatch).click()
    page.fill("#brush-size", str(size))
    box = page.locator("#wet").bounding_box()
    at = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def run_experiment(page, url: str) -> None:
    page.goto(url)
    page.click(f"[data-gallery=photo] .thumb[title='{PHOTO}']")
    page.click(f"[data-gallery=painting] .thumb[title='{PAINTING}']")
    page.click("#start")
    page.wait_for_selector("#palette .swatch")
    for stroke in STROKES:
        paint(page, *stroke)
    page.wait_for_selector("#job-fast [data-job-state=done]", timeout=JOB_TIMEOUT_MS)
    page.wait_for_function(
        "/Iteration ([3-9]\\d|\\d{3}) /.test(document.querySelector('#job-gatys .progress-text').innerText)",
        timeout=JOB_TIMEOUT_MS)
    page.screenshot(path=str(DOCS / "web-canvas.png"))
    page.wait_for_selector("#job-gatys [data-job-state=done]", timeout=JOB_TIMEOUT_MS)
    page.click("#finish")
    page.wait_for_function(
        "document.querySelectorAll('.grade[data-grade]:not([data-grade=none])').length === 3",
        timeout=JOB_TIMEOUT_MS)
    page.screenshot(path=str(DOCS / "web-results.png"))


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data_dir, LiveServer(WebSettings(data_dir=Path(data_dir))) as live:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            run_experiment(page, live.url)
            browser.close()
    print(f"wrote {DOCS / 'web-canvas.png'} and {DOCS / 'web-results.png'}")

if __name__ == "__main__":
    main()
