"""One picture with an experiment's five images and its grades, for download."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

TILE = 320
MARGIN = 16
LABEL_HEIGHT = 30
LINE_HEIGHT = 26
BACKGROUND = (250, 248, 244)
INK = (34, 34, 34)
MISSING = (225, 222, 216)


def make_sheet(
    tiles: list[tuple[str, Image.Image | None]], lines: list[str], tile: int = TILE
) -> Image.Image:
    """Lay ``tiles`` (label, image or None) out in one row with ``lines`` of text below.

    Each image is scaled to fit a ``tile``×``tile`` square (its long side on the tile's); a missing one
    is a grey square marked "not available".
    """
    width = MARGIN + len(tiles) * (tile + MARGIN)
    height = MARGIN + LABEL_HEIGHT + tile + MARGIN + len(lines) * LINE_HEIGHT + MARGIN
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    label_font = ImageFont.load_default(size=20)
    text_font = ImageFont.load_default(size=18)
    for index, (label, image) in enumerate(tiles):
        left = MARGIN + index * (tile + MARGIN)
        top = MARGIN + LABEL_HEIGHT
        draw.text((left, MARGIN), label, fill=INK, font=label_font)
        if image is None:
            draw.rectangle((left, top, left + tile - 1, top + tile - 1), fill=MISSING)
            draw.text(
                (left + tile // 2, top + tile // 2), "not available", fill=INK, font=text_font, anchor="mm"
            )
            continue
        scale = tile / max(image.size)  # fit the tile, enlarging small results too
        fitted = image.convert("RGB").resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS
        )
        sheet.paste(fitted, (left + (tile - fitted.width) // 2, top + (tile - fitted.height) // 2))
    text_top = MARGIN + LABEL_HEIGHT + tile + MARGIN
    for index, line in enumerate(lines):
        draw.text((MARGIN, text_top + index * LINE_HEIGHT), line, fill=INK, font=text_font)
    return sheet
