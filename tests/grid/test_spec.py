import pytest

from stylelab.grid import load_grid
from stylelab.grid.spec import TomlLines
from tests.grid.conftest import write_grid


def test_two_by_two_by_two(grid_dir):
    grid = load_grid(grid_dir / "grid.toml")
    assert [c.label for c in grid.contents] == ["cat", "cup"]
    assert [s.label for s in grid.styles] == ["udnie", "wreck"]
    assert [s.label for s in grid.settings] == ["optimizer=lbfgs", "optimizer=adam"]
    cells = grid.cells()
    assert len(cells) == 8 and len({c.key for c in cells}) == 8
    assert grid.settings[1].config.optimizer == "adam" and grid.settings[1].config.size == 32
    assert grid.settings[0].config.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def test_keys_depend_on_bytes_and_settings_not_on_names(grid_dir):
    keys = [c.key for c in load_grid(grid_dir / "grid.toml").cells()]
    (grid_dir / "cat.png").rename(grid_dir / "kitten.png")
    write_grid(grid_dir, (grid_dir / "grid.toml").read_text().replace("cat.png", "kitten.png"))
    assert [c.key for c in load_grid(grid_dir / "grid.toml").cells()] == keys
    write_grid(grid_dir, (grid_dir / "grid.toml").read_text().replace("iterations = 1", "iterations = 2"))
    assert not set(keys) & {c.key for c in load_grid(grid_dir / "grid.toml").cells()}


def test_defaults_given_explicitly_give_the_same_keys(grid_dir):
    keys = [c.key for c in load_grid(grid_dir / "grid.toml").cells()]
    text = (
        grid_dir / "grid.toml"
    ).read_text() + 'style_layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]\n'
    assert [c.key for c in load_grid(write_grid(grid_dir, text)).cells()] == keys


def test_variants_cross_the_axes_and_lists_of_lists_are_axes_of_tuples(grid_dir):
    text = """\
contents = ["*.png"]
styles = ["bundled:styles/udnie.jpg"]
[settings]
size = 32
style_layers = [["relu1_1"], ["relu1_1", "relu2_1"]]
[[variants]]
name = "plain"
[[variants]]
name = "kept"
preserve_color = "luminance"
"""
    grid = load_grid(write_grid(grid_dir, text))
    assert len(grid.contents) == 4  # the glob matched every tiny picture, sorted
    labels = [s.label for s in grid.settings]
    assert labels == [
        "plain, style_layers=relu1_1",
        "plain, style_layers=relu1_1+relu2_1",
        "kept, style_layers=relu1_1",
        "kept, style_layers=relu1_1+relu2_1",
    ]
    assert grid.settings[3].config.style_layers == ("relu1_1", "relu2_1")
    assert grid.settings[3].config.preserve_color == "luminance"


def test_identical_combinations_run_once_and_duplicate_files_are_merged(grid_dir):
    text = """\
contents = ["cat.png", "cat.png", "bundled:photos/chelsea.jpg"]
styles = ["udnie.png"]
[settings]
size = [32, 32]
method = ["gatys", "fast"]
optimizer = ["lbfgs", "adam"]
"""
    grid = load_grid(write_grid(grid_dir, text))
    assert len(grid.contents) == 2 and [c.label for c in grid.contents] == ["cat", "chelsea"]
    assert grid.notes == ("contents line 1: 'cat.png' is listed twice; it is used once",)
    # size 32 twice is one value (so labels do not name it); the fast method has no optimizer, so its
    # two combinations are one
    assert [s.label for s in grid.settings] == ["method=gatys, optimizer=lbfgs", "method=gatys, optimizer=adam",
                                                "method=fast"]


def test_settings_that_stylise_alike_run_once(grid_dir):
    text = """\
contents = ["cat.png"]
styles = ["udnie.png"]
[settings]
size = 32
style_weight = [10, 10.0]
optimizer = ["lbfgs", "adam"]
learning_rate = [0.01, 0.05]
"""
    grid = load_grid(write_grid(grid_dir, text))
    # 10 is 10.0: not a variation, so not in the labels; L-BFGS takes no learning rate, so its two
    # learning rates are one setting, labelled without one
    assert [s.label for s in grid.settings] == [
        "optimizer=lbfgs",
        "optimizer=adam, learning_rate=0.01",
        "optimizer=adam, learning_rate=0.05",
    ]


def test_settings_that_cannot_change_the_picture_keep_the_cells_keys(grid_dir):
    keys = [c.key for c in load_grid(grid_dir / "grid.toml").cells()]
    text = (grid_dir / "grid.toml").read_text() + "max_pixels = [5_000_000, 6_000_000]\npreview_every = 5\n"
    grid = load_grid(write_grid(grid_dir, text))
    assert [c.key for c in grid.cells()] == keys  # was: every finished cell computed again
    assert [s.label for s in grid.settings] == ["optimizer=lbfgs", "optimizer=adam"]
    assert grid.settings[0].config.max_pixels == 5_000_000  # the run still uses what was given


def test_a_checkpoint_axis_is_labelled_as_written(grid_dir):
    from tests.backbones import checkpoints

    (grid_dir / "models").mkdir()
    checkpoints.save(checkpoints.vgg16_state(), grid_dir / "models/vgg16.pth")
    text = ('contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\n'
            'backbone = ["vgg19", "vgg16:models/vgg16.pth"]\n')
    grid = load_grid(write_grid(grid_dir, text))
    # was backbone=vgg16:/tmp/…/models/vgg16.pth, this machine's path, cut to 'v…ls/vgg16.pth' in the sheets
    assert [s.label for s in grid.settings] == ["backbone=vgg19", "backbone=vgg16:models/vgg16.pth"]
    assert grid.settings[1].config.backbone == f"vgg16:{(grid_dir / 'models/vgg16.pth').resolve()}"


def test_labels_show_values_as_the_settings_given_do(grid_dir):
    from stylelab.grid.runner import layout

    text = """\
contents = ["cat.png"]
styles = ["udnie.png"]
[settings]
size = 32
style_weight = [10, 30]
"""
    grid = load_grid(write_grid(grid_dir, text))
    assert [s.label for s in grid.settings] == ["style_weight=10.0", "style_weight=30.0"]  # were 10 and 30
    assert [s["values"]["style_weight"] for s in layout(grid, grid.cells())["settings"]] == [10.0, 30.0]


def test_the_report_lists_as_given_only_the_settings_that_have_an_effect(grid_dir):
    from stylelab.grid.runner import layout

    text = """\
contents = ["cat.png"]
styles = ["udnie.png"]
[settings]
size = 32
optimizer = ["lbfgs", "adam"]
learning_rate = 0.05
"""
    grid = load_grid(write_grid(grid_dir, text))
    given = [setting["values"] for setting in layout(grid, grid.cells())["settings"]]
    assert "learning_rate" not in given[0]  # L-BFGS takes none (it was listed as given)
    assert given[1]["learning_rate"] == 0.05


def test_variants_that_differ_only_by_gatys_settings_meet_once_on_a_method_axis(grid_dir):
    text = """\
contents = ["cat.png"]
styles = ["udnie.png"]
[settings]
size = 32
method = ["gatys", "fast"]
[[variants]]
name = "lbfgs"
optimizer = "lbfgs"
[[variants]]
name = "adam"
optimizer = "adam"
"""
    labels = [s.label for s in load_grid(write_grid(grid_dir, text)).settings]
    assert labels == ["lbfgs, method=gatys", "lbfgs, method=fast", "adam, method=gatys"]  # was an error


def test_checkpoint_paths_are_relative_to_the_grid_file(grid_dir):
    from tests.backbones import checkpoints

    (grid_dir / "models").mkdir()
    checkpoints.save(checkpoints.vgg16_state(), grid_dir / "models/vgg16.pth")
    text = 'contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nbackbone = "vgg16:models/vgg16.pth"\n'
    setting = load_grid(write_grid(grid_dir, text)).settings[0]
    assert setting.config.backbone == f"vgg16:{(grid_dir / 'models/vgg16.pth').resolve()}"


def test_a_size_too_small_for_a_checkpoint_backbone_is_refused_before_any_work(grid_dir):
    from stylelab.backbones import min_side
    from stylelab.backbones.resnet50 import resnet50
    from stylelab.errors import ConfigError
    from tests.backbones import checkpoints

    (grid_dir / "models").mkdir()
    checkpoints.save(checkpoints.resnet50_state(), grid_dir / "models/resnet50.pth")
    layers = ("layer3", "conv1", "layer1", "layer2", "layer3", "layer4")
    assert min_side("resnet50:x.pth", layers) == resnet50(grid_dir / "models/resnet50.pth").truncated(layers).min_side()
    text = ('contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\n'
            'backbone = "resnet50:models/resnet50.pth"\n')
    with pytest.raises(ConfigError, match=r"^grid.toml line 4: settings.size: photo cat \(64×48\): size 32 gives "
                                          r"a 32×24 output; its short side must be at least 32 px"):
        load_grid(write_grid(grid_dir, text))  # was: accepted, then every cell failed
    assert load_grid(write_grid(grid_dir, text.replace("size = 32", "size = 48"))).settings


def test_a_fast_output_over_a_max_pixels_value_is_refused_before_any_work(grid_dir):
    from stylelab.errors import ConfigError

    # cat.png is 64×48: at size 2048 the output is 2048×1536 = 3.1 M px
    text = ('contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nmethod = "fast"\nsize = 2048\n'
            'max_pixels = [\n  40_000_000,\n  1_000_000,\n]\n')
    with pytest.raises(ConfigError, match=r"^grid.toml line 8: settings.max_pixels: photo cat \(64×48\): size: the "
                                          r"output would be 2048×1536 = 3,145,728 px, over the limit of 1,000,000 px"):
        load_grid(write_grid(grid_dir, text))  # was: one setting (max_pixels merged), every cell failing
    grid = load_grid(write_grid(grid_dir, text.replace("1_000_000", "50_000_000")))
    assert len(grid.settings) == 1  # max_pixels does not change the picture: the two run as one
    # a size too small is the size's fault, also where max_pixels is given
    with pytest.raises(ConfigError, match=r"^grid.toml line 5: settings.size: photo cat \(64×48\): size: the "
                                          r"output would be 20×15 px, under 16 px"):
        load_grid(write_grid(grid_dir, text.replace("size = 2048", "size = 20").replace("1_000_000", "50_000_000")))


def test_a_checkpoint_shared_by_many_settings_is_checked_once(grid_dir, monkeypatch):
    import stylelab.backbones
    from tests.backbones import checkpoints

    (grid_dir / "models").mkdir()
    checkpoints.save(checkpoints.vgg16_state(), grid_dir / "models/vgg16.pth")
    checks, layer_checks = [], []
    real_checkpoint, real_layers = stylelab.backbones.check_checkpoint, stylelab.backbones.check_layers
    monkeypatch.setattr(stylelab.backbones, "check_checkpoint",
                        lambda spec: checks.append(spec) or real_checkpoint(spec))
    monkeypatch.setattr(stylelab.backbones, "check_layers",
                        lambda *args: layer_checks.append(args) or real_layers(*args))
    text = ('contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\n'
            'backbone = ["vgg16:models/vgg16.pth", "vgg19"]\nstyle_weight = [1, 10, 100, 1000]\n')
    assert len(load_grid(write_grid(grid_dir, text)).settings) == 8
    assert len(checks) == 2  # was 8: the 50 MB of a real checkpoint read for every setting
    assert len(layer_checks) == 4  # content and style layers of each backbone


def test_toml_lines_finds_keys_tables_and_array_items():
    lines = TomlLines(
        'a = 1\ncontents = [\n  "x.png",\n  "y.png",\n]\n[settings]\nsize = 3 # c\n'
        '[[variants]]\nname = "p"\n[[variants]]\n"size" = 4\n'
    )
    assert lines.line("a") == 1 and lines.line("settings.size") == 7
    assert lines.value_line("contents", "y.png") == 4
    assert lines.line("variants[1].size") == 11 and lines.line("variants[1].optimizer") == 10
    assert lines.line("variants[0]") == 8


def test_an_array_item_is_found_whole_not_inside_an_earlier_item():
    lines = TomlLines("contents = [\n  \"photos/big_cat.jpg\",\n  'cat.jpg',\n  \"cat.jpg\",\n]\n")
    assert lines.value_line("contents", "cat.jpg") == 3  # was 2, in big_cat.jpg


def test_pictures_are_checked_against_the_settings_pixel_limit_not_the_default(grid_dir):
    from PIL import Image

    Image.new("RGB", (8100, 8100), "grey").save(grid_dir / "huge.png")  # 65.6 MP: above the default 64 MP
    text = 'contents = ["huge.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\nmax_pixels = 70000000\n'
    assert len(load_grid(write_grid(grid_dir, text)).contents) == 1  # was refused at 64 MP


def test_a_worker_reads_pictures_with_the_settings_pixel_limit(grid_dir):
    from stylelab.errors import InputError
    from stylelab.grid.worker import _image

    assert _image(str(grid_dir / "cat.png"), "content", None).size
    with pytest.raises(InputError, match="over the limit of 256 px"):
        _image((grid_dir / "cat.png").read_bytes(), "content", 256)


def test_duplicate_pictures_are_named_on_stderr(grid_dir, capsys, monkeypatch):
    from stylelab.cli import main
    from tests.grid.test_run import count_runs

    (grid_dir / "copy.png").write_bytes((grid_dir / "cat.png").read_bytes())
    text = 'contents = ["cat.png", "c*.png"]\nstyles = ["udnie.png", "udnie.png"]\n[settings]\nsize = 32\n'
    count_runs(monkeypatch)
    assert main(["grid", str(write_grid(grid_dir, text)), "--out", str(grid_dir / "out"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "note: contents line 1: 'c*.png' (cat.png) is 'cat.png' again; it is used once",
        "note: contents line 1: 'c*.png' (copy.png) has the same bytes as 'cat.png'; merged into one picture",
        "note: styles line 2: 'udnie.png' is listed twice; it is used once",
    ]
    assert "2 cells" in captured.out  # cat and cup × udnie


def test_picture_labels_never_collide_with_a_file_named_like_a_numbered_one(grid_dir):
    from PIL import Image

    for folder in ("a", "b"):
        (grid_dir / folder).mkdir()
    (grid_dir / "cat.png").rename(grid_dir / "a/cat.png")
    (grid_dir / "cup.png").rename(grid_dir / "b/cat.png")
    Image.new("RGB", (40, 40), "red").save(grid_dir / "cat-2.png")
    text = 'contents = ["a/cat.png", "b/cat.png", "cat-2.png"]\nstyles = ["udnie.png"]\n[settings]\nsize = 32\n'
    labels = [image.label for image in load_grid(write_grid(grid_dir, text)).contents]
    assert labels == ["cat", "cat-3", "cat-2"]  # was ['cat', 'cat-2', 'cat-2']
