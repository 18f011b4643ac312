"""Split a large working image into overlapping tiles that reassemble exactly.

The transformer is a stack of convolutions with a receptive field of ±54 px
at working resolution (measured: flipping one input pixel changes outputs up
to 54 px away; a crop's output matches the whole image's once 64 px from the
crop's border). With the instance-norm statistics shared by all tiles (see
:func:`stylelab.fast.models.inject_statistics`), each tile is run with a
``MARGIN``-pixel rim of context and only its core is kept, so the tiled result
equals one pass over the whole image: there is nothing to feather and no seam.
Tile origins are multiples of 4 because the network downsamples twice by 2.

The shared statistics come from one pass over the content scaled to fit a
tile (onnxruntime's quantised global pooling refuses feature maps above about
8.4 Mpx, and memory grows with the pass). They differ from the statistics an
impossible one-pass run at full size would have: measured at 2048 px with
statistics from 1024 px, the output moves by 0.03-0.05 mean absolute (0-1
scale), evenly over the image. Refining them from the tiles does not work:
a fixed-point iteration only fixes one of the 26 statistics per pass and
diverges meanwhile (measured), and averaging per-tile statistics is worse
than downscaling (0.04-0.09).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MARGIN = 64
ALIGN = 4


@dataclass(frozen=True)
class Segment:
    """One tile along one axis.

    The network sees ``[start, stop)``; the output keeps ``[core_start, core_stop)``.
    """

    start: int
    stop: int
    core_start: int
    core_stop: int


def split_axis(length: int, tile: int) -> list[Segment]:
    """Cut ``[0, length)`` into the fewest aligned segments whose span with margins (MARGIN of context on
    each inner side of a core) is at most ``tile``.

    Args:
        length: the axis length, a multiple of ``ALIGN``.
        tile: the largest span one segment may have, including its margins.

    Returns:
        Segments whose cores tile ``[0, length)`` without overlap.
    """
    if length <= tile:
        return [Segment(0, length, 0, length)]
    count = 2
    while _core_length(length, count) + (2 * MARGIN if count > 2 else MARGIN) > tile:
        count += 1
    core = _core_length(length, count)
    segments = []
    for index in range(count):
        core_start = index * core
        core_stop = min(length, core_start + core)
        if core_start >= core_stop:
            break
        start, stop = max(0, core_start - MARGIN), min(length, core_stop + MARGIN)
        segments.append(Segment(start, stop, core_start, core_stop))
    return segments


def _core_length(length: int, count: int) -> int:
    return math.ceil(length / count / ALIGN) * ALIGN
