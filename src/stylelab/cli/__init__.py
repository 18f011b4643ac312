"""The ``stylelab`` command: ``main(argv) -> exit code``.

Each subcommand lives in its own module with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Modules import heavy
libraries (torch, onnxruntime) inside ``run`` so ``stylelab --help`` is quick.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from stylelab import __version__
from stylelab.errors import StylelabError

SUBCOMMANDS = (
    "stylelab.cli.stylize",
    "stylelab.cli.fast",
    "stylelab.cli.compare",
    "stylelab.cli.train_grader",
    "stylelab.cli.serve",
    "stylelab.cli.grid",
    "stylelab.cli.report",
    "stylelab.cli.demo",
)
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default unless it is None or False (those read as "not given")."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes read like every other user error: one ``error: ...`` line, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"error: {message}{self._greedy_hint(message)} (see: {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201 (argparse's signature)
        self._given = list(sys.argv[1:] if args is None else args)  # for _greedy_hint
        return super().parse_known_args(args, namespace)

    def _greedy_hint(self, message: str) -> str:
        """Options that take several values swallow the images when written before them: say so."""
        given = {arg.partition("=")[0] for arg in getattr(self, "_given", [])}
        greedy = [action.option_strings for action in self._actions
                  if action.nargs in ("+", "*") and given.intersection(action.option_strings)]
        names = [strings[-1] for strings in greedy]
        missing = message.partition("the following arguments are required: ")[2].split(", ")
        swallowed = any(name and not name.startswith("-") for name in missing)  # images, not -o
        value = message.rpartition(": ")[2].strip("'")  # "invalid float value: 'photo.jpg'"
        choked = Path(value).suffix != "" and any(
            message.startswith(f"argument {'/'.join(strings)}:") for strings in greedy)
        if not names or not (swallowed or choked):
            return ""
        return (f"; if {' or '.join(names)} came before the images, put it after them "
                "(it takes every value that follows)")

    def unrecognized(self, extras: list[str]) -> NoReturn:
        """Options this (sub)command does not know, with the nearest one it does."""
        known = [option for action in self._actions for option in action.option_strings]
        guesses = [close for extra in extras if extra.startswith("--")
                   for close in difflib.get_close_matches(extra.partition("=")[0], known, n=1)]
        hint = f"; did you mean {' or '.join(dict.fromkeys(guesses))}?" if guesses else ""
        self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stylelab", description="Neural style transfer on your own machine.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        module = importlib.import_module(module_name)
        description = getattr(module, "DESCRIPTION", module.HELP)  # a longer text where HELP is not enough
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=description,
                                    formatter_class=_HelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, parser=sub)
    return parser


def _tolerate_narrow_encodings() -> None:
    """Print characters the terminal cannot encode (×, →, names) as escapes instead of crashing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code (2 for user errors)."""
    _tolerate_narrow_encodings()
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # told by the subcommand, which knows the options that were meant
            args.parser.unrecognized(extras)
    except SystemExit as exc:  # argparse exits on --help and on bad options
        return int(exc.code or 0)
    try:
        return int(args.run(args) or 0)
    except StylelabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
