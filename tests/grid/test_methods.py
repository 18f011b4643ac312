"""The fast method through its adapter: a stand-in module pins the contract; then the real one."""

import dataclasses
import json
import sqlite3
import sys
import time
import types

import pytest
from PIL import Image

from stylelab.grid import ExecutorConfig, load_grid, run_grid
from stylelab.grid.report import ReportConfig, write_report
from tests.grid.conftest import write_grid

MIXED = """\
contents = ["cat.png"]
styles = ["udnie.png", "wreck.png"]
[settings]
method = ["gatys", "fast"]
size = 32
iterations = 1
strength = 0.5
"""


@dataclasses.dataclass(frozen=True)
class StandInFastConfig:
    size: int | None = None
    strength: float = 1.0

    def __post_init__(self):
        if not 0 <= self.strength <= 1:
            from stylelab.errors import ConfigError

            raise ConfigError(f"strength: must be at most 1, got {self.strength}")


LOAD_SECONDS = 0.3


class StandInStylizer:
    """Loads its models (``LOAD_SECONDS``) on first use, like FastStylizer; counts how many were made."""

    made: list = []

    def __init__(self, device="auto"):
        self.loaded = False
        StandInStylizer.made.append(self)

    def forget_styles(self):
        pass

    def warm_up(self):
        if not self.loaded:
            time.sleep(LOAD_SECONDS)
            self.loaded = True
        return LOAD_SECONDS


def stand_in_fast_stylize(content, styles, config, weights=None, *, stylizer=None):
    (stylizer or StandInStylizer()).warm_up()
    image = content.resize((config.size, round(config.size * content.height / content.width)))
    return types.SimpleNamespace(image=image, timings={"total": 0.01}, config=config)


@pytest.fixture
def stand_in_fast(monkeypatch):
    module = types.SimpleNamespace(FastConfig=StandInFastConfig, fast_stylize=stand_in_fast_stylize,
                                   FastStylizer=StandInStylizer, planned_sizes=lambda size, config: (size, size, None))
    monkeypatch.setitem(sys.modules, "stylelab.fast", module)
    monkeypatch.setattr(StandInStylizer, "made", [])


def cell_times(folder):
    with sqlite3.connect(folder / "index.sqlite") as connection:
        return [(seconds, json.loads(timings)) for seconds, timings in
                connection.execute("SELECT seconds, timings FROM cells ORDER BY rowid")]


@pytest.mark.slow
def test_method_axis_runs_gatys_and_fast_with_their_own_settings(grid_dir, stand_in_fast):
    grid = load_grid(write_grid(grid_dir, MIXED))
    assert [s.label for s in grid.settings] == ["method=gatys", "method=fast"]
    assert grid.settings[1].config == StandInFastConfig(size=32, strength=0.5)
    assert grid.settings[0].config.iterations == 1  # strength does not apply to gatys, iterations not to fast
    summary = run_grid(grid, grid_dir / "out", ExecutorConfig(workers=0))
    assert (summary.computed, summary.failed) == (4, 0)
    with sqlite3.connect(grid_dir / "out/index.sqlite") as connection:
        histories = dict(
            connection.execute("SELECT setting, history FROM cells WHERE setting = 'method=fast'")
        )
    assert histories == {"method=fast": "{}"}
    files = write_report(grid_dir / "out", ReportConfig(eval_size=64, thumbnail=64))
    assert "method=fast" in files.markdown.read_text()


def test_fast_cells_share_one_warm_stylizer_and_its_loading_is_not_their_time(grid_dir, stand_in_fast):
    text = ('contents = ["cat.png", "cup.png"]\nstyles = ["udnie.png", "wreck.png"]\n'
            '[settings]\nmethod = "fast"\nsize = 32\n')
    run_grid(load_grid(write_grid(grid_dir, text)), grid_dir / "out", ExecutorConfig(workers=0))
    assert len(StandInStylizer.made) == 1
    times = cell_times(grid_dir / "out")
    assert len(times) == 4 and all(seconds < LOAD_SECONDS for seconds, _ in times)
    assert [timings.get("warm_up", 0) >= LOAD_SECONDS for _, timings in times] == [True, False, False, False]


def test_gatys_warms_up_once_per_set_up_before_its_first_cell(grid_dir, monkeypatch):
    from stylelab.gatys import engine

    calls = []

    def stylize(content, style, config):  # torch's first steps in a process are slow
        calls.append((content.size, config.iterations, config.optimizer))
        time.sleep(0.4 if len(calls) == 1 else 0.0)
        return types.SimpleNamespace(image=content, history={}, timings={}, interrupted=False)

    monkeypatch.setattr(engine, "stylize", stylize)
    text = MIXED.replace('method = ["gatys", "fast"]', 'optimizer = ["lbfgs", "adam"]').replace("strength = 0.5", "")
    run_grid(load_grid(write_grid(grid_dir, text)), grid_dir / "out", ExecutorConfig(workers=0))
    warm_ups = [call for call in calls if call[:2] == ((64, 64), 2)]
    assert [optimizer for *_, optimizer in warm_ups] == ["lbfgs", "adam"]
    assert len(calls) == 6  # 4 cells, 2 warm-ups
    times = cell_times(grid_dir / "out")
    assert all(seconds < 0.4 for seconds, _ in times)
    assert times[0][1]["warm_up"] >= 0.4


def test_a_failed_warm_up_is_not_tried_again_before_every_cell(grid_dir, monkeypatch):
    from stylelab.gatys import engine

    warm_ups = []

    def stylize(content, style, config):
        if config.iterations == 2:  # the warm-up's tiny run
            warm_ups.append(config)
            raise RuntimeError("out of memory")
        return types.SimpleNamespace(image=content, history={}, timings={}, interrupted=False)

    monkeypatch.setattr(engine, "stylize", stylize)
    text = MIXED.replace('method = ["gatys", "fast"]', "").replace("strength = 0.5", "")
    summary = run_grid(load_grid(write_grid(grid_dir, text)), grid_dir / "out", ExecutorConfig(workers=0))
    assert (summary.computed, summary.failed) == (2, 0)  # the cells report their own errors, here none
    assert len(warm_ups) == 1  # was: one before each cell
    assert [("warm_up" in timings) for _, timings in cell_times(grid_dir / "out")] == [True, False]


def test_bad_fast_value_names_the_key_and_line(grid_dir, stand_in_fast):
    from stylelab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"grid.toml line 7: settings.strength: must be at most 1"):
        load_grid(write_grid(grid_dir, MIXED.replace("strength = 0.5", "strength = 3.0")))


def test_each_fast_cell_computes_its_style_vector_as_if_it_ran_first(grid_dir, monkeypatch):
    from stylelab.fast.engine import FastStylizer

    style_runs = []
    real_session = FastStylizer._session  # asked for the style network only on a cache miss
    monkeypatch.setattr(FastStylizer, "_session",
                        lambda self, kind: style_runs.append(kind) or real_session(self, kind))
    text = 'contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nmethod = "fast"\nsize = [32, 48]\n'
    summary = run_grid(load_grid(write_grid(grid_dir, text)), grid_dir / "out", ExecutorConfig(workers=0))
    assert (summary.computed, summary.failed) == (2, 0), summary.failures
    assert style_runs.count("predict") == 1 + 2  # the warm-up's, then each cell's (was: the first cell's only)


def test_real_fast_method(grid_dir):
    text = 'contents = ["cat.png"]\nstyles = ["udnie.png", "wreck.png"]\n[settings]\nmethod = "fast"\nsize = 64\n'
    summary = run_grid(load_grid(write_grid(grid_dir, text)), grid_dir / "out", ExecutorConfig(workers=0))
    assert (summary.computed, summary.failed) == (2, 0), summary.failures
    for output in (grid_dir / "out/cells").glob("*.png"):
        with Image.open(output) as image:
            assert max(image.size) == 64
    assert [timings["load"] for _, timings in cell_times(grid_dir / "out")] == [0.0, 0.0]  # models loaded once, before
