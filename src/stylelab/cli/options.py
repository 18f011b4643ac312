"""Build argparse options from a frozen config dataclass, so defaults live in one place."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from stylelab.errors import ConfigError
from stylelab.imageio import upright_size

_SCALARS = {"int": int, "float": float, "str": str}


def _option_kwargs(field: dataclasses.Field) -> dict[str, Any]:
    type_name = str(field.type).replace(" ", "")
    help_text = field.metadata.get("help", "")
    if type_name.startswith("tuple["):
        item = type_name[len("tuple["):].split(",")[0].rstrip("]")
        return {"type": _SCALARS[item], "nargs": "+", "default": field.default, "help": help_text}
    scalar = type_name.split("|")[0]
    return {"type": _SCALARS[scalar], "default": field.default, "help": help_text}


def add_config_options(parser: argparse.ArgumentParser, config_class: type, skip: tuple[str, ...] = ()) -> None:
    """Add ``--field-name`` for every field of ``config_class`` except ``skip``."""
    group = parser.add_argument_group(f"{config_class.__name__} settings")
    for field in dataclasses.fields(config_class):
        if field.name in skip:
            continue
        group.add_argument(f"--{field.name.replace('_', '-')}", dest=f"config_{field.name}",
                           metavar=field.name.upper(), **_option_kwargs(field))


def config_from_args(args: argparse.Namespace, config_class: type, **extra: Any) -> Any:
    """Instantiate ``config_class`` from the parsed ``--field`` options (validated by the class)."""
    values = {name[len("config_"):]: value for name, value in vars(args).items() if name.startswith("config_")}
    values = {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}
    options = set(values)
    values.update(extra)
    with named_as_options(options):
        try:
            return config_class(**values)
        except TypeError as exc:
            raise ConfigError(str(exc)) from None


@contextlib.contextmanager
def named_as_options(fields: Iterable[str] | Mapping[str, str]) -> Iterator[None]:
    """Rewrite a ConfigError about one of ``fields`` to name its command-line option.

    "tile_size: must be at least 256, got 100" becomes "--tile-size: must be ...", and a setting
    named in backticks in a hint ("choose a smaller `size`") becomes its option ("--size"). A mapping
    names options whose names differ from their fields ({"gatys_workers": "--gatys-jobs"}).
    """
    options = _options(fields)
    try:
        yield
    except ConfigError as exc:
        message = with_options(str(exc), options)
        field, separator, rest = message.partition(": ")
        if separator and field in options:
            message = f"{options[field]}: {rest}"
        if message == str(exc):
            raise
        raise ConfigError(message) from None


def print_notes(notes: Iterable[str]) -> None:
    """Each note on stderr as ``note: ...`` (the commands' results go to stdout)."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


ENLARGED_STYLE = 4.0  # a style image enlarged more than this gets a note: its texture comes out blocky


def small_style_notes(styles: Sequence[str], sides: Callable[[tuple[int, int]], tuple[int, int]],
                      setting: str) -> list[str]:
    """A note for each style image that the method enlarges more than ``ENLARGED_STYLE``×.

    ``sides(size)`` gives (the style image's side that is scaled, the side it is scaled to) for a style image
    of ``size`` = (width, height); ``setting`` names what sets the second. Unreadable files are left to the
    engine, which says why.
    """
    notes = []
    for index, style in enumerate(styles):
        size = upright_size(style)
        if size is None:
            continue
        have, used = sides(size)
        if used > ENLARGED_STYLE * have:
            label = "style image" + (f" {index + 1}" if len(styles) > 1 else "")
            notes.append(f"{label} {style} is {size[0]}×{size[1]} px and is enlarged {used / have:.2g}× (to "
                         f"{used} px, from {setting}): its brushwork will look blocky; a larger picture of the "
                         "painting gives finer texture")
    return notes


def with_options(message: str, fields: Iterable[str] | Mapping[str, str]) -> str:
    """``message`` with each setting named in backticks ("choose a smaller `size`") as its option."""
    for field, option in _options(fields).items():
        message = message.replace(f"`{field}`", option)
    return message


def _options(fields: Iterable[str] | Mapping[str, str]) -> dict[str, str]:
    return dict(fields) if isinstance(fields, Mapping) else {field: _option(field) for field in fields}


def _option(field: str) -> str:
    return f"--{field.replace('_', '-')}"
