"""The combined result sheet: layout sizes and where each picture lands."""

from __future__ import annotations

from PIL import Image

from stylelab.experiments.sheet import LABEL_HEIGHT, LINE_HEIGHT, MARGIN, MISSING, make_sheet


def test_sheet_places_each_picture_in_its_tile_and_marks_missing_ones():
    tile = 100
    tiles = [
        ("Red", Image.new("RGB", (50, 50), (255, 0, 0))),
        ("Missing", None),
        ("Blue wide", Image.new("RGB", (400, 100), (0, 0, 255))),
    ]
    sheet = make_sheet(tiles, ["line one", "line two"], tile=tile)
    assert sheet.size == (
        MARGIN + 3 * (tile + MARGIN),
        MARGIN + LABEL_HEIGHT + tile + MARGIN + 2 * LINE_HEIGHT + MARGIN,
    )
    top = MARGIN + LABEL_HEIGHT
    centre = lambda index: (MARGIN + index * (tile + MARGIN) + tile // 2, top + tile // 2)  # noqa: E731
    assert sheet.getpixel(centre(0)) == (255, 0, 0)
    assert sheet.getpixel((MARGIN + 2, top + 2)) == (255, 0, 0)  # a small square fills its tile
    assert sheet.getpixel((MARGIN + tile + MARGIN + 3, top + 3)) == MISSING
    assert sheet.getpixel(centre(2)) == (0, 0, 255)
    wide_left = MARGIN + 2 * (tile + MARGIN)
    assert sheet.getpixel((wide_left + 50, top + 5)) != (0, 0, 255)  # 4:1 keeps its aspect: 100×25
    assert sheet.getpixel((wide_left + 50, top + tile // 2 - 10)) == (0, 0, 255)
