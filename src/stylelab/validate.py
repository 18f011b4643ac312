"""Small validators that raise :class:`ConfigError` with helpful messages."""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence, Set

from stylelab.errors import ConfigError


def choice(name: str, value: str, valid: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``valid``; else raise, listing the options.

    Raises:
        ConfigError: naming the option, the valid values and the nearest match.
    """
    valid = list(valid)
    if value in valid:
        return value
    close = difflib.get_close_matches(str(value), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{name}: unknown value {value!r}; choose from {', '.join(valid)}.{hint}")


def number(name: str, value: float, *, minimum: float | None = None, maximum: float | None = None,
           exclusive_minimum: bool = False) -> float:
    """Return ``value`` if it is a finite number within the bounds; else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise ConfigError(f"{name}: expected a finite number, got {_show(value)}")
    if minimum is not None:
        too_small = value <= minimum if exclusive_minimum else value < minimum
        if too_small:
            relation = "greater than" if exclusive_minimum else "at least"
            raise ConfigError(f"{name}: must be {relation} {_show(minimum)}, got {_show(value)}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}: must be at most {_show(maximum)}, got {_show(value)}")
    if isinstance(value, int) and abs(value) > LARGEST_INTEGER:
        raise ConfigError(f"{name}: too large ({_show(value)})")
    return value


DEVICES = ("auto", "cpu", "cuda", "cuda:N")
LARGEST_INTEGER = 2**63 - 1  # no setting needs more; a larger int cannot become a float or a seed


def device_name(name: str, value: str) -> str:
    """``value`` if it is auto, cpu, cuda or cuda:N (N a GPU number); else ConfigError listing those."""
    if isinstance(value, str) and re.fullmatch(r"auto|cpu|cuda(:\d+)?", value):
        return value
    raise ConfigError(f"{name}: unknown value {value!r}; choose from {', '.join(DEVICES)} (N: a GPU number)")


def instance(name: str, value: object, kind: type) -> object:
    """Return ``value`` if it is a ``kind``; else ConfigError (e.g. a dict or the other engine's config)."""
    if not isinstance(value, kind):
        article = "an" if kind.__name__[0] in "AEIOU" else "a"
        raise ConfigError(f"{name}: expected {article} {kind.__name__}, got {type(value).__name__}")
    return value


def callback(name: str, value: object) -> object:
    """Return ``value`` if it is None or callable; else ConfigError."""
    if value is not None and not callable(value):
        raise ConfigError(f"{name}: expected a function (or None), got {type(value).__name__}")
    return value


def _finite(value: float) -> bool:
    return isinstance(value, int) or math.isfinite(value)  # math.isfinite(10**400) raises OverflowError


def _show(value: object) -> str:
    """Integers in full (a seed limit of 9223372036854775807, not 9.22337e+18) unless absurdly long;
    floats short; anything else as repr."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 24 else f"a {len(text.lstrip('-'))}-digit integer"
    return f"{value:g}"


def integer(name: str, value: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an int within the bounds (and 64 bits); else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name}: expected an integer, got {value!r}")
    number(name, value, minimum=-LARGEST_INTEGER - 1 if minimum is None else minimum,
           maximum=LARGEST_INTEGER if maximum is None else maximum)
    return value


def help_text(text: str) -> dict[str, str]:
    """A settings field's ``metadata``: the help its command-line option shows (``cli.options`` reads it)."""
    return {"help": text}


def unordered(value: object) -> str | None:
    """How to name ``value`` ("a dict {...}") if it is a mapping or a set: iterable, but not in an order
    the user chose (a dict gives its keys), so not a sequence of values; else None."""
    if isinstance(value, (Mapping, Set)):
        kind = type(value).__name__
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} {value!r}"
    return None


def proportions(weights: Sequence[float]) -> list[float]:
    """Non-negative, finite ``weights`` (at least one positive) scaled to sum to 1.

    Divided by the largest first, so that weights near the float limit (1e308) cannot make the sum
    infinite and every share zero.
    """
    largest = float(max(weights))
    scaled = [float(weight) / largest for weight in weights]
    total = sum(scaled)
    return [weight / total for weight in scaled]


def plain_numbers(config: object) -> None:
    """Rewrite numpy scalars in a frozen dataclass's fields as Python numbers (np.int64(512) → 512),
    so that settings computed with numpy pass the checks and serialise to JSON like typed ones."""
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        if isinstance(value, bool) or type(value) in (int, float):
            continue
        if isinstance(value, numbers.Integral):
            object.__setattr__(config, item.name, int(value))
        elif isinstance(value, numbers.Real):  # np.float64 too: a float subclass that reprs as np.float64(…)
            object.__setattr__(config, item.name, float(value))


def at_defaults(config, names: Iterable[str]):
    """``config`` (a frozen dataclass) with the fields ``names`` at their defaults."""
    names = set(names)
    defaults = {f.name: f.default_factory() if f.default is dataclasses.MISSING else f.default
                for f in dataclasses.fields(config) if f.name in names}
    return dataclasses.replace(config, **defaults) if defaults else config


def inert_at_defaults(config):
    """``config`` (a frozen dataclass with ``inert_settings()``) with those settings at their defaults,
    so that two configs that stylise alike compare equal."""
    return at_defaults(config, config.inert_settings())
