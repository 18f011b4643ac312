"""fast_stylize and FastStylizer: sizes, strength, blending, colour, caching, timings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image, ImageFilter

from stylelab.errors import ConfigError, InputError
from stylelab.fast import FastConfig, FastStylizer, fast_stylize, planned_sizes
from stylelab.fast.engine import normalise_weights
from tests.fast.fast_helpers import ASSETS, as_array, small


def _mean_abs(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(as_array(a) - as_array(b)).mean())


def test_odd_size_comes_back_exactly(stylizer, tmp_path, style):
    path = tmp_path / "odd.png"
    Image.new("RGB", (97, 131), (200, 120, 40)).save(path)
    result = fast_stylize(path, style, stylizer=stylizer)
    assert result.image.size == (97, 131)
    assert result.detail_size == (97, 131) and result.detail_tiles == 1  # the native pass, at the odd size
    assert result.working_size == (55, 75) and result.tiles == 1  # the large strokes: 97×131 / 1.75
    # the network's own output is cropped back exactly (a later resize would hide a row too few)
    output, _ = stylizer.transform(np.zeros((131, 97, 3), np.float32), np.zeros(100, np.float32), 2048)
    assert output.shape == (131, 97, 3)


def test_the_output_pixel_limit_counts_the_output(stylizer, style):
    content = Image.new("RGB", (100, 50), "white")  # 5,000 px in, 20,000 px out
    assert stylizer.stylize(content, style, FastConfig(size=200, max_pixels=20_000)).image.size == (200, 100)
    with pytest.raises(ConfigError, match="200×100 = 20,000 px, over the limit of 19,999 px"):
        stylizer.stylize(content, style, FastConfig(size=200, max_pixels=19_999))


def test_strength_zero_is_nearly_the_content(stylizer, content, style, other_style):
    at = {s: stylizer.stylize(content, style, FastConfig(strength=s)).image for s in (0.0, 0.5, 1.0)}
    # the painting plays no part at strength 0: only the content's own style vector is used
    assert at[0.0] == stylizer.stylize(content, other_style, FastConfig(strength=0.0)).image
    distance = {s: _mean_abs(image, content) for s, image in at.items()}
    assert distance[0.0] < distance[0.5] < distance[1.0]
    # measured on this pair: 0.06 at strength 0 (the network's reconstruction), 0.22 at 1
    assert distance[0.0] < 0.09
    assert distance[0.0] < 0.4 * distance[1.0]


def test_blending_two_identical_styles_equals_one(stylizer, content, style):
    one = stylizer.stylize(content, style).image
    assert stylizer.stylize(content, [style, style]).image == one
    unequal = stylizer.stylize(content, [style, style.copy()], weights=[0.3, 0.7]).image
    assert np.abs(as_array(unequal) - as_array(one)).max() <= 2 / 255


def test_blend_weights_select_and_mix(stylizer, content, style, other_style):
    only_first = stylizer.stylize(content, [style, other_style], weights=[1, 0]).image
    assert only_first == stylizer.stylize(content, style).image
    vectors = [stylizer.style_vector(s) for s in (style, other_style)]
    mixed = stylizer.blend([style, other_style], weights=[3, 1])
    np.testing.assert_allclose(mixed, 0.75 * vectors[0] + 0.25 * vectors[1], rtol=0, atol=1e-6)


def test_the_style_network_sees_the_centre_square_of_a_wide_or_tall_painting(stylizer, style):
    square = style.resize((96, 96))
    wide = Image.new("RGB", (288, 96), "black")
    wide.paste(square, (96, 0))
    tall = Image.new("RGB", (96, 288), "black")
    tall.paste(square, (0, 96))
    expected = stylizer.style_vector(square)
    np.testing.assert_array_equal(stylizer.style_vector(wide), expected)
    np.testing.assert_array_equal(stylizer.style_vector(tall), expected)


def test_style_vector_is_cached_by_content(content, style):
    fresh = FastStylizer("cpu")
    calls = []
    real = fresh._session("predict")

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def run(self, *args, **kwargs):
            calls.append(1)
            return real.run(*args, **kwargs)

    fresh._sessions["predict"] = Counting()
    first = fresh.stylize(content, style)
    second = fresh.stylize(content.transpose(Image.FLIP_LEFT_RIGHT), style.copy())
    assert len(calls) == 1
    assert first.timings["style"] > 0 and second.image.size == content.size


def test_timings_report_model_loading_separately(content, style):
    fresh = FastStylizer("cpu")
    first = fresh.stylize(content, style).timings
    second = fresh.stylize(content, style).timings
    assert set(first) == {"load", "read", "style", "transform", "resize", "total"}
    assert first["load"] > 0 and second["load"] == 0
    assert second["total"] >= second["transform"] > 0


def test_preserve_color_keeps_the_content_chroma(stylizer, content, style):
    plain = stylizer.stylize(content, style).image
    kept = stylizer.stylize(content, style, FastConfig(preserve_color="luminance")).image
    ycc = {name: np.asarray(image.convert("YCbCr"), dtype=np.int16)
           for name, image in (("plain", plain), ("kept", kept), ("content", content))}
    chroma_error = np.abs(ycc["kept"][..., 1:] - ycc["content"][..., 1:])
    # YCbCr → RGB → YCbCr rounds, and clips where the new luminance leaves the RGB gamut
    assert chroma_error.mean() <= 1.0 and np.quantile(chroma_error, 0.99) <= 3
    assert np.abs(ycc["plain"][..., 1:] - ycc["content"][..., 1:]).mean() > 5 * chroma_error.mean()
    assert np.quantile(np.abs(ycc["kept"][..., 0] - ycc["plain"][..., 0]), 0.99) <= 3


def test_a_large_stroke_scale_on_a_small_output_keeps_the_shape(stylizer, content, style):
    result = stylizer.stylize(content, style, FastConfig(size=64, stroke_scale=8.0))
    assert result.image.size == (64, 43)
    assert result.working_size == (24, 16)  # not 16 x 16: the short side stops at 16 px


def test_size_and_stroke_scale_set_output_and_working_resolution(stylizer, content, style):
    result = stylizer.stylize(content, style, FastConfig(size=120, stroke_scale=2.0))
    assert result.image.size == (120, 80)
    assert result.working_size == (60, 40)


def test_large_working_images_are_tiled(stylizer, content, style):
    result = stylizer.stylize(content, style, FastConfig(size=300, tile_size=256, stroke_scale=1))
    assert result.image.size == (300, 200) and result.tiles == 2 and result.detail_tiles == 0
    with_detail = stylizer.stylize(content, style, FastConfig(size=300, tile_size=256))
    assert with_detail.working_size == (171, 114) and with_detail.tiles == 1  # 300 / 1.75: one pass
    assert with_detail.detail_size == (300, 200) and with_detail.detail_tiles == 2


def test_output_over_the_pixel_limit_is_refused(stylizer, content, style):
    with pytest.raises(ConfigError, match="over the limit"):
        stylizer.stylize(content, style, FastConfig(size=4000, max_pixels=1_000_000))
    with pytest.raises(ConfigError, match="stroke_scale"):  # the working image is bounded too
        stylizer.stylize(content, style, FastConfig(size=900, stroke_scale=0.25, max_pixels=1_000_000))


def _laplacian_variance(image: Image.Image) -> float:
    y = np.asarray(image.convert("L"), dtype=np.float64)
    return float((y[1:-1, :-2] + y[1:-1, 2:] + y[:-2, 1:-1] + y[2:, 1:-1] - 4 * y[1:-1, 1:-1]).var())


def test_native_detail_sharpens_large_strokes_and_keeps_their_colours(stylizer, content, style):
    config = FastConfig(size=128, stroke_scale=2.0)
    detailed, soft = (stylizer.stylize(content, style, config.replace(detail=mode)) for mode in ("native", "none"))
    native = stylizer.stylize(content, style, config.replace(stroke_scale=1))
    assert soft.detail_size is None and detailed.detail_size == (128, 85) and detailed.working_size == (64, 42)
    assert _laplacian_variance(detailed.image) > 2 * _laplacian_variance(soft.image)
    blur = ImageFilter.GaussianBlur(3)
    # the low frequencies (colours, large strokes) are the large-stroke pass's, not the native pass's
    assert _mean_abs(detailed.image.filter(blur), soft.image.filter(blur)) < 0.5 * _mean_abs(
        detailed.image.filter(blur), native.image.filter(blur))


def test_detail_is_inert_at_native_resolution(stylizer, content, style):
    config = FastConfig(size=96, stroke_scale=1)
    assert config.inert_settings() == ["detail"] and FastConfig(stroke_scale=0.5).inert_settings() == ["detail"]
    assert FastConfig().inert_settings() == FastConfig(detail="none").inert_settings() == []
    assert config.replace(detail="none").effective() == config  # a grid runs them once
    assert FastConfig(detail="none").effective() == FastConfig(detail="none")
    results = [stylizer.stylize(content, style, config.replace(detail=mode)) for mode in ("native", "none")]
    assert results[0].detail_size is None and results[0].working_size == (96, 64)
    assert np.array_equal(np.asarray(results[0].image), np.asarray(results[1].image))


def test_a_small_output_whose_strokes_run_at_its_own_size_gets_no_second_pass(stylizer, content, style):
    result = stylizer.stylize(content, style, FastConfig(size=24))  # 24×16: the short side stays at 16 px
    assert result.working_size == (24, 16) and result.detail_size is None and result.detail_tiles == 0


@pytest.mark.parametrize("changes, message", [
    ({"detail": "fine"}, "detail: unknown value 'fine'"),
    ({"strength": 1.5}, "strength"), ({"strength": -0.1}, "strength"), ({"size": 0}, "size"),
    ({"stroke_scale": 0}, "stroke_scale"), ({"style_size": 8}, "style_size"),
    ({"style_size": 1024}, "style_size: must be at most 768"),
    ({"preserve_color": "histogram"}, "preserve_color"), ({"device": "tpu"}, "device"),
    ({"device": "cuda:x"}, "auto, cpu, cuda, cuda:N"), ({"device": "cuda:"}, "device"),
    ({"device": "cuda:N"}, "N: a GPU number"),
    ({"tile_size": 4096}, "tile_size"), ({"strength": float("nan")}, "strength"),
])
def test_config_rejects_bad_values(changes, message):
    with pytest.raises(ConfigError, match=message):
        FastConfig(**changes)


def test_cuda_devices_name_a_gpu():
    from stylelab.fast.models import providers_for

    assert FastConfig(device="cuda:1").device == "cuda:1"
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        assert providers_for("cuda:1")[0] == ("CUDAExecutionProvider", {"device_id": 1})
    else:
        with pytest.raises(ConfigError, match="device cuda:1: this onnxruntime build has no CUDA provider"):
            providers_for("cuda:1")


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FastConfig().strength = 0.5  # type: ignore[misc]


@pytest.mark.parametrize("weights, count, message", [
    ([1.0, -1.0], 2, "at least 0"), ([1.0], 2, "one per style"), ([0.0, 0.0], 2, "positive"),
    ([float("inf"), 1.0], 2, "finite"), (None, 0, "at least one style"),
])
def test_bad_weights_are_config_errors(weights, count, message):
    with pytest.raises(ConfigError, match=message):
        normalise_weights(weights, count)


@pytest.mark.parametrize("weights, given", [
    ({"a.jpg": 3, "b.jpg": 1}, r"a dict \{'a.jpg': 3, 'b.jpg': 1\}"), ({3, 1}, r"a set \{1, 3\}"),
    (frozenset({3, 1}), r"a frozenset"),
])
def test_weights_without_a_fixed_order_are_refused(weights, given):
    with pytest.raises(ConfigError, match=f"weights: expected one number per style image, in order; got {given}"):
        normalise_weights(weights, 2)


def test_ordered_iterables_stay_accepted_as_weights():
    assert normalise_weights((w for w in (3, 1)), 2) == [0.75, 0.25]
    assert normalise_weights((3, 1), 2) == normalise_weights([3, 1], 2) == [0.75, 0.25]


def test_numpy_weights_are_numbers():
    assert normalise_weights(np.array([3, 1]), 2) == [0.75, 0.25]
    assert normalise_weights([np.float32(1), np.int64(3)], 2) == [0.25, 0.75]
    assert all(type(weight) is float for weight in normalise_weights(np.array([1, 1]), 2))  # JSON-ready


@pytest.mark.parametrize("vector", [np.zeros(5), np.full(100, np.nan), "style", None])
def test_a_bad_style_vector_is_a_config_error(stylizer, content, vector):
    with pytest.raises(ConfigError, match="style vector: expected 100 finite numbers"):
        stylizer.stylize_vector(content, vector)


def test_an_output_thinner_than_any_input_is_refused(stylizer, style):
    thin = Image.new("RGB", (16, 256), "white")
    with pytest.raises(ConfigError, match=r"output would be 1×16 px, under 16 px on a side; choose a larger `size`"):
        stylizer.stylize(thin, style, FastConfig(size=16))
    assert stylizer.stylize(thin, style, FastConfig(size=256)).image.size == (16, 256)


def test_huge_weights_do_not_overflow():
    assert normalise_weights([1e308, 1e308], 2) == [0.5, 0.5]
    assert normalise_weights([3.0, 1.0], 2) == [0.75, 0.25]


def test_weights_that_are_not_a_sequence_of_numbers_are_refused(stylizer, content, style):
    with pytest.raises(ConfigError, match="weights: expected one number per style image, got 1.0"):
        fast_stylize(content, style, FastConfig(size=32), 1.0, stylizer=stylizer)
    once = fast_stylize(content, [style, style], FastConfig(size=32), (w for w in [1, 2]), stylizer=stylizer)
    assert once.image.size == (32, 21)  # a generator of weights is read once, not used up by a first check


def test_a_bad_style_among_several_is_named_by_its_place(stylizer, content, style):
    with pytest.raises(InputError, match="style image 2 of 2: image is 4×4 px"):
        fast_stylize(content, [style, np.zeros((4, 4, 3), np.uint8)], FastConfig(size=32), stylizer=stylizer)
    with pytest.raises(InputError, match="^style image: image is 4×4 px"):
        fast_stylize(content, np.zeros((4, 4, 3), np.uint8), FastConfig(size=32), stylizer=stylizer)


def test_a_stylizer_for_another_device_than_the_settings_is_refused(stylizer, content, style):
    with pytest.raises(ConfigError, match="stylizer: expected a FastStylizer, got str"):
        fast_stylize(content, style, FastConfig(size=32), stylizer="cpu")
    other = FastStylizer("cpu")
    other.providers = [("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]  # as on a GPU machine
    other.device = "cuda"
    with pytest.raises(ConfigError, match="the settings ask for cpu but the stylizer given was made for cuda"):
        fast_stylize(content, style, FastConfig(size=32, device="cpu"), stylizer=other)
    assert fast_stylize(content, style, FastConfig(size=32, device="cpu"), stylizer=stylizer).image.size == (32, 21)


def test_a_stylizers_own_calls_refuse_settings_for_another_device(content, style):
    other = FastStylizer("cpu")
    other.providers = [("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]  # as on a GPU machine
    other.device = "cuda"
    config = FastConfig(size=32, device="cpu")
    with pytest.raises(ConfigError, match="the settings ask for cpu but the stylizer given was made for cuda"):
        other.stylize(content, style, config)
    with pytest.raises(ConfigError, match="the settings ask for cpu but the stylizer given was made for cuda"):
        other.stylize_vector(content, np.zeros(100, np.float32), config)


def test_planned_sizes_checks_its_settings():
    assert planned_sizes((100, 50), FastConfig(size=64, stroke_scale=1)) == ((64, 32), (64, 32), None)
    with pytest.raises(ConfigError, match="config: expected a FastConfig, got dict"):
        planned_sizes((100, 50), {"size": 64})


def test_the_low_level_calls_check_their_arguments(stylizer, style):
    with pytest.raises(ConfigError, match="style_size: must be at least 64, got 0"):
        stylizer.style_vector(style, style_size=0)
    with pytest.raises(InputError, match=r"image: expected an \(H, W, 3\) float array .* shape \(64, 64\)"):
        stylizer.transform(np.zeros((64, 64)), np.zeros(100))
    with pytest.raises(ConfigError, match=r"style vector: expected 100 finite numbers .* shape \(7,\)"):
        stylizer.transform(np.zeros((64, 64, 3), np.float32), np.zeros(7))
    with pytest.raises(ConfigError, match="tile_size: must be at least 256"):
        stylizer.transform(np.zeros((64, 64, 3), np.float32), np.zeros(100), tile_size=8)
    assert stylizer.transform(np.zeros((64, 64, 3)), np.zeros(100))[0].shape == (64, 64, 3)  # float64 is fine


def test_images_too_small_for_the_network_are_input_errors(stylizer):
    # the network's first mirror padding needs 5 px: smaller ones failed inside onnxruntime
    vector = np.zeros(100, np.float32)
    with pytest.raises(InputError, match=r"at least 16 px on a side, got shape \(4, 40, 3\)"):
        stylizer.transform(np.zeros((4, 40, 3), np.float32), vector)
    with pytest.raises(InputError, match=r"at least 16 px on a side, got shape \(1, 1, 3\)"):
        stylizer.statistics(np.zeros((1, 1, 3), np.float32), vector)
    with pytest.raises(InputError, match=r"got shape \(300, 300\)"):
        stylizer.transform(np.zeros((300, 300, 3), np.float32), vector, 256, statistics_image=np.zeros((300, 300)))


@pytest.mark.parametrize("image", [np.full((32, 32, 3), 255, np.uint8), np.full((32, 32, 3), np.nan, np.float32),
                                   np.full((32, 32, 3), -0.5, np.float32)])
def test_pixels_outside_0_to_1_are_input_errors(stylizer, image):
    # 0-255 pixels (np.asarray of a photo) came back as a flat grey, NaN as something
    with pytest.raises(InputError, match=r"values in \[0, 1\]"):
        stylizer.transform(image, np.zeros(100, np.float32))


def test_the_wrong_config_is_a_config_error(stylizer, content, style):
    from stylelab.fast import fast_stylize
    from stylelab.gatys.config import GatysConfig

    with pytest.raises(ConfigError, match="config: expected a FastConfig, got GatysConfig"):
        fast_stylize(content, style, GatysConfig())
    with pytest.raises(ConfigError, match="config: expected a FastConfig, got dict"):
        stylizer.stylize(content, style, {"size": 64})


def test_a_raised_pixel_limit_holds_for_the_painting_too(stylizer, content):
    painting = np.broadcast_to(np.uint8(128), (8100, 8100, 3))  # 65.6 MP: above the default 64 MP
    config = FastConfig(size=32, max_pixels=70_000_000)
    assert stylizer.stylize(content, painting, config).image.size == (32, 21)  # was refused at 64 MP


def _edge_excess(output: Image.Image, photo: Image.Image) -> list[float]:
    """How far (levels of 255) the outermost 2 rows/columns step from the next few, beyond the photo's own step."""
    def steps(image: Image.Image) -> np.ndarray:
        y = np.asarray(image.convert("L"), dtype=np.float64)
        return np.array([y[:2].mean() - y[5:11].mean(), y[-2:].mean() - y[-11:-5].mean(),
                         y[:, :2].mean() - y[:, 5:11].mean(), y[:, -2:].mean() - y[:, -11:-5].mean()])
    return list(np.abs(steps(output) - steps(photo)))


def test_the_outermost_rows_look_like_the_inside(stylizer):
    # the network alone paints the top 2 rows of this pair 25 levels lighter (the original graph too)
    photo = small(ASSETS / "photos" / "chelsea.jpg", 256)
    result = stylizer.stylize(photo, ASSETS / "styles" / "woman_with_hat.jpg", FastConfig(device="cpu"))
    assert result.image.size == photo.size
    assert max(_edge_excess(result.image, photo)) <= 8.0, _edge_excess(result.image, photo)


def test_the_edge_margin_leaves_a_working_image_of_the_smallest_size_its_size(stylizer, style):
    photo = small(ASSETS / "photos" / "chelsea.jpg", 64).resize((16, 16))
    assert stylizer.stylize(photo, style, FastConfig(device="cpu")).image.size == (16, 16)
