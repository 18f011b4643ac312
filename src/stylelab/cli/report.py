"""``stylelab report DIR``: an HTML and markdown report of a grid folder."""

from __future__ import annotations

import argparse

from stylelab.cli.options import add_config_options, config_from_args

NAME = "report"
HELP = (
    "Write report.html and report.md for a grid folder: contact sheets, side-by-side settings, loss curves, "
    "timings and quality numbers."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from stylelab.grid.report import ReportConfig

    parser.add_argument("folder", help="a folder written by `stylelab grid`")
    add_config_options(parser, ReportConfig)


def run(args: argparse.Namespace) -> int:
    from stylelab.grid.report import ReportConfig, write_report

    files = write_report(args.folder, config_from_args(args, ReportConfig))
    print(files.html)
    print(files.markdown)
    return 0
