"""The code passes the project's ruff rules (pyproject.toml), so style slips show up in CI like bugs.

ruff is pinned in the test extras: a newer one may add rules under the selected prefixes."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_code_passes_ruff():
    ruff = pytest.importorskip("ruff")
    binary = ruff.find_ruff_bin()
    checked = subprocess.run([binary, "check", "--no-cache", "src", "tests", "benchmarks", "docs"], cwd=ROOT,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
