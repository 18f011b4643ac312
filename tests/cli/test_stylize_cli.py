import json
import shutil

import pytest

from stylelab.cli import main
from tests.conftest import open_rgb

FAST = ["--size", "32", "--iterations", "2"]


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_stylize_writes_the_output_and_a_json_summary(tmp_path, capsys, photo, painting):
    out = tmp_path / "out.png"
    code, stdout, _ = run_cli(capsys, "stylize", photo, painting, "-o", out, *FAST, "--json", "--seed", "1")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["width"] == 32 and summary["steps"] == 2 and summary["config"]["seed"] == 1
    assert summary["device"] in ("cpu", "cuda:0") and summary["config"]["device"] == "auto"  # used, asked
    assert len(summary["history"]["total"]) == 2 and summary["history"]["scale"] == [0.0, 0.0]  # the curves
    assert open_rgb(out).size == (32, 21)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_the_summary_names_the_scales_and_a_note_says_when_fewer_fit(tmp_path, capsys, photo, painting):
    out = tmp_path / "out.png"
    code, stdout, err = run_cli(capsys, "stylize", photo, painting, "-o", out, "--size", "96", "--scales", "4",
                                "--iterations", "1", "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["scale_sizes"] == [24, 48, 96]  # 16 px would leave the 3:2 photo 11 px high
    assert max(summary["history"]["scale"]) == 2 and summary["steps"] == 3
    assert "note: --scales 4: only 3 fit (24 px, 48 px, 96 px)" in err
    assert summary["notes"] == [line.removeprefix("note: ") for line in err.splitlines() if line.startswith("note: ")]
    assert any(note.startswith("--scales 4: only 3 fit") for note in summary["notes"])  # was on stderr only
    _, _, err = run_cli(capsys, "stylize", photo, painting, "-o", out, "--size", "96", "--scales", "3",
                        "--iterations", "1", "--quiet")
    assert "fit (" not in err


def test_snapshots_are_written_beside_the_output(tmp_path, capsys, photo, painting):
    out = tmp_path / "cat.jpg"
    code, _, _ = run_cli(capsys, "stylize", photo, painting, "-o", out, "--size", "32", "--iterations", "4",
                         "--save-every", "2", "--quiet")
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.00002.jpg", "cat.00004.jpg", "cat.jpg"]


def test_snapshots_of_coarse_scales_have_the_outputs_size(tmp_path, capsys, photo, painting):
    out = tmp_path / "cat.png"
    code, _, _ = run_cli(capsys, "stylize", photo, painting, "-o", out, "--size", "64", "--min-scale", "32",
                         "--iterations", "2", "--save-every", "2", "--quiet")
    assert code == 0  # steps 2 at 32 px, 4 at 64 px
    assert {p.name: open_rgb(p).size for p in tmp_path.iterdir()} == {
        "cat.00002.png": (64, 43), "cat.00004.png": (64, 43), "cat.png": (64, 43)}


def test_a_run_stopped_after_a_coarse_scale_saves_its_last_snapshot(tmp_path, capsys, photo, painting, monkeypatch):
    import numpy as np

    from stylelab.cli.progress import ProgressBar

    update = ProgressBar.update

    def stop_after_the_first_scale(self, event):
        update(self, event)
        if event.iteration == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(ProgressBar, "update", stop_after_the_first_scale)
    out = tmp_path / "cat.png"
    code, _, _ = run_cli(capsys, "stylize", photo, painting, "-o", out, "--size", "96", "--min-scale", "48",
                         "--iterations", "2", "--save-every", "2", "--quiet")
    assert code == 130
    snapshot, output = (np.asarray(open_rgb(path), dtype=float) for path in (tmp_path / "cat.00002.png", out))
    assert np.abs(snapshot - output).max() <= 1.0  # enlarged alike (bicubic snapshots were 11 levels off)


def test_the_last_snapshot_of_an_averaged_run_is_the_output(tmp_path, capsys, photo, painting):
    out = tmp_path / "out.png"
    run_cli(capsys, "stylize", photo, painting, "-o", out, "--size", "48", "--iterations", "4", "--average", "0.9",
            "--save-every", "4", "--quiet")
    assert open_rgb(tmp_path / "out.00004.png").tobytes() == open_rgb(out).tobytes()  # was the raw iterate


def test_a_snapshot_may_not_overwrite_an_input(tmp_path, capsys, photo, painting):
    content = tmp_path / "cat.00002.jpg"  # the name of the second snapshot of cat.jpg
    shutil.copy(photo, content)
    before = content.read_bytes()
    code, _, err = run_cli(capsys, "stylize", content, painting, "-o", tmp_path / "cat.jpg", "--size", "32",
                           "--iterations", "4", "--save-every", "2", "--quiet")
    assert code == 2 and "snapshot (cat.NNNNN.jpg) would overwrite this input image" in err
    assert content.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [content.name]


@pytest.mark.parametrize("step", [2, 99_999, 100_000, 800_000])  # 800,000: 100,000 iterations at each of 8 scales
def test_a_snapshot_past_99999_steps_may_not_overwrite_an_input_either(tmp_path, photo, step):
    from stylelab.cli.progress import snapshot_path
    from stylelab.cli.stylize import _check_snapshots_spare_inputs
    from stylelab.errors import OutputError
    from stylelab.gatys.config import MAX_ITERATIONS, GatysConfig

    config = GatysConfig(iterations=MAX_ITERATIONS, scales=8)  # checked, never run
    assert config.iterations * config.scales >= step
    output = tmp_path / "cat.jpg"
    content = snapshot_path(output, step)  # cat.100000.jpg: the check knew only 5 digits
    shutil.copy(photo, content)
    with pytest.raises(OutputError, match=r"snapshot \(cat.NNNNN.jpg\) would overwrite this input image"):
        _check_snapshots_spare_inputs(output, [str(content)])


def test_a_name_no_snapshot_takes_is_not_refused(tmp_path, photo):
    from stylelab.cli.stylize import _check_snapshots_spare_inputs

    for name in ("cat.0100000.jpg", "cat.1.jpg", "cat.00002.png"):  # never written for -o cat.jpg
        shutil.copy(photo, tmp_path / name)
        _check_snapshots_spare_inputs(tmp_path / "cat.jpg", [str(tmp_path / name)])


def test_progress_bar_goes_to_stderr(tmp_path, capsys, photo, painting):
    code, stdout, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST)
    assert code == 0 and stdout == ""
    assert "2/2" in stderr and "eta" in stderr


def test_ctrl_c_writes_the_best_result_so_far(tmp_path, capsys, photo, painting, monkeypatch):
    from stylelab.gatys import engine

    original = engine._report

    def interrupt_after_first(run, *args):
        original(run, *args)
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "_report", interrupt_after_first)
    out = tmp_path / "o.png"
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", out, *FAST)
    assert code == 130
    assert "interrupted" in stderr and out.exists()


def test_bad_input_gives_error_exit_2_and_no_output(bad_input, tmp_path, capsys, painting):
    kind, path = bad_input
    out = tmp_path / "result.png"
    for argv in (("stylize", path, painting), ("stylize", painting, path)):
        code, stdout, stderr = run_cli(capsys, *argv, "-o", out, *FAST)
        assert code == 2, kind
        assert stderr.startswith("error: ") and "Traceback" not in stderr
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".result")]


@pytest.mark.parametrize("options, message", [
    (["--size", "0"], "--size: "), (["--content-weight", "-1"], "--content-weight: "),
    (["--style-weight", "-0.5"], "--style-weight: "), (["--tv-weight", "-2"], "--tv-weight: "),
    (["--style-weights", "1", "-1"], "--style-weights: "), (["--style-layers", "relu6_1"], "relu6_1"),
    (["--content-layers", "conv9_9"], "conv9_9"), (["--device", "tpu"], "--device: "),
    (["--device", "cuda:7"], "cuda"), (["--optimizer", "sgd"], "--optimizer: "),
    (["--preserve-color", "yes"], "--preserve-color: "), (["--iterations", "-1"], "--iterations: "),
    (["--save-every", "-1"], "--save-every: "), (["--style-scale", "0"], "--style-scale: "),
    (["--seed", "99999999999999999999"], "at most 9223372036854775807, got 99999999999999999999"),
])
def test_invalid_options_give_error_exit_2(tmp_path, capsys, photo, painting, options, message):
    out = tmp_path / "o.png"
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", out, *FAST, *options)
    assert code == 2
    assert stderr.startswith("error: ") and message in stderr
    assert not out.exists()


def test_non_numbers_are_refused_by_the_parser(tmp_path, capsys, photo, painting):
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", "--size", "big")
    assert code == 2 and "invalid int value" in stderr


@pytest.mark.parametrize("make_output, message", [
    (lambda d: d / "no" / "such" / "dir" / "o.png", "does not exist"),
    (lambda d: d, "is a directory"),
    (lambda d: "", "the output path is empty"),
    (lambda d: d / "o.xyz", "unsupported output extension"),
])
def test_bad_output_paths_fail_before_any_work(tmp_path, capsys, photo, painting, make_output, message):
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", make_output(tmp_path), *FAST)
    assert code == 2 and message in stderr


@pytest.mark.parametrize("target", ["photo", "painting", "init"])
def test_the_output_may_not_overwrite_an_input(tmp_path, capsys, photo, painting, target):
    inputs = {"photo": tmp_path / "photo.jpg", "painting": tmp_path / "painting.jpg", "init": tmp_path / "start.jpg"}
    for name, source in (("photo", photo), ("painting", painting), ("init", photo)):
        inputs[name].write_bytes(source.read_bytes())
    before = inputs[target].read_bytes()
    code, _, stderr = run_cli(capsys, "stylize", inputs["photo"], inputs["painting"], "--init", inputs["init"],
                              "-o", inputs[target], *FAST)
    assert code == 2 and "would overwrite an input image" in stderr, stderr
    assert inputs[target].read_bytes() == before


def test_an_option_without_effect_gets_a_note(tmp_path, capsys, photo, painting):
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST,
                              "--learning-rate", "0.5")
    assert code == 0 and "note: --learning-rate is Adam's step size; L-BFGS (the --optimizer) takes" in stderr
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST,
                              "--style-weights", "2")
    assert code == 0 and "note: --style-weights has no effect with one style image" in stderr
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST,
                              "--style-weights", "1", "2")  # an error, without a note that contradicts it
    assert code == 2 and "note:" not in stderr and "--style-weights: 2 weight(s) given for 1 style(s)" in stderr
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST,
                              "--init", painting)
    assert code == 0 and "note: the init image (" in stderr and "is stretched to the photo's shape" in stderr
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST, "--init", photo)
    assert code == 0 and "note:" not in stderr


def test_an_init_image_the_engine_refuses_gets_its_error_without_a_stretch_note(tmp_path, capsys, photo, painting):
    from PIL import Image

    thin = tmp_path / "thin.png"
    Image.new("RGB", (2000, 20), (120, 80, 40)).save(thin)
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST, "--init", thin)
    assert code == 2 and "aspect ratio 100.0:1 is too extreme" in stderr
    assert "note:" not in stderr  # was "note: the init image (2000×20) is stretched to the photo's shape"


def test_unwritable_output_directory(tmp_path, capsys, photo, painting):
    import os

    if os.geteuid() == 0:
        target = "/proc/self/o.png"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "o.png"
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", target, *FAST)
    assert code == 2 and "not writable" in stderr


def test_unusual_images_are_stylised(unusual_image, tmp_path, capsys, painting):
    out = tmp_path / "out.png"
    code, _, stderr = run_cli(capsys, "stylize", unusual_image, painting, "-o", out, "--size", "40",
                              "--iterations", "1", "--quiet")
    assert code == 0, stderr
    assert max(open_rgb(out).size) == 40


def test_too_small_output_is_refused_with_the_minimum(tmp_path, capsys, photo, painting):
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", "--size", "20")
    assert code == 2 and "at least 16 px" in stderr


def test_pixel_limit_option(tmp_path, capsys, photo, painting):
    code, _, stderr = run_cli(capsys, "stylize", photo, painting, "-o", tmp_path / "o.png", *FAST,
                              "--max-pixels", "1000")
    assert code == 2 and "over the limit" in stderr


def test_help_lists_defaults_from_the_config(capsys):
    assert main(["stylize", "--help"]) == 0
    assert "(default: 60)" in capsys.readouterr().out.replace("\n", " ").replace("  ", " ")


def test_a_style_image_enlarged_over_four_times_gets_a_note(tmp_path, capsys, photo, painting):
    from PIL import Image

    tiny = tmp_path / "tiny.png"
    Image.open(painting).resize((20, 24)).save(tiny)
    small = ["--size", "128", "--iterations", "1"]  # long side 128: the style's 24 px enlarged 5.3×
    code, _, stderr = run_cli(capsys, "stylize", photo, tiny, painting, "-o", tmp_path / "o.png", *small)
    assert code == 0, stderr
    notes = [line for line in stderr.splitlines() if "is enlarged" in line]
    assert len(notes) == 1
    assert notes[0].startswith(f"note: style image 1 {tiny} is 20×24 px and is enlarged 5.3× (to 128 px")
    assert "from --size × --style-scale" in notes[0]
    code, _, stderr = run_cli(capsys, "stylize", photo, tiny, "-o", tmp_path / "o.png", *small,
                              "--style-scale", "0.5")  # 64 px: under 4×, no note
    assert code == 0 and "is enlarged" not in stderr, stderr
