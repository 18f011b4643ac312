"""``stylelab compare`` and ``stylelab train-grader`` through stylelab.cli.main, good and bad inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from stylelab.cli import main
from stylelab.grading.autoencoder import load_autoencoder
from tests.grading.conftest import shapes_picture

KINDS = ["missing", "directory", "empty", "text", "truncated", "tiny"]
TRAIN_FAST = ["--steps", "3", "--crops", "8", "--crop-size", "16", "--batch-size", "4", "--quiet"]


def assert_user_error(capsys, code: int, *unwritten: Path) -> str:
    err = capsys.readouterr().err
    assert code == 2
    assert "error:" in err
    for path in unwritten:
        assert not path.exists()
        assert not list(path.parent.glob(f".{path.name}*"))  # no temporary left behind either
    return err


@pytest.fixture
def images_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    (folder / "nested").mkdir(parents=True)
    shapes_picture(1, 64, 48).save(folder / "one.png")
    shapes_picture(2, 48, 64).save(folder / "nested" / "two.jpg")
    return folder


# --- compare -----------------------------------------------------------------------------------------


def test_compare_prints_a_table_of_pairwise_grades(capsys, good_image, other_image):
    assert main(["compare", str(good_image), str(other_image), str(good_image), "--size", "64"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["A", "B", "grade", "style", "structure", "colour"]
    rows = [line.split() for line in lines[2:-2]]
    assert len(rows) == 3  # 3 images → 3 pairs
    assert lines[-2] == "grades 0-10 (10 = the same picture); scorer vgg19, images at a 64 px long side"
    assert lines[-1] == "grade = 0.375 × style + 0.5 × structure + 0.125 × colour"
    assert rows[1][0] == rows[1][1] == str(good_image) and float(rows[1][2]) == 10.0
    assert 0.0 <= float(rows[0][2]) < 10.0


def test_compare_marks_pairs_without_a_layout_where_structure_weighs_less(capsys, tmp_path, good_image):
    white, black = tmp_path / "white.png", tmp_path / "black.png"
    Image.new("RGB", (64, 48), "white").save(white)
    Image.new("RGB", (64, 48), "black").save(black)
    assert main(["compare", str(white), str(black), str(good_image), "--size", "64"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].endswith(" *") and float(lines[2].split()[2]) <= 0.5  # white × black
    assert not lines[3].endswith("*") and not lines[4].endswith("*")
    assert lines[-1].startswith("* neither image has a layout to compare")


def test_compare_json_and_output_file(capsys, tmp_path, good_image, other_image):
    out = tmp_path / "grades.json"
    assert main(["compare", str(good_image), str(other_image), "--size", "64", "--json", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    report = json.loads(out.read_text())
    assert report["scorer"] == "vgg19" and report["images"] == [str(good_image), str(other_image)]
    (pair,) = report["pairs"]
    assert set(pair) >= {"a", "b", "score", "similarity", "components", "distances", "weights"}
    assert set(pair["components"]) == {"style", "structure", "colour"}


def test_compare_with_the_autoencoder_scorer(capsys, good_image, other_image):
    assert main(["compare", str(good_image), str(other_image), "--scorer", "autoencoder", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pairs"][0]["scorer"] == "autoencoder"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("position", [0, 1])
def test_compare_rejects_bad_images(capsys, tmp_path, bad_images, good_image, kind, position):
    images = [str(good_image), str(good_image)]
    images[position] = str(bad_images[kind])
    out = tmp_path / "grades.txt"
    err = assert_user_error(capsys, main(["compare", *images, "--size", "64", "-o", str(out)]), out)
    assert bad_images[kind].name in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--size", "0"], "--size: must be at least 32"),
        (["--size", "big"], "invalid int"),
        (["--scorer", "vgg"], "--scorer: unknown value 'vgg'; choose from vgg19, autoencoder. Did you mean 'vgg19'"),
        (["--checkpoint", "x.pt"], "--checkpoint"),
    ],
)
def test_compare_rejects_bad_options(capsys, good_image, other_image, args, message):
    err = assert_user_error(capsys, main(["compare", str(good_image), str(other_image), *args]))
    assert message in err


def test_compare_needs_two_images(capsys, good_image):
    assert "at least two" in assert_user_error(capsys, main(["compare", str(good_image)]))


@pytest.mark.parametrize("content", [b"nope", b"", b"hello, a text file named like a checkpoint\n" * 3,
                                     b"PK\x03\x04broken zip", "image", "folder"])
def test_compare_rejects_a_bad_checkpoint(capsys, tmp_path, good_image, content):
    checkpoint = tmp_path / "bad.pt"
    if content == "folder":
        checkpoint.mkdir()
    else:  # b"hello..." made torch's unpickler raise KeyError: 101; an image, five lines of torch advice
        checkpoint.write_bytes(good_image.read_bytes() if content == "image" else content)
    err = assert_user_error(
        capsys,
        main(
            [
                "compare",
                str(good_image),
                str(good_image),
                "--scorer",
                "autoencoder",
                "--checkpoint",
                str(checkpoint),
            ]
        ),
    )
    expected = "is a directory, not a checkpoint file" if content == "folder" else "not a readable grader checkpoint"
    assert "bad.pt" in err and expected in err
    assert err.count("\n") == 1 and "weights_only" not in err  # one line, no advice to load unsafely


def test_compare_output_may_not_be_an_input_a_folder_or_empty(capsys, tmp_path, good_image):
    picture = tmp_path / "picture.dat"  # an image under a name that is not an image extension
    picture.write_bytes(good_image.read_bytes())
    code = main(["compare", str(good_image), str(picture), "-o", str(picture)])
    assert "is one of the images being compared" in assert_user_error(capsys, code)
    assert picture.read_bytes() == good_image.read_bytes()
    (tmp_path / "table.png").mkdir()
    code = main(["compare", str(good_image), str(picture), "-o", str(tmp_path / "table.png")])
    assert "table.png: is a directory" in assert_user_error(capsys, code)
    code = main(["compare", str(good_image), str(picture), "-o", ""])
    assert "the output path is empty" in assert_user_error(capsys, code)


def test_compare_will_not_write_its_table_into_an_image_file(capsys, tmp_path, good_image, other_image):
    before = other_image.read_bytes()
    code = main(["compare", str(good_image), str(other_image), "-o", str(other_image)])
    assert "is one of the images being compared" in assert_user_error(capsys, code)
    assert other_image.read_bytes() == before
    code = main(["compare", str(good_image), str(other_image), "-o", str(tmp_path / "grades.png")])
    assert "not an image" in assert_user_error(capsys, code)
    assert not (tmp_path / "grades.png").exists()


@pytest.mark.parametrize("target", ["missing_dir/grades.txt", "a_file.txt/grades.txt", ".", "x" * 300 + ".txt",
                                    "x" * 240 + ".txt"])
def test_compare_rejects_unusable_output_paths(capsys, tmp_path, good_image, other_image, target):
    (tmp_path / "a_file.txt").write_text("x")
    out = tmp_path / target
    code = main(["compare", str(good_image), str(other_image), "--size", "64", "-o", str(out)])
    assert_user_error(capsys, code)
    assert not (tmp_path / "missing_dir").exists()


def test_compare_rejects_an_unwritable_output_dir(capsys, unwritable_dir, good_image, other_image):
    out = unwritable_dir / "grades.txt"
    err = assert_user_error(capsys, main(["compare", str(good_image), str(other_image), "-o", str(out)]), out)
    assert "not writable" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_compare_rejects_a_read_only_output_dir(capsys, tmp_path, good_image, other_image):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    out = locked / "grades.txt"
    assert_user_error(capsys, main(["compare", str(good_image), str(other_image), "-o", str(out)]), out)


# --- train-grader ------------------------------------------------------------------------------------


def test_train_grader_writes_a_checkpoint_and_a_loss_curve(capsys, tmp_path, images_dir):
    out = tmp_path / "grader.pt"
    assert main(["train-grader", str(images_dir), "-o", str(out), *TRAIN_FAST]) == 0
    assert "trained on 2 images" in capsys.readouterr().out
    assert load_autoencoder(out).code_channels > 0
    curve = tmp_path / "grader.loss.png"
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grader.loss.png", "grader.pt", "images"]


def test_compare_accepts_a_checkpoint_from_train_grader(
    capsys, tmp_path, images_dir, good_image, other_image
):
    out = tmp_path / "grader.pt"
    assert main(["train-grader", str(images_dir), "-o", str(out), *TRAIN_FAST]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "compare",
                str(good_image),
                str(other_image),
                "--scorer",
                "autoencoder",
                "--checkpoint",
                str(out),
                "--size",
                "64",
            ]
        )
        == 0
    )
    assert len(capsys.readouterr().out.splitlines()) == 5  # header, rule, one pair, how to read it (2 lines)


@pytest.mark.parametrize("kind", ["empty", "text", "truncated", "tiny"])
def test_train_grader_rejects_a_folder_with_a_bad_image(capsys, tmp_path, images_dir, bad_images, kind):
    bad = bad_images[kind]
    (images_dir / bad.name).write_bytes(bad.read_bytes())
    out = tmp_path / "grader.pt"
    err = assert_user_error(capsys, main(["train-grader", str(images_dir), "-o", str(out), *TRAIN_FAST]), out)
    assert bad.name in err
    assert not (tmp_path / "grader.loss.png").exists()


def test_train_grader_names_its_options_in_errors(capsys, tmp_path, images_dir):
    out = tmp_path / "grader.pt"
    options = [*TRAIN_FAST[:4], "--crop-size", "20", *TRAIN_FAST[6:]]
    err = assert_user_error(capsys, main(["train-grader", str(images_dir), "-o", str(out), *options]), out)
    assert err.startswith("error: --crop-size:"), err  # was "crop_size:"


@pytest.mark.parametrize(
    "folder, message",
    [("missing", "no such directory"), ("empty", "contains no images"), ("file.png", "not a directory")],
)
def test_train_grader_rejects_bad_image_folders(capsys, tmp_path, folder, message):
    (tmp_path / "empty").mkdir()
    shapes_picture(0).save(tmp_path / "file.png")
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    out = tmp_path / "grader.pt"
    err = assert_user_error(
        capsys, main(["train-grader", str(tmp_path / folder), "-o", str(out), *TRAIN_FAST]), out
    )
    assert message in err


@pytest.mark.parametrize(
    "target, message",
    [
        ("missing_dir/grader.pt", "does not exist"),
        ("a_file.txt/grader.pt", "not a directory"),
        ("grader.png", "must end in"),
        (".", "is a directory"),
        ("x" * 240 + ".pt", "the file name is too long"),
    ],
)
def test_train_grader_rejects_unusable_output_paths(capsys, tmp_path, images_dir, target, message):
    (tmp_path / "a_file.txt").write_text("x")
    err = assert_user_error(
        capsys, main(["train-grader", str(images_dir), "-o", str(tmp_path / target), *TRAIN_FAST])
    )
    assert message in err
    assert not list(tmp_path.glob("*.pt")) and not list(tmp_path.glob("*.loss.png"))


def test_train_grader_will_not_write_its_loss_curve_over_a_training_image(capsys, images_dir):
    curve = images_dir / "grader.loss.png"
    (images_dir / "one.png").rename(curve)  # a training image that happens to be named like the curve
    before = curve.read_bytes()
    err = assert_user_error(
        capsys, main(["train-grader", str(images_dir), "-o", str(images_dir / "grader.pt"), *TRAIN_FAST])
    )
    assert "the loss curve would overwrite a training image" in err
    assert curve.read_bytes() == before and not (images_dir / "grader.pt").exists()


def test_train_grader_run_twice_into_its_image_folder_skips_its_own_loss_curve(capsys, images_dir):
    command = ["train-grader", str(images_dir), "-o", str(images_dir / "grader.pt"), *TRAIN_FAST]
    assert main(command) == 0 and (images_dir / "grader.loss.png").is_file()
    capsys.readouterr()
    assert main(command) == 0, capsys.readouterr().err  # the curve is not refused, nor trained on
    import torch

    sources = torch.load(images_dir / "grader.pt", weights_only=True)["sources"]
    assert sources == ["nested/two.jpg", "one.png"]


def test_train_grader_leaves_out_hidden_files_and_folders(capsys, tmp_path, images_dir):
    (images_dir / "._one.png").write_bytes(b"Mac OS X        \x00\x05\x16\x07")  # a macOS resource fork
    (images_dir / ".thumbnails").mkdir()
    (images_dir / ".thumbnails" / "one.png").write_bytes(b"not a picture")
    out = tmp_path / "grader.pt"
    assert main(["train-grader", str(images_dir), "-o", str(out), *TRAIN_FAST]) == 0, capsys.readouterr().err
    import torch

    assert torch.load(out, weights_only=True)["sources"] == ["nested/two.jpg", "one.png"]


def test_train_grader_rejects_an_unwritable_output_dir(capsys, unwritable_dir, images_dir):
    out = unwritable_dir / "grader.pt"
    err = assert_user_error(capsys, main(["train-grader", str(images_dir), "-o", str(out), *TRAIN_FAST]), out)
    assert "not writable" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "steps"),
        (["--crop-size", "20"], "multiple of 8"),
        (["--crop-size", "264"], "--crop-size: must be at most 256 (images are scaled to 256 px before cropping)"),
        (["--crops", "1"], "crops"),
        (["--learning-rate", "-1"], "--learning-rate"),
        (["--batch-size", "abc"], "invalid int"),
        (["--learning-rate", "nan"], "--learning-rate"),
    ],
)
def test_train_grader_rejects_bad_options(capsys, tmp_path, images_dir, args, message):
    out = tmp_path / "grader.pt"
    err = assert_user_error(
        capsys, main(["train-grader", str(images_dir), "-o", str(out), *TRAIN_FAST, *args]), out
    )
    assert message in err


def test_train_grader_needs_an_output(capsys, images_dir):
    assert_user_error(capsys, main(["train-grader", str(images_dir)]))
