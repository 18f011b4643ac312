"""Tiles reassemble into exactly one whole-image pass: no seams."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from stylelab.fast.engine import _pad_to_multiple, _run
from stylelab.fast.tiling import ALIGN, MARGIN, split_axis
from tests.fast.fast_helpers import ASSETS, as_array, small

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@given(length=st.integers(1, 3000).map(lambda n: n * ALIGN),
       tile=st.integers(64, 512).map(lambda n: n * ALIGN))
def test_segments_cover_the_axis_within_the_tile_size(length, tile):
    segments = split_axis(length, tile)
    assert segments[0].core_start == 0 and segments[-1].core_stop == length
    for before, after in itertools.pairwise(segments):
        assert before.core_stop == after.core_start
    for segment in segments:
        assert segment.stop - segment.start <= tile
        assert segment.start % ALIGN == 0 and segment.core_start % ALIGN == 0
        assert segment.start == max(0, segment.core_start - MARGIN)
        assert segment.stop == min(length, segment.core_stop + MARGIN)


def test_tiled_pass_equals_one_pass_with_the_same_statistics(stylizer, style):
    image = as_array(small(ASSETS / "photos" / "coffee.jpg", 303))  # 303×202: not multiples of 4
    vector = stylizer.blend([style])
    statistics_image = as_array(small(ASSETS / "photos" / "coffee.jpg", 150))
    tiled, tiles = stylizer.transform(image, vector, tile_size=256, statistics_image=statistics_image)
    assert tiles == 2
    statistics = stylizer.statistics(statistics_image, vector)
    whole = _run(stylizer._session("tiled"), _pad_to_multiple(image, ALIGN), vector, statistics)[0]
    assert np.array_equal(tiled, whole[:image.shape[0], :image.shape[1]])


def _border_energy_ratio(image: np.ndarray, tile_size: int) -> float:
    """Median squared luminance gradient across tile borders over the image's median."""
    luminance = image @ LUMA
    across_columns = (luminance[:, 1:] - luminance[:, :-1]) ** 2
    across_rows = (luminance[1:] - luminance[:-1]) ** 2
    columns = split_axis(image.shape[1], tile_size)[:-1]
    rows = split_axis(image.shape[0], tile_size)[:-1]
    border = np.concatenate([across_columns[:, s.core_stop - 1] for s in columns]
                            + [across_rows[s.core_stop - 1] for s in rows])
    return float(np.median(border) / np.median(np.concatenate([across_columns.ravel(), across_rows.ravel()])))


def test_tile_borders_carry_no_extra_gradient_energy(stylizer, style):
    image = as_array(small(ASSETS / "photos" / "rocket.jpg", 600))  # 600×400 → 20 tiles of 256
    vector = stylizer.blend([style])
    tiled, tiles = stylizer.transform(image, vector, tile_size=256)
    assert tiles == 20
    # Border lines of a seamless image are ordinary lines: their median energy scatters around the
    # image's (0.9-1.4 on the bundled photos); normalising each tile on its own gives 9-28×.
    assert _border_energy_ratio(tiled, 256) <= 1.5


def test_border_measure_detects_per_tile_normalisation(stylizer, style):
    image = as_array(small(ASSETS / "photos" / "rocket.jpg", 600))
    vector = stylizer.blend([style])
    naive = np.empty_like(image)
    session = stylizer._session("transform")  # each tile normalised with its own statistics
    for row in split_axis(image.shape[0], 256):
        for column in split_axis(image.shape[1], 256):
            out = _run(session, image[row.start:row.stop, column.start:column.stop], vector, {})[0]
            naive[row.core_start:row.core_stop, column.core_start:column.core_stop] = out[
                row.core_start - row.start:row.core_stop - row.start,
                column.core_start - column.start:column.core_stop - column.start]
    assert _border_energy_ratio(naive, 256) > 3.0


def test_the_edge_margin_adds_no_row_of_tiles(stylizer, style):
    image = np.random.default_rng(0).random((257, 255, 3), dtype=np.float32)  # just over one 256 px tile
    vector = stylizer.blend([style])
    assert stylizer.transform(image, vector, tile_size=256)[1] == 2
    output, tiles = stylizer.transform(image, vector, tile_size=256, margin=8)
    assert tiles == 2 and output.shape == image.shape  # the margin made 4
