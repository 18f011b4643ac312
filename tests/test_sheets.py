"""Labels of the side-by-side sheets: wrapped after commas, cut only when lines run out."""

import pytest
from PIL import Image

from stylelab.sheets import LABEL_HEIGHT, LINE_HEIGHT, side_by_side, text_width, wrap_label

LABEL = "method=gatys, style_weight=30.0, preserve_color=luminance"


def test_a_long_label_wraps_after_its_commas_keeping_every_key():
    lines = wrap_label(LABEL, 240, lines=3)
    assert lines == ["method=gatys,", "style_weight=30.0,", "preserve_color=luminance"]
    assert all(text_width(line) <= 240 for line in lines)


def test_a_label_that_fits_stays_on_one_line_and_the_last_line_is_cut_when_lines_run_out():
    assert wrap_label("photo", 240, lines=3) == ["photo"]
    first, last = wrap_label(LABEL, 150, lines=2)
    assert first == "method=gatys," and "…" in last and text_width(last) <= 150


def test_the_label_band_grows_with_the_lines_a_row_needs():
    picture = Image.new("RGB", (240, 160), "grey")
    one = side_by_side([("photo", picture)], height=160)
    three = side_by_side([("photo", picture), (LABEL, picture)], height=160, label_lines=3)
    assert three.height - one.height == 2 * LINE_HEIGHT
    assert one.height == 160 + LABEL_HEIGHT + 16


def test_labels_draw_accents_and_dashes_not_empty_boxes():
    picture = Image.new("RGB", (60, 40), "grey")

    def drawn(label):
        return side_by_side([(label, picture)], height=40).tobytes()

    missing = drawn("\U0010fffd")  # no font has it: the "missing" box
    assert all(drawn(character) != missing for character in "é—ü")  # were that box


def test_every_curve_of_a_plot_with_many_runs_looks_different(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from stylelab.sheets import save_loss_curves

    saved, savefig = [], Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda figure, *args, **kwargs: (saved.append(figure),
                                                                          savefig(figure, *args, **kwargs)))
    save_loss_curves({f"photo{i}×udnie": {"total": [3.0 + i, 2.0 + i]} for i in range(12)}, tmp_path / "loss.png")
    looks = [(line.get_color(), line.get_linestyle()) for line in saved[0].axes[0].get_lines()]
    assert len(looks) == 12 and len(set(looks)) == 12  # the 11th had the 1st's colour and line: one legend entry


@pytest.mark.parametrize("runs, outside", [(3, False), (24, True)])
def test_a_long_legend_goes_beside_the_plot_and_fits_the_figure(tmp_path, monkeypatch, runs, outside):
    from matplotlib.figure import Figure

    from stylelab.sheets import save_loss_curves

    saved, savefig = [], Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda figure, *args, **kwargs: (saved.append(figure),
                                                                          savefig(figure, *args, **kwargs)))
    save_loss_curves({f"#{i} style_weight=1e{i % 6}, lr=0.{i}": {"total": [3.0 + i, 2.0 + i]} for i in range(runs)},
                     tmp_path / "loss.png", name_runs=True)
    figure = saved[0]
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    legend, plot = axes.get_legend().get_window_extent(renderer), axes.get_window_extent(renderer)
    assert (legend.x0 >= plot.x1) == outside  # 24 entries hid most of the curves
    if outside:  # all of it shown, and the plot keeps most of a 7-inch figure's width
        figure_box = figure.bbox
        assert legend.x1 <= figure_box.x1 and legend.y0 >= figure_box.y0 and legend.y1 <= figure_box.y1
        assert plot.width >= 0.6 * 7 * figure.dpi
