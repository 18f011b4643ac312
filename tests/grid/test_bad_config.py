"""Every bad grid file: exit 2, `error: ...` naming the key and its line, and no output folder."""

import pytest

from stylelab.cli import main
from stylelab.errors import ConfigError

HEADER = 'contents = ["cat.png", "cup.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\n'

# (name, TOML text, key expected in the message, marker: the line holding it is the one to report, detail)
CASES = [
    (
        "unknown top-level key",
        HEADER.replace("[settings]", "colour = 3\n[settings]"),
        "colour",
        "colour =",
        "unknown key",
    ),
    (
        "unknown setting",
        HEADER + 'optimiser = "adam"\n',
        "settings.optimiser",
        "optimiser =",
        "Did you mean 'optimizer'",
    ),
    (
        "unknown setting in a variant",
        HEADER + '[[variants]]\nname = "x"\n[[variants]]\nstyle_wieght = 3\n',
        "variants[1].style_wieght",
        "style_wieght",
        "unknown setting",
    ),
    (
        "misspelt variant name",
        HEADER + '[[variants]]\nnmae = "x"\n',
        "variants[0].nmae",
        "nmae =",
        "Did you mean 'name'",  # had no hint: 'name' was not among the keys compared
    ),
    (
        "missing content file",
        HEADER.replace('"cup.png"', '\n  "gone.png",\n'),
        "contents",
        '"gone.png"',
        "no such file",
    ),
    (
        "glob matching nothing",
        HEADER.replace('["udnie.png"]', '["paintings/*.jpg"]'),
        "styles",
        "paintings/",
        "matches no file",
    ),
    (
        "style that is not an image",
        HEADER.replace("udnie.png", "notes.txt"),
        "styles",
        "notes.txt",
        "not a supported image",
    ),
    ("bad choice", HEADER + 'optimizer = "sgd"\n', "settings.optimizer", "sgd", "unknown value 'sgd'"),
    (
        "wrong type",
        HEADER.replace("size = 32", 'size = "big"'),
        "settings.size",
        "big",
        "expected an integer",
    ),
    (
        "bad value inside an axis",
        HEADER + "iterations = [1, -3]\n",
        "settings.iterations",
        "iterations =",
        "at least 0",
    ),
    (
        "bad value in a variant",
        HEADER + '[[variants]]\npreserve_color = "lum"\n',
        "variants[0].preserve_color",
        "lum",
        "unknown value 'lum'",
    ),
    (
        "unknown layer",
        HEADER + 'style_layers = ["relu1_1", "relu9_1"]\n',
        "settings.style_layers",
        "relu9_1",
        "relu9_1",
    ),
    (
        "missing checkpoint",
        HEADER + 'backbone = "vgg16:models/nope.pth"\n',
        "settings.backbone",
        "nope.pth",
        "no such file",
    ),
    (
        "unknown backbone",
        HEADER + 'backbone = "alexnet"\n',
        "settings.backbone",
        "alexnet",
        "unknown value 'alexnet'",
    ),
    (
        "blend weights, but one painting per cell",
        HEADER + "style_weights = [0.5, 0.5]\n",
        "settings.style_weights",
        "style_weights =",
        "each cell of a grid has one painting",
    ),
    (
        "init image that is not an image",
        HEADER + 'init = "notes.txt"\n',
        "settings.init",
        "init =",
        "not a supported image",
    ),
    (
        "two variants of one name",
        HEADER + '[[variants]]\nname = "a"\n[[variants]]\nname = "a"\nseed = 2\n',
        "variants[1].name",
        None,
        "names an earlier variant too",
    ),
    (
        "two variants with the same settings",
        HEADER + '[[variants]]\nname = "a"\nseed = 1\n[[variants]]\nname = "b"\nseed = 1\n',
        "variants[1]",
        None,
        "'b' has the same settings as 'a'",
    ),
    (
        "a variant whose name begins an earlier one's, with the same settings",
        HEADER + '[[variants]]\nname = "vgg19"\nstyle_weight = 10.0\n[[variants]]\nname = "vgg"\n',
        "variants[1]",
        None,
        "'vgg' has the same settings as 'vgg19'",
    ),
    (
        "a Gatys setting for the fast method",
        HEADER + 'method = "fast"\noptimizer = "adam"\n',
        "settings.optimizer",
        "optimizer =",
        "not a setting of method fast",
    ),
    (
        "a fast setting in a Gatys variant",
        HEADER + '[[variants]]\nname = "half"\nstrength = 0.5\n',
        "variants[0].strength",
        "strength =",
        "not a setting of method gatys",
    ),
    (
        "a pixel limit below a picture",
        HEADER + '[[variants]]\nname = "small"\nmax_pixels = 256\n',
        "variants[0].max_pixels",
        "max_pixels =",
        "256 px is less than cat",
    ),
    (
        "a pixel limit below a picture in a second variant, a prefix of the first one's",
        HEADER + '[[variants]]\nname = "big"\nmax_pixels = 1000000\n[[variants]]\nname = "small"\nseed = 1\n'
        "max_pixels = 1000  # 1 000 is 10 × 100\n",
        "variants[1].max_pixels",
        "# 1 000",
        "setting 'small'",
    ),
    (
        "a pixel limit below a picture, one of an axis",
        HEADER + "max_pixels = [\n  1_000_000,\n  2560_000,\n  256,\n]\n",
        "settings.max_pixels",
        "  256,",
        "256 px is less than cat",
    ),
    ("missing styles", HEADER.replace('styles = ["udnie.png"]\n', ""), "styles", None, "missing"),
    (
        "a misspelt bundled picture",
        HEADER.replace('"cup.png"]', '"cup.png",\n  "bundled:photos/chelsee.jpg"]'),
        "contents",
        "chelsee",
        "no bundled picture 'photos/chelsee.jpg'; did you mean 'bundled:photos/chelsea.jpg'? (bundled: photos/",
    ),
    (
        "a bundled picture without its folder",
        HEADER.replace('["udnie.png"]', '["bundled:udnie.jpg"]'),
        "styles",
        "bundled:",
        "did you mean 'bundled:styles/udnie.jpg'?",
    ),
    (
        "a bundled picture named without its folder and extension",
        HEADER.replace('["udnie.png"]', '["bundled:udnie"]'),
        "styles",
        "bundled:",
        "did you mean 'bundled:styles/udnie.jpg'?",
    ),
    ("empty axis", HEADER + "seed = []\n", "settings.seed", "seed =", "at least one value"),
    (
        "a size that leaves a photo too small for the backbone's deepest layer",  # was: every cell failed
        HEADER.replace("size = 32", "size = [64, 16]"),
        "settings.size",
        "size = [64, 16]",
        "photo cat (64×48): size 16 gives a 16×12 output; its short side must be at least 16 px",
    ),
    (
        "a variant's sweep that repeats another variant, with a bad value in it",
        HEADER + '[[variants]]\nname = "x"\n[[variants]]\nname = "y"\nsize = [32, 2]\n',
        "variants[1].size",
        "size = [32, 2]",
        "must be at least 16",  # was: 'y' has the same settings as 'x', hiding it
    ),
    (
        "one layer written as a string",
        HEADER + 'style_layers = "relu2_1"\n',
        "settings.style_layers",
        "style_layers =",
        'write style_layers = ["relu2_1"]',  # was: write ('relu2_1',), a Python tuple, not TOML
    ),
    (
        "a variant's sweep that repeats another variant",
        HEADER + '[[variants]]\nname = "x"\n[[variants]]\nname = "y"\nsize = [32, 64]\n',
        "variants[1]",
        None,
        "'y, size=32' has the same settings as 'x'",
    ),
]


def find_line(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


@pytest.mark.parametrize("name, text, key, marker, detail", CASES, ids=[case[0] for case in CASES])
def test_bad_grid_file(grid_dir, capsys, name, text, key, marker, detail):
    (grid_dir / "notes.txt").write_text("not an image\n" * 20)
    (grid_dir / "grid.toml").write_text(text)
    out = grid_dir / "out"
    code = main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--workers", "0", "--quiet"])
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert stderr.startswith("error: grid.toml"), stderr
    assert f"{key}:" in stderr and detail in stderr, stderr
    if marker is not None:
        assert f"line {find_line(text, marker)}:" in stderr, stderr
    assert not out.exists()


def test_an_out_folder_that_is_a_file_is_one_plain_error(grid_dir, capsys):
    blocker = grid_dir / "results.txt"
    blocker.write_text("not a folder")
    assert main(["grid", str(grid_dir / "grid.toml"), "--out", str(blocker), "--workers", "0", "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: {blocker}: is a file, not a folder\n"  # was "... (File exists)"
    assert blocker.read_text() == "not a folder"


def test_toml_syntax_error_names_the_line(grid_dir, capsys):
    (grid_dir / "grid.toml").write_text(HEADER + "iterations = = 3\n")
    assert main(["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out")]) == 2
    stderr = capsys.readouterr().err
    assert "error: grid.toml: not valid TOML" in stderr and "line 5" in stderr


def test_missing_grid_file(tmp_path, capsys):
    assert main(["grid", str(tmp_path / "none.toml"), "--out", str(tmp_path / "out")]) == 2
    assert "no such grid file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--executor", "dask"], "executor: unknown value 'dask'"),
        (["--workers", "-1"], "workers"),
        (["--address", "auto"], "only with --executor ray"),
        (["--gpus-per-cell", "1"], "only with --executor ray"),
        (["--cpus-per-cell", "2"], "only with --executor ray"),  # was ignored
        (["--executor", "ray", "--workers", "4"], "--workers applies only to local runs"),  # was ignored
    ],
)
def test_bad_executor_options(grid_dir, capsys, options, message):
    assert main(["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), *options]) == 2
    assert message in capsys.readouterr().err
    assert not (grid_dir / "out").exists()


def test_a_device_this_machine_lacks_fails_before_any_cell(grid_dir, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    (grid_dir / "grid.toml").write_text(HEADER + 'device = "cuda"\n')
    out = grid_dir / "out"
    assert main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--workers", "0", "--quiet"]) == 2
    assert "error: gatys cells: device: cuda asked for, but CUDA is not available" in capsys.readouterr().err
    assert not out.exists()  # was: every cell failed, one by one


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"address": "auto"}, "`address`, `cpus_per_cell` and `gpus_per_cell` apply only with `executor` ray"),
        ({"executor": "ray", "workers": 4}, "`workers` applies only to local runs"),
        ({"executor": "ray", "cpus_per_cell": 0.0}, "cpus_per_cell: must be greater than 0, got 0$"),
    ],
)
def test_executor_settings_are_named_as_settings_in_the_library(settings, message):
    from stylelab.grid import ExecutorConfig

    with pytest.raises(ConfigError, match=message) as raised:
        ExecutorConfig(**settings)
    assert "--" not in str(raised.value)


def test_a_bad_ray_address_is_named_as_a_setting_in_the_library():
    pytest.importorskip("ray")
    from stylelab.grid.executors import ray_cluster

    with pytest.raises(ConfigError, match=r"^`address` nowhere: expected auto, HOST:PORT"), ray_cluster("nowhere"):
        pass


def test_a_bad_ray_address_is_named_as_an_option_on_the_command_line(grid_dir, capsys):
    pytest.importorskip("ray")
    argv = ["grid", str(grid_dir / "grid.toml"), "--out", str(grid_dir / "out"), "--executor", "ray",
            "--address", "nowhere", "--quiet"]
    assert main(argv) == 2
    assert "error: --address nowhere: expected auto, HOST:PORT" in capsys.readouterr().err


def _axis(key: str, values) -> str:
    return f"{key} = [{', '.join(map(str, values))}]\n"


def test_a_grid_of_millions_of_cells_is_refused_at_once(grid_dir, capsys):
    import time

    text = ('contents = ["cat.png", "cup.png"]\nstyles = ["udnie.png", "wreck.png"]\n[settings]\nsize = 32\n'
            + _axis("seed", range(100)) + _axis("iterations", range(1, 101)) + _axis("tv_weight", range(100)))
    (grid_dir / "grid.toml").write_text(text)
    out = grid_dir / "out"
    started = time.perf_counter()
    code = main(["grid", str(grid_dir / "grid.toml"), "--out", str(out), "--workers", "0", "--quiet"])
    seconds = time.perf_counter() - started
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert stderr == ("error: grid.toml: 4,000,000 cells (2 contents × 2 styles × 1,000,000 settings: 100 seed × "
                      "100 iterations × 100 tv_weight); a grid has at most 100,000: split it into several grid "
                      "files, or give fewer values\n")  # was: minutes of silence while memory grew
    assert seconds < 1.0
    assert not out.exists()


def test_the_cell_limit_counts_every_variant(grid_dir, capsys, monkeypatch):
    import stylelab.grid.spec as spec

    text = ('contents = ["cat.png", "cup.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\niterations = 1\n'
            + _axis("seed", range(3)) + '[[variants]]\nname = "a"\n[[variants]]\nname = "b"\n'
            + _axis("tv_weight", [1, 2]) + '[[variants]]\nname = "c"\nseed = 7\n')
    (grid_dir / "grid.toml").write_text(text)
    monkeypatch.setattr(spec, "MAX_CELLS", 18)  # 2 × 1 × (3 + 3 × 2 + 1) = 20 cells
    with pytest.raises(ConfigError) as refused:
        spec.load_grid(grid_dir / "grid.toml")
    assert str(refused.value) == ("grid.toml: 20 cells (2 contents × 1 style × 10 settings: 3 in variant 'a' "
                                  "(3 seed), 6 in 'b' (3 seed × 2 tv_weight), 1 in 'c'); a grid has at most 18: "
                                  "split it into several grid files, or give fewer values")
    monkeypatch.setattr(spec, "MAX_CELLS", 20)
    assert len(spec.load_grid(grid_dir / "grid.toml").cells()) == 20
