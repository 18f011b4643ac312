import json

from stylelab.cli import main
from tests.conftest import open_rgb


def test_demo_runs_end_to_end_at_small_size(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--size", "64", "--iterations", "3"]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(p.rsplit("/", 1)[-1] for p in printed) == ["fast.png", "gatys.png", "loss_curve.png",
                                                            "sheet.png", "summary.json"]
    assert max(open_rgb(out / "gatys.png").size) == 64
    sheet = open_rgb(out / "sheet.png")
    assert sheet.width > 3.5 * sheet.height  # four panels side by side
    assert max(open_rgb(out / "fast.png").size) == 64
    assert open_rgb(out / "loss_curve.png").size[0] > 300
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["size"] == 64 and summary["timings"]["total"] > 0
    assert set(summary["grades"]) == {"fast_vs_style", "gatys_vs_style", "fast_vs_content", "gatys_vs_content",
                                      "fast_vs_gatys"}
    assert all(0 <= grade <= 10 for grade in summary["grades"].values())


def test_demo_refuses_an_output_folder_that_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    assert main(["demo", "--out", str(blocker), "--size", "64", "--iterations", "1"]) == 2
    assert capsys.readouterr().err == f"error: {blocker}: is a file, not a folder\n"  # was "... (File exists)"


def test_a_size_too_small_names_the_option_and_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--size", "20", "--iterations", "1"]) == 2
    assert capsys.readouterr().err == ("error: --size: the output would be 20×13 px, under 16 px on a side; "
                                       "choose a larger --size\n")  # was "size: ... `size`"
    assert not out.exists()  # was left empty


def test_ctrl_c_during_the_gatys_run_is_reported_not_swallowed(tmp_path, capsys, monkeypatch):
    from stylelab.cli.progress import ProgressBar

    def interrupt_at_step_two(self, progress):
        if progress.iteration == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(ProgressBar, "update", interrupt_at_step_two)
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--size", "64", "--iterations", "5"]) == 130  # was 0
    assert "interrupted: the Gatys result" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["steps"] < 10


def test_zero_iterations_says_the_result_is_the_start_image(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "out"), "--size", "64", "--iterations", "0"]) == 0
    err = capsys.readouterr().err
    assert "note: --iterations 0: the result is the start image, resized\n" in err  # was: no note at all
