"""The ``stylelab`` entry point itself: version, the command list, help for every command."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import stylelab
from stylelab.cli import SUBCOMMANDS, main

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"stylelab {stylelab.__version__}"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == stylelab.__version__


def test_every_command_is_listed_with_a_sentence_and_has_help(capsys):
    assert main(["--help"]) == 0
    listing = capsys.readouterr().out
    names = [name.rsplit(".", 1)[1].replace("_", "-") for name in SUBCOMMANDS]
    for name in names:
        assert f"    {name}" in listing
        assert main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: stylelab {name}")


def test_a_missing_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert capsys.readouterr().err == (
        "error: the following arguments are required: COMMAND (see: stylelab --help)\n")


@pytest.mark.parametrize("argv, message", [
    (["stylize", "a.jpg", "b.jpg", "-o", "c.png", "--size", "abc"],
     "error: argument --size: invalid int value: 'abc' (see: stylelab stylize --help)\n"),
    (["fast", "a.jpg", "b.jpg", "-o", "c.png", "--init-foo", "2"],
     "error: unrecognized arguments: --init-foo 2 (see: stylelab fast --help)\n"),
    (["stylize", "a.jpg", "b.jpg", "-o", "c.png", "--sizes", "128"],
     "error: unrecognized arguments: --sizes 128; did you mean --size? (see: stylelab stylize --help)\n"),
    (["compare", "a.jpg", "b.jpg", "--scorer=vgg19", "--sise=64"],
     "error: unrecognized arguments: --sise=64; did you mean --size? (see: stylelab compare --help)\n"),
    # an option of several values written before the images takes them as its values
    (["stylize", "--style-layers", "relu1_1", "relu2_1", "a.jpg", "b.jpg", "-o", "c.png"],
     "error: the following arguments are required: CONTENT, STYLE; if --style-layers came before the images, "
     "put it after them (it takes every value that follows) (see: stylelab stylize --help)\n"),
    (["fast", "--weights", "1", "a.jpg", "b.jpg", "-o", "c.png"],
     "error: argument --weights: invalid float value: 'a.jpg'; if --weights came before the images, "
     "put it after them (it takes every value that follows) (see: stylelab fast --help)\n"),
    (["stylize", "a.jpg", "b.jpg", "c.jpg", "--style-weights", "1", "2"],  # only -o missing: no hint
     "error: the following arguments are required: -o/--output (see: stylelab stylize --help)\n"),
    (["stylize", "a.jpg"],  # no such option given: no hint
     "error: the following arguments are required: STYLE, -o/--output (see: stylelab stylize --help)\n"),
    (["fast", "a.jpg", "b.jpg", "--weights", "x", "-o", "c.png"],
     "error: argument --weights: invalid float value: 'x' (see: stylelab fast --help)\n"),
])
def test_usage_mistakes_are_one_error_line(capsys, argv, message):
    assert main(argv) == 2
    assert capsys.readouterr().err == message


def test_train_grader_help_names_the_loss_curve_as_it_is_written(capsys):
    assert main(["train-grader", "--help"]) == 0
    assert "grader.pt: grader.loss.png" in " ".join(capsys.readouterr().out.split())


def test_compare_help_explains_the_components(capsys):
    assert main(["compare", "--help"]) == 0
    assert "weighted mean of three 0–10 component grades" in " ".join(capsys.readouterr().out.split())


def test_help_shows_real_defaults_only(capsys):
    assert main(["fast", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 1.0)" in text and "(default: 512)" in text  # --strength, --style-size
    assert "(default: None)" not in text and "(default: False)" not in text


def test_help_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom stylelab.cli import main\n"
            "for argv in (['--help'], ['stylize', '--help'], ['grid', '--help'], ['report', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print('torch' in sys.modules, file=sys.stderr)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stderr.strip() == "False"  # help in a fifth of a second, not after a 1.5 s torch import


def test_a_terminal_without_unicode_gets_escapes_not_a_traceback(tmp_path, monkeypatch):
    import io
    import sys

    from PIL import Image

    Image.new("RGB", (15, 40)).save(tmp_path / "narrow.png")
    Image.new("RGB", (64, 64)).save(tmp_path / "painting.png")
    err = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    code = main(["fast", str(tmp_path / "narrow.png"), str(tmp_path / "painting.png"),
                 "-o", str(tmp_path / "out.png")])
    err.flush()
    assert code == 2
    assert "15\\xd740" in err.buffer.getvalue().decode("ascii")  # "15×40 px" with the × escaped
