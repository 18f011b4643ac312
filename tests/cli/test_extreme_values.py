"""Values no one means — integers of 400 digits, NaN sizes, empty folder names — are one error line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stylelab.cli import main
from stylelab.errors import ConfigError
from stylelab.gatys.config import GatysConfig
from stylelab.imageio import ImageLimits

HUGE = str(10**400)


@pytest.mark.parametrize("argv, message", [
    (["fast", "{photo}", "{painting}", "-o", "{out}", "--size", HUGE], "--size: must be at most"),
    (["stylize", "{photo}", "{painting}", "-o", "{out}", "--seed", HUGE], "--seed: must be at most"),
    (["stylize", "{photo}", "{painting}", "-o", "{out}", "--save-every", HUGE], "--save-every: must be at most"),
    (["stylize", "{photo}", "{painting}", "-o", "{out}", "--content-weight", HUGE],
     "--content-weight: expected a finite number, got inf"),
    (["stylize", "{photo}", "{painting}", "-o", "{out}", "--size", "32", "--iterations", "1", "--content-weight",
      "1e308", "--style-weight", "1e308"],  # was "(content_weight 1e+308, style_weight 1e+308, tv_weight 0)"
     "the settings overflow float32 (--content-weight 1e+308, --style-weight 1e+308, --tv-weight 0)"),
    (["stylize", "{photo}", "{painting}", "-o", "{out}", "--size", "32", "--iterations", "1", "--optimizer",
      "adam", "--style-weight", "1e308"], "--tv-weight 0, --learning-rate 0.02); use smaller values"),
    (["demo", "--out", "{tmp}", "--size", HUGE], "--size: must be at most 8192, got a 401-digit integer"),
    (["demo", "--out", "{tmp}", "--size", "0"], "--size: must be at least 16"),
    (["demo", "--out", ""], "the output folder is empty"),
    (["report", ""], "the grid folder is empty"),
    (["serve", "--data-dir", "{tmp}", "--max-upload-mb", "nan"], "--max-upload-mb: expected a finite number"),
    (["serve", "--data-dir", "{tmp}", "--max-upload-mb", "inf"], "--max-upload-mb: expected a finite number"),
    (["serve", "--data-dir", "{tmp}", "--max-upload-mb", "-1"], "--max-upload-mb: must be at least 0.001, got -1"),
    (["serve", "--data-dir", "{tmp}", "--worker-threads", "-5"], "--worker-threads: must be at least 1, got -5"),
    (["serve", "--data-dir", "{tmp}", "--gatys-jobs", "0"], "--gatys-jobs: must be at least 1, got 0"),
    (["serve", "--data-dir", ""], "--data-dir is empty"),
])
def test_absurd_values_are_one_error_line(tmp_path, capsys, monkeypatch, photo, painting, argv, message):
    from stylelab.web.server import StylelabServer

    def started(self):
        raise AssertionError("the server started")

    monkeypatch.setattr(StylelabServer, "run", started)
    monkeypatch.chdir(tmp_path)  # where an empty folder name would write
    names = {"photo": photo, "painting": painting, "out": tmp_path / "out.png", "tmp": tmp_path}
    before = set(os.listdir(tmp_path))
    assert main([part.format(**names) for part in argv]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert "open http" not in out and set(os.listdir(tmp_path)) == before


def test_a_grid_with_an_empty_output_folder_writes_nothing_here(tmp_path, monkeypatch, capsys, photo, painting):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.toml").write_text(
        f'contents = ["{photo}"]\nstyles = ["{painting}"]\n[settings]\nmethod = "fast"\nsize = 32\n'
    )
    assert main(["grid", "g.toml", "--out", "", "--workers", "0", "--quiet"]) == 2
    assert "the grid folder is empty" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["g.toml"]


def test_the_library_refuses_integers_too_large_for_a_float():
    with pytest.raises(ConfigError, match="size: must be at most 8192, got a 401-digit integer"):
        GatysConfig(size=10**400)
    with pytest.raises(ConfigError, match="max_pixels: must be at most 9223372036854775807"):
        ImageLimits(max_pixels=10**400)
    with pytest.raises(ConfigError, match="content_weight: too large"):
        GatysConfig(content_weight=10**400)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_file_names_that_are_not_utf8_are_shown_with_escapes(tmp_path, capsys, photo, painting):
    odd = tmp_path / os.fsdecode(b"bad\xffname.png")
    odd.write_bytes(photo.read_bytes())
    assert main(["compare", str(odd), str(painting), "-o", str(tmp_path / "table.txt")]) == 0, capsys.readouterr()
    assert "bad\\udcffname" in (tmp_path / "table.txt").read_text()
    (tmp_path / "g.toml").write_text(
        f'contents = ["{tmp_path}/bad*name.png"]\nstyles = ["{painting}"]\n[settings]\nmethod = "fast"\nsize = 32\n'
    )
    out = tmp_path / "out"
    assert main(["grid", str(tmp_path / "g.toml"), "--out", str(out), "--workers", "0", "--quiet"]) == 0
    assert main(["report", str(out), "--eval-size", "64", "--thumbnail", "64"]) == 0, capsys.readouterr()
    assert "bad\\udcffname" in (out / "report.md").read_text()


def test_numpy_numbers_are_settings_like_any_numbers():
    import numpy as np

    from stylelab.fast.config import FastConfig
    from stylelab.grading.config import GradeConfig

    assert GatysConfig(size=np.int64(64), content_weight=np.float32(1)) == GatysConfig(size=64, content_weight=1.0)
    assert type(GatysConfig(size=np.int64(64)).size) is int  # JSON-ready
    assert FastConfig(size=np.int32(64), strength=np.float32(0.5)) == FastConfig(size=64, strength=0.5)
    assert GradeConfig(size=np.int16(128)) == GradeConfig(size=128)
    assert ImageLimits(max_pixels=np.uint32(1000)).max_pixels == 1000
    from stylelab.grid import ExecutorConfig
    from stylelab.web.settings import WebSettings

    assert ExecutorConfig(workers=np.int64(2)) == ExecutorConfig(workers=2)
    assert WebSettings(data_dir=Path("data"), port=np.int64(8001)).port == 8001
    with pytest.raises(ConfigError, match="size: expected an integer, got 64.0"):
        GatysConfig(size=np.float64(64.0))
