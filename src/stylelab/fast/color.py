"""Colour preservation for the fast method."""

from __future__ import annotations

from PIL import Image


def keep_content_colors(stylized: Image.Image, content: Image.Image) -> Image.Image:
    """Luminance-only transfer: the stylised image's Y with the content's Cb and Cr (ITU-R BT.601).

    ``content`` is resized to the stylised image's size if needed.
    """
    if content.size != stylized.size:
        content = content.resize(stylized.size, Image.LANCZOS)
    luminance = stylized.convert("YCbCr").getchannel("Y")
    _, blue, red = content.convert("YCbCr").split()
    return Image.merge("YCbCr", (luminance, blue, red)).convert("RGB")
