"""``stylelab fast``: outputs, folders, JSON, and every bad input from the engine issue."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelab.cli import main


def _run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    """An empty folder of photos (in/) and one for the results (out/)."""
    folder, out_dir = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out_dir.mkdir()
    return folder, out_dir


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _assert_user_error(code: int, err: str, output: Path, text: str = "") -> None:
    assert code == 2
    assert err.startswith("error:") or "error:" in err
    assert "Traceback" not in err
    assert text.lower() in err.lower()
    assert not output.exists()
    assert not list(output.parent.glob(f".{output.name}.*")) if output.parent.exists() else True


def test_stylises_one_image_and_reports_json(capsys, files, tmp_path):
    output = tmp_path / "out.png"
    code, out, err = _run(capsys, "fast", files["content"], files["style"], "-o", output, "--size", 64,
                          "--json", "--device", "cpu")
    assert code == 0, err
    assert _size(output) == (64, 43)
    summary = json.loads(out)
    assert summary["outputs"][0]["output"] == str(output)
    assert summary["config"]["size"] == 64 and summary["weights"] == [1.0]
    assert {"load", "transform", "total"} <= set(summary["outputs"][0]["timings"])
    assert summary["outputs"][0]["detail_size"] == [64, 43] and summary["config"]["detail"] == "native"
    assert summary["device"] == "cpu" and summary["notes"] == []  # as `stylize` names devices, not onnxruntime


def test_detail_none_leaves_out_the_native_pass(capsys, files, tmp_path):
    output = tmp_path / "out.png"
    code, out, err = _run(capsys, "fast", files["content"], files["style"], "-o", output, "--size", 64,
                          "--detail", "none", "--json", "--device", "cpu")
    assert code == 0, err
    record = json.loads(out)["outputs"][0]
    assert record["detail_size"] is None and record["detail_tiles"] == 0 and record["working_size"] == [37, 25]


def test_blends_styles_with_weights(capsys, files, tmp_path, other_style):
    second = tmp_path / "second.png"
    other_style.save(second)
    output = tmp_path / "blend.jpg"
    code, out, err = _run(capsys, "fast", files["content"], files["style"], second, "--weights", 1, 3,
                          "--strength", 0.8, "--preserve-color", "-o", output)
    assert code == 0, err
    assert "wrote" in out and _size(output) == _size(files["content"])
    assert re.search(r"once for the run: [\d.]+ s loading the models, [\d.]+ s for the style", out)


def test_folder_in_folder_out_computes_the_style_once(capsys, monkeypatch, tmp_path, content, files):
    from stylelab.fast import FastStylizer

    calls = []
    real = FastStylizer.style_vector
    monkeypatch.setattr(FastStylizer, "style_vector",
                        lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    folder, out_dir = _folders(tmp_path)
    for index in range(3):
        content.rotate(90 * index, expand=True).save(folder / f"photo{index}.jpg")
    (folder / "notes.txt").write_text("not an image, skipped by extension")
    code, out, err = _run(capsys, "fast", folder, files["style"], "-o", out_dir, "--json")
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["photo0.png", "photo1.png", "photo2.png"]
    assert _size(out_dir / "photo1.png") == (64, 96)
    assert len(json.loads(out)["outputs"]) == 3
    assert len(calls) == 1
    assert "note: skipped 1 entries that are not images (notes.txt)" in err


# -- bad inputs: exit 2, "error: ..." on stderr, no traceback, no output file ------------------------

def _write_bad(kind: str, folder: Path, good_jpeg: bytes) -> Path:
    names = {"text.jpg": "notes.jpg", "svg.png": "drawing.png", "html.png": "page.png"}
    path = folder / names.get(kind, kind)
    if kind == "missing.jpg":
        return path
    if kind == "directory":
        path.mkdir()
    elif kind == "empty.jpg":
        path.write_bytes(b"")
    elif kind == "text.jpg":
        path.write_text("this is a text file, renamed\n" * 20)
    elif kind == "truncated.jpg":
        path.write_bytes(good_jpeg[: len(good_jpeg) // 2])
    elif kind == "svg.png":
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect/></svg>')
    elif kind == "html.png":
        path.write_text("<!doctype html><html><body>hello</body></html>")
    elif kind == "tiny.png":
        Image.new("RGB", (12, 40), "red").save(path)
    elif kind == "aspect.png":
        Image.new("RGB", (20, 400), "red").save(path)
    return path


BAD_FILES = [("missing.jpg", "no such file"), ("directory", "directory"), ("empty.jpg", "empty"),
             ("text.jpg", "not a supported image"), ("truncated.jpg", "truncated"),
             ("svg.png", "not a supported image"), ("html.png", "not a supported image"),
             ("tiny.png", "at least 16 px"), ("aspect.png", "aspect ratio")]


@pytest.mark.parametrize("kind, message", BAD_FILES)
@pytest.mark.parametrize("role", ["content", "style"])
def test_bad_input_files(capsys, tmp_path, files, kind, message, role):
    bad = _write_bad(kind, tmp_path, files["content"].read_bytes())
    output = tmp_path / "out.png"
    if kind == "directory" and role == "content":  # a folder content means folder mode
        code, _, err = _run(capsys, "fast", bad, files["style"], "-o", output)
        _assert_user_error(code, err, output, "must be an existing folder")
        return
    argv = (bad, files["style"]) if role == "content" else (files["content"], bad)
    code, _, err = _run(capsys, "fast", *argv, "-o", output)
    _assert_user_error(code, err, output, message)


def test_image_over_the_pixel_limit(capsys, tmp_path, files):
    big = tmp_path / "big.png"
    Image.new("RGB", (300, 300), "blue").save(big)
    output = tmp_path / "out.png"
    code, _, err = _run(capsys, "fast", big, files["style"], "-o", output, "--max-pixels", 50_000)
    _assert_user_error(code, err, output, "over the limit")


def test_output_size_over_the_pixel_limit(capsys, tmp_path, files):
    output = tmp_path / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output, "--size", 4000,
                        "--max-pixels", 1_000_000)
    _assert_user_error(code, err, output, "over the limit")


def test_preserve_color_before_the_images_says_what_happened(capsys, tmp_path, files):
    output = tmp_path / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], "--preserve-color", files["style"], "-o", output)
    assert code == 2 and "is not a colour mode" in err and "after the images" in err
    assert not output.exists()


def test_empty_output_path(capsys, tmp_path, files):
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", "")
    assert code == 2 and "the output path is empty" in err


def test_an_output_that_is_a_symlink_loop(capsys, tmp_path, files):
    output = tmp_path / "loop1.png"
    output.symlink_to(tmp_path / "loop2.png")
    (tmp_path / "loop2.png").symlink_to(output)
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output)
    assert code == 2 and "cannot write there" in err and "Traceback" not in err


def test_missing_output_folder(capsys, tmp_path, files):
    output = tmp_path / "nowhere" / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output)
    _assert_user_error(code, err, output, "does not exist")


def test_unwritable_output_folder(capsys, tmp_path, files):
    if os.geteuid() == 0:
        output = Path("/proc/self/out.png")  # root may write anywhere on disk, but not here
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        output = locked / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output)
    _assert_user_error(code, err, output, "not writable")


def test_missing_output_folder_in_folder_mode(capsys, tmp_path, files):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(files["content"], folder / "a.jpg")
    output = tmp_path / "missing"
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", output)
    _assert_user_error(code, err, output, "does not exist")


def test_folder_with_a_bad_image_writes_nothing(capsys, tmp_path, files):
    folder, out_dir = _folders(tmp_path)
    shutil.copy(files["content"], folder / "a.jpg")
    (folder / "b.jpg").write_text("not really a jpeg")
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", out_dir)
    assert code == 2 and "b.jpg" in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_folder_with_several_bad_images_names_them_all_at_once(capsys, tmp_path, files):
    folder, out_dir = _folders(tmp_path)
    shutil.copy(files["content"], folder / "a.jpg")
    (folder / "b.jpg").write_text("not really a jpeg")
    (folder / "c.png").write_bytes(b"")
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", out_dir)
    assert code == 2 and "2 of 3 images cannot be used, so nothing was written" in err
    assert "b.jpg" in err and "c.png" in err
    assert list(out_dir.iterdir()) == []


def test_folder_where_one_photo_would_give_too_large_an_output_writes_nothing(capsys, tmp_path):
    folder, out_dir = _folders(tmp_path)
    Image.new("RGB", (200, 133), "teal").save(folder / "a.png")  # 400 × 266 = 106 400 px: allowed
    Image.new("RGB", (133, 133), "teal").save(folder / "b.png")  # 400 × 400 = 160 000 px: not
    Image.new("RGB", (300, 300), "orange").save(tmp_path / "style.png")
    code, _, err = _run(capsys, "fast", folder, tmp_path / "style.png", "-o", out_dir, "--size", 400,
                        "--max-pixels", 130_000, "--device", "cpu")
    assert code == 2 and "Traceback" not in err
    assert f"{folder / 'b.png'}: --size: the output would be 400×400" in err and "a.png" not in err
    assert list(out_dir.iterdir()) == []


def test_folder_where_one_result_name_is_too_long_writes_nothing(capsys, tmp_path, files):
    folder, out_dir = _folders(tmp_path)
    shutil.copy(files["content"], folder / "a.jpg")
    long_name = "x" * 245 + ".jpg"  # fits, but not with atomic_write's temporary name beside its result
    shutil.copy(files["content"], folder / long_name)
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", out_dir, "--device", "cpu")
    assert code == 2 and "Traceback" not in err
    assert long_name in err and "too long" in err
    assert list(out_dir.iterdir()) == []


def test_an_output_too_wide_for_its_format_is_refused_before_any_work(capsys, monkeypatch, tmp_path, files):
    from stylelab.fast.engine import FastStylizer

    monkeypatch.setattr(FastStylizer, "warm_up", lambda self: pytest.fail("the models were loaded"))
    Image.new("RGB", (256, 16), "teal").save(tmp_path / "strip.png")
    output = tmp_path / "wide.webp"
    code, _, err = _run(capsys, "fast", tmp_path / "strip.png", files["style"], "-o", output, "--size", 16384)
    _assert_user_error(code, err, output, "WEBP images can be at most 16383 px on a side")


@pytest.mark.parametrize("options, notes", [
    (["--detail", "none"], []),
    (["--detail", "none", "--stroke-scale", "0.5"],
     ["--detail none has no effect at --stroke-scale 0.5 (nothing is upscaled; it applies above 1)"]),
])
def test_detail_none_is_noted_only_where_nothing_is_upscaled(capsys, tmp_path, files, options, notes):
    code, out, err = _run(capsys, "fast", files["content"], files["style"], "-o", tmp_path / "out.png",
                          "--size", 32, *options, "--json", "--device", "cpu")
    assert code == 0, err
    assert json.loads(out)["notes"] == notes and ("note:" in err) == bool(notes)


def test_a_refused_run_prints_its_error_without_notes(capsys, tmp_path, files):
    output = tmp_path / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output, "--size", 20,
                        "--detail", "none", "--stroke-scale", "1", "--device", "cpu")
    _assert_user_error(code, err, output, "--size: the output would be 20×13 px")
    assert "note:" not in err


def test_a_run_refused_for_its_painting_prints_its_error_without_notes(capsys, tmp_path, files):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")
    output = tmp_path / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], broken, "-o", output, "--weights", 2,
                        "--device", "cpu")
    _assert_user_error(code, err, output, "broken.jpg: file is empty")
    assert "note:" not in err


def test_settings_without_effect_get_a_note_also_in_json(capsys, tmp_path, files):
    output = tmp_path / "out.png"
    code, out, err = _run(capsys, "fast", files["content"], files["style"], "-o", output, "--size", 32,
                          "--weights", "2", "--stroke-scale", "1", "--detail", "none", "--json", "--device", "cpu")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert notes == ["--detail none has no effect at --stroke-scale 1 (nothing is upscaled; it applies above 1)",
                     "--weights has no effect with one style image"]
    assert all(f"note: {note}" in err for note in notes)


@pytest.mark.parametrize("options, note", [
    (["--weights", "3", "1"], "the style images and --weights have no effect at --strength 0 (the style is the "
                              "photo's own)"),
    ([], "the style images have no effect at --strength 0 (the style is the photo's own)"),
])
def test_strength_0_notes_that_the_paintings_have_no_effect(capsys, tmp_path, files, options, note):
    other = tmp_path / "other.jpg"
    shutil.copy(files["style"], other)
    code, out, err = _run(capsys, "fast", files["content"], files["style"], other, "-o", tmp_path / "out.png",
                          "--size", 32, "--strength", "0", *options, "--json", "--device", "cpu")
    assert code == 0, err
    assert json.loads(out)["notes"] == [note] and f"note: {note}" in err


def test_strength_0_with_one_painting_and_weights_gets_one_note(capsys, tmp_path, files):
    code, out, err = _run(capsys, "fast", files["content"], files["style"], "-o", tmp_path / "out.png",
                          "--size", 32, "--strength", "0", "--weights", "2", "--json", "--device", "cpu")
    assert code == 0, err
    assert json.loads(out)["notes"] == ["the style image and --weights have no effect at --strength 0 (the style "
                                        "is the photo's own)"]


def test_folder_output_may_not_be_the_content_folder(capsys, tmp_path, files):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(files["content"], folder / "a.png")
    shutil.copy(files["content"], folder / "b.jpg")
    before = (folder / "a.png").read_bytes()
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", folder)
    assert code == 2 and "other than the contents' own" in err
    assert (folder / "a.png").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["a.png", "b.jpg"]


def test_folder_output_may_not_overwrite_a_painting(capsys, tmp_path, files):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    shutil.copy(files["content"], folder / "a.jpg")
    painting = out / "a.png"  # where the result for a.jpg would go
    shutil.copy(files["style"], painting)
    before = painting.read_bytes()
    code, _, err = _run(capsys, "fast", folder, painting, "-o", out)
    assert code == 2 and "overwrite an input image" in err
    assert painting.read_bytes() == before


def test_a_folder_where_a_result_goes_fails_before_any_output(capsys, tmp_path, files):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (out / "b.png").mkdir(parents=True)  # where the result for b.jpg would go
    shutil.copy(files["content"], folder / "a.jpg")
    shutil.copy(files["content"], folder / "b.jpg")
    (folder / "sub").mkdir()
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", out)
    assert code == 2 and "b.png: is a folder" in err
    assert [p.name for p in out.iterdir()] == ["b.png"]  # a.png was not written first


@pytest.mark.parametrize("role", ["content", "style"])
def test_a_single_output_may_not_overwrite_an_input(capsys, tmp_path, files, role):
    paths = {"content": tmp_path / "photo.png", "style": tmp_path / "painting.png"}
    for name, path in paths.items():
        shutil.copy(files[name], path)
    before = paths[role].read_bytes()
    code, _, err = _run(capsys, "fast", paths["content"], paths["style"], "-o", paths[role])
    assert code == 2 and "would overwrite an input image" in err
    assert paths[role].read_bytes() == before


def test_hidden_files_in_a_folder_are_not_contents(capsys, tmp_path, files):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    shutil.copy(files["content"], folder / "a.png")
    (folder / "._a.png").write_bytes(b"\0\5\x16\7 macOS resource fork")  # would fail to decode
    shutil.copy(files["content"], folder / ".hidden.png")
    code, _, err = _run(capsys, "fast", folder, files["style"], "-o", out)
    assert code == 0, err
    assert [p.name for p in out.iterdir()] == ["a.png"]


def test_outputs_get_the_usual_file_mode(capsys, tmp_path, files):
    old = os.umask(0o022)
    try:
        output = tmp_path / "out.png"
        code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output)
    finally:
        os.umask(old)
    assert code == 0, err
    assert output.stat().st_mode & 0o777 == 0o644  # as open() would make it, not mkstemp's 0600


@pytest.mark.parametrize("options, message", [
    (["--strength", "1.5"], "--strength: "), (["--strength", "-0.2"], "--strength: "),
    (["--weights", "-1"], "--weights: "), (["--weights", "1", "2"], "one per style"),
    (["--weights", "0"], "positive"), (["--tile-size", "100"], "--tile-size: must be at least 256"),
    (["--size", "0"], "--size: "), (["--device", "tpu"], "--device: "),
    (["--stroke-scale", "0"], "--stroke-scale: "), (["--max-pixels", "10"], "--max-pixels: "),
    (["--style-size", "0"], "--style-size: "), (["--preserve-color", "sepia"], "not a colour mode"),
    (["--size", "big"], "invalid int value"), (["--device", "cuda"], "cuda"), (["--device", "cuda:1"], "cuda:1"),
    (["--size", "20"], "; choose a larger --size"), (["--detail", "fine"], "invalid choice: 'fine'"),
    (["--stroke-scale", "0.25", "--max-pixels", "9999"], "raise --stroke-scale or lower --size"),
])
def test_invalid_option_values(capsys, tmp_path, files, options, message):
    import onnxruntime as ort

    if options[0] == "--device" and "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    output = tmp_path / "out.png"
    code, _, err = _run(capsys, "fast", files["content"], files["style"], "-o", output, *options)
    _assert_user_error(code, err, output, message)


# -- valid but unusual images go through -----------------------------------------------------------

def _unusual(kind: str, folder: Path, base: Image.Image) -> tuple[Path, tuple[int, int]]:
    size = base.size
    if kind == "grayscale":
        path = folder / "gray.png"
        base.convert("L").save(path)
    elif kind == "rgba":
        path = folder / "alpha.png"
        rgba = base.convert("RGBA")
        rgba.putalpha(Image.linear_gradient("L").resize(size))
        rgba.save(path)
    elif kind == "palette":
        path = folder / "palette.png"
        base.convert("P", palette=Image.ADAPTIVE, colors=16).save(path)
    elif kind == "16-bit":
        path = folder / "deep.png"
        gray = (np.asarray(base.convert("L"), dtype=np.uint16) * 257)
        Image.fromarray(gray).save(path)
    elif kind == "cmyk":
        path = folder / "print.jpg"
        base.convert("CMYK").save(path)
    elif kind == "animated-gif":
        path = folder / "anim.gif"
        frames = [base.convert("P"), base.rotate(180).convert("P")]
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    elif kind == "webp":
        path = folder / "photo.webp"
        base.save(path)
    elif kind == "bmp":
        path = folder / "photo.bmp"
        base.save(path)
    elif kind == "exif-rotated":
        path = folder / "rotated.jpg"
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
        base.save(path, exif=exif.tobytes())
        size = (size[1], size[0])
    else:  # non-ASCII path
        path = folder / "café-ünïcødé-写真.jpg"
        base.save(path)
    return path, size


@pytest.mark.parametrize("kind", ["grayscale", "rgba", "palette", "16-bit", "cmyk", "animated-gif", "webp",
                                  "bmp", "exif-rotated", "non-ascii"])
def test_unusual_but_valid_images(capsys, tmp_path, content, files, kind):
    path, expected_size = _unusual(kind, tmp_path, content)
    output = tmp_path / f"out-{kind}-é.png"
    code, _, err = _run(capsys, "fast", path, files["style"], "-o", output)
    assert code == 0, err
    assert _size(output) == expected_size
    # also as the style image
    code, _, err = _run(capsys, "fast", files["content"], path, "-o", output)
    assert code == 0, err


def test_json_output_is_valid_for_unicode_paths(capsys, tmp_path, content, files):
    path = tmp_path / "фото.jpg"
    content.save(path)
    code, out, _ = _run(capsys, "fast", path, files["style"], "-o", tmp_path / "выход.png", "--json")
    assert code == 0
    assert json.load(io.StringIO(out))["outputs"][0]["content"] == str(path)


def test_a_style_image_enlarged_over_four_times_for_the_style_network_gets_a_note(capsys, tmp_path, files):
    tiny = tmp_path / "tiny.png"
    Image.open(files["style"]).resize((40, 100)).save(tiny)  # its 40 px side is enlarged to 512 (12.8×)
    code, out, err = _run(capsys, "fast", files["content"], tiny, "-o", tmp_path / "out.png", "--size", 32,
                          "--json", "--device", "cpu")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert notes == [f"style image {tiny} is 40×100 px and is enlarged 13× (to 512 px, from --style-size): its "
                     "brushwork will look blocky; a larger picture of the painting gives finer texture"]
    assert f"note: {notes[0]}" in err
    code, out, err = _run(capsys, "fast", files["content"], tiny, "-o", tmp_path / "out.png", "--size", 32,
                          "--style-size", "160", "--json", "--device", "cpu")  # 4×: no note
    assert code == 0 and json.loads(out)["notes"] == [], err
    code, out, err = _run(capsys, "fast", files["content"], tiny, "-o", tmp_path / "out.png", "--size", 32,
                          "--strength", "0", "--json", "--device", "cpu")  # the painting is not used at all
    assert code == 0 and not any("enlarged" in note for note in json.loads(out)["notes"]), err
