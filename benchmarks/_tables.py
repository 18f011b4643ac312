"""What a benchmark does with its finished table: print it and keep it in bench-results/."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"


def publish(lines: list[str], name: str) -> None:
    """Print the table's ``lines`` and write them to ``bench-results/NAME.md``."""
    table = "\n".join(lines) + "\n"
    print(table)  # noqa: T201 - benchmarks print their table
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(table, encoding="utf-8")
