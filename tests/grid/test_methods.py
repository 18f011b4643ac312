"""The fast method through its adapter: a stand-in module pins the contract; the real one once merged."""

import dataclasses
import sqlite3
import sys
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


def stand_in_fast_stylize(content, styles, config):
    image = content.resize((config.size, round(config.size * content.height / content.width)))
    return types.SimpleNamespace(image=image, timings={"total": 0.01}, config=config)


@pytest.fixture
def stand_in_fast(monkeypatch):
    module = types.SimpleNamespace(FastConfig=StandInFastConfig, fast_stylize=stand_in_fast_stylize)
    monkeypatch.setitem(sys.modules, "stylelab.fast", module)


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


def test_bad_fast_value_names_the_key_and_line(grid_dir, stand_in_fast):
    from stylelab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"grid.toml line 7: settings.strength: must be at most 1"):
        load_grid(write_grid(grid_dir, MIXED.replace("strength = 0.5", "strength = 3.0")))


def test_real_fast_method(grid_dir):
    pytest.importorskip("stylelab.fast", reason="stylelab.fast is not part of this build yet")
    text = 'contents = ["cat.png"]\nstyles = ["udnie.png"]\n[settings]\nmethod = "fast"\nsize = 64\n'
    summary = run_grid(load_grid(write_grid(grid_dir, text)), grid_dir / "out", ExecutorConfig(workers=0))
    assert (summary.computed, summary.failed) == (1, 0), summary.failures
    (output,) = (grid_dir / "out/cells").glob("*.png")
    with Image.open(output) as image:
        assert max(image.size) == 64
