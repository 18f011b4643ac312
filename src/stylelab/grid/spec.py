"""Read a grid's TOML file into contents × styles × settings, and key every cell.

The file::

    title = "Optimisers on two photos"          # optional, shown in the report
    contents = ["photos/*.jpg", "bundled:photos/chelsea.jpg"]
    styles = ["bundled:styles/udnie.jpg"]

    [settings]            # shared by every setting; a list of values is an axis
    method = "gatys"      # gatys | fast
    size = 256
    optimizer = ["lbfgs", "adam"]

    [[variants]]          # optional named bundles, each crossed with the axes
    name = "colour kept"
    preserve_color = "luminance"

Paths are relative to the TOML file's folder; ``bundled:photos/chelsea.jpg``
names an image shipped with Style Lab; ``*`` patterns match sorted files. A
setting whose value is itself a list (``style_layers``) takes a list as one
value and a list of lists as an axis. Each cell's key is the SHA-256 of its
content bytes, style bytes and settings (checkpoint and init files by their
bytes too), so renaming or moving a file recomputes nothing.

tomllib reports no positions, so errors find the line by scanning the text
for the key: every :class:`ConfigError` names the key and its line.
"""

from __future__ import annotations

import dataclasses
import difflib
import glob
import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

from stylelab.bundled import IMAGES, bundled_names
from stylelab.errors import ConfigError, InputError, ModelError
from stylelab.gatys.config import INIT_KINDS
from stylelab.grid.methods import METHODS, Method, all_methods, get_method
from stylelab.imageio import DEFAULT_LIMITS
from stylelab.validate import at_defaults

BUNDLED_PREFIX = "bundled:"
TOP_LEVEL_KEYS = ("title", "contents", "styles", "settings", "variants")
# contents × styles × settings; counted from the lists' lengths before anything is expanded or read (a
# million cells took minutes of silence to expand, and months to compute)
MAX_CELLS = 100_000
CELL_SCHEMA = "stylelab-grid-cell-1"
# max_pixels: every picture is checked against it before any work; preview_every: a grid shows no previews
NOT_CHANGING_THE_PICTURE = ("max_pixels", "preview_every")
_HEADER = re.compile(r"^\[\s*([^\[\]]+?)\s*\](\s*#.*)?$")
_ARRAY_HEADER = re.compile(r"^\[\[\s*([^\[\]]+?)\s*\]\](\s*#.*)?$")
_KEY = re.compile(r"^(?:\"([^\"]+)\"|'([^']+)'|([A-Za-z0-9_.-]+))\s*=")


@dataclass(frozen=True)
class InputImage:
    """A content or style image of the grid.

    Attributes:
        label: short name for sheets and tables (the file name's stem, made unique).
        path: where it was read.
        digest: SHA-256 of the file's bytes.
    """

    label: str
    path: Path
    digest: str


@dataclass(frozen=True)
class Setting:
    """One combination of settings: a method and its validated config.

    Attributes:
        label: what varies, e.g. ``"colour kept, optimizer=adam"`` (``"default"`` if nothing does).
        method: ``gatys`` or ``fast``.
        config: the method's config (GatysConfig with layers resolved, or FastConfig).
        values: the settings given in the TOML for this combination (for the report).
        digest: SHA-256 of the method and the full config (files by their bytes).
        origins: where each given setting comes from (``settings.size``, ``variants[1].size``), for
            errors found once the combinations are made.
    """

    label: str
    method: str
    config: Any
    values: dict[str, Any]
    digest: str
    origins: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Cell:
    """One content × style × setting, keyed by what determines its result."""

    key: str
    content: InputImage
    style: InputImage
    setting: Setting


@dataclass(frozen=True)
class Grid:
    """A parsed grid file; ``notes`` say what was merged (a picture listed twice) for the person to see."""

    source: Path
    title: str
    contents: tuple[InputImage, ...]
    styles: tuple[InputImage, ...]
    settings: tuple[Setting, ...]
    notes: tuple[str, ...] = ()

    def cells(self) -> list[Cell]:
        """Every combination, setting by setting, then photo by photo, then painting by painting."""
        return [
            Cell(cell_key(content, style, setting), content, style, setting)
            for setting in self.settings
            for content in self.contents
            for style in self.styles
        ]


def cell_key(content: InputImage, style: InputImage, setting: Setting) -> str:
    return hashlib.sha256(
        f"{CELL_SCHEMA}|{content.digest}|{style.digest}|{setting.digest}".encode()
    ).hexdigest()


class TomlLines:
    """Line numbers of keys and tables in TOML text, found by scanning it (tomllib gives none).

    Keys are addressed as ``"contents"``, ``"settings.size"``, ``"variants[1].name"``.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.keys: dict[str, int] = {}
        self.tables: dict[str, int] = {}
        table = ""
        counts: dict[str, int] = {}
        for number, raw in enumerate(self.lines, 1):
            line = raw.strip()
            if match := _ARRAY_HEADER.match(line):
                name = match[1]
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
                self.tables[table] = number
            elif match := _HEADER.match(line):
                table = match[1]
                self.tables[table] = number
            elif match := _KEY.match(line):
                key = match[1] or match[2] or match[3]
                self.keys.setdefault(f"{table}.{key}" if table else key, number)

    def line(self, path: str) -> int | None:
        """Line of the key (or table) ``path``, else of its table, else None."""
        if path in self.keys:
            return self.keys[path]
        if path in self.tables:
            return self.tables[path]
        parent = path.rpartition(".")[0]
        return self.line(parent) if parent else None

    def number_line(self, path: str, value: int) -> int | None:
        """Line of ``path``'s value holding the whole number ``value`` (``1_000`` too; an item of a
        multi-line array), else the key's line."""
        start = self.line(path)
        if start is None:
            return None
        later = [number for number in (*self.keys.values(), *self.tables.values()) if number > start]
        for number in range(start, min(later, default=len(self.lines) + 1)):
            tokens = re.findall(r"(?<![\w.])\d[\d_]*(?![\w.])", self.lines[number - 1].partition("#")[0])
            if str(value) in (token.replace("_", "") for token in tokens):
                return number
        return start

    def value_line(self, path: str, text: str) -> int | None:
        """Line at or after ``path``'s key where the string ``text`` appears quoted (an item of an array;
        not inside another item: ``"cat.jpg"`` is not in ``"big_cat.jpg"``)."""
        start = self.line(path)
        if start is None:
            return None
        quoted = (f'"{text}"', f"'{text}'")
        for number in range(start, len(self.lines) + 1):
            if any(item in self.lines[number - 1] for item in quoted):
                return number
        return start


@dataclass
class _Reader:
    """Parsing state: the file, its lines, what was worked out once (file digests, backbones' smallest
    sides, checks passed), and notes for the person."""

    source: Path
    lines: TomlLines
    digests: dict[Path, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    min_sides: dict[tuple[str, tuple[str, ...]], int] = field(default_factory=dict)
    passed: set[tuple] = field(default_factory=set)  # checks that passed, see once()

    def error(self, key: str, message: str, line: int | None = None) -> ConfigError:
        line = line or self.lines.line(key)
        where = f"{self.source.name} line {line}" if line else self.source.name
        return ConfigError(f"{where}: {key}: {message}")

    def digest(self, path: Path) -> str:
        if path not in self.digests:
            self.digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self.digests[path]

    def once(self, check: tuple, run: Callable[[], None]) -> None:
        """``run()`` the first time the check named ``check`` comes up (it raises if it fails)."""
        if check not in self.passed:
            run()
            self.passed.add(check)

    def min_side(self, config: Any) -> int:
        """The smallest picture side ``config``'s backbone and layers take (worked out once per pair)."""
        from stylelab.backbones import min_side

        layers = tuple(config.content_layers) + tuple(config.style_layers)
        if (config.backbone, layers) not in self.min_sides:
            self.min_sides[config.backbone, layers] = min_side(config.backbone, layers)
        return self.min_sides[config.backbone, layers]


def load_grid(path: str | Path) -> Grid:
    """Read and validate a grid file: every image is opened, every setting is checked.

    Raises:
        ConfigError: naming the key and its line for an unknown key, a missing or
            unreadable file, or a bad value; or for TOML syntax (with tomllib's position).
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such grid file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the grid file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source.name}: not valid TOML: {exc}") from None
    reader = _Reader(source, TomlLines(text))
    _check_top_level(reader, data)
    _check_cell_count(reader, data)
    settings, combinations = _settings(reader, data)
    # pictures are decoded under the most generous limit; each combination's own is checked after (also
    # of those that run as another: max_pixels is not part of a setting's digest)
    limit = max(DEFAULT_LIMITS.max_pixels, *(getattr(s.config, "max_pixels", 0) for s in combinations))
    contents = _images(reader, data, "contents", limit)
    styles = _images(reader, data, "styles", limit)
    sizes = _picture_sizes(contents + styles)
    _check_pixel_limits(reader, combinations, sizes)
    photo_sizes = {image.label: sizes[image.label] for image in contents}
    _check_sizes(reader, settings, photo_sizes)
    _check_fast_sizes(reader, combinations, photo_sizes)
    title = data.get("title", source.stem)
    if not isinstance(title, str):
        raise reader.error("title", f"expected a string, got {title!r}")
    return Grid(source, title, contents, styles, settings, tuple(reader.notes))


def _picture_sizes(images: Sequence[InputImage]) -> dict[str, tuple[int, int]]:
    """(width, height) of each picture by label, upright (the pictures were decoded by :func:`_images`)."""
    from stylelab.imageio import upright_size

    return {image.label: upright_size(image.path) for image in images}


def _check_pixel_limits(reader: _Reader, settings: Sequence[Setting], sizes: Mapping[str, tuple[int, int]]
                        ) -> None:
    """A setting's ``max_pixels`` must admit every picture, or all its cells would fail one by one."""
    for setting in settings:
        limit = getattr(setting.config, "max_pixels", None)
        for label, (width, height) in sizes.items():
            if limit is not None and width * height > limit:
                key = setting.origins.get("max_pixels", "max_pixels")
                raise reader.error(key, f"{limit:,} px is less than {label} ({width}×{height} = "
                                   f"{width * height:,} px), so setting {setting.label!r} could not run; raise it",
                                   reader.lines.number_line(key, limit))


def _check_sizes(reader: _Reader, settings: Sequence[Setting], shapes: Mapping[str, tuple[int, int]]) -> None:
    """A Gatys setting's ``size`` must leave every photo big enough for its backbone's deepest layer, or
    all its cells would fail one by one. The rule is the engine's own (:func:`usable_sizes`)."""
    from stylelab.gatys.engine import usable_sizes

    for setting in settings:
        if setting.method != "gatys":
            continue
        smallest = reader.min_side(setting.config)
        for label, (width, height) in shapes.items():
            try:
                usable_sizes(setting.config, smallest, width, height)
            except ConfigError as exc:
                key = setting.origins.get("size", "settings.size")
                raise reader.error(key, f"photo {label} ({width}×{height}): {exc}",
                                   reader.lines.number_line(key, setting.config.size)) from None


def _check_fast_sizes(reader: _Reader, settings: Sequence[Setting], shapes: Mapping[str, tuple[int, int]]
                      ) -> None:
    """A fast setting's output and working sizes must fit its ``max_pixels`` for every photo (the engine's
    own rule, :func:`planned_sizes`), also for combinations that run as another setting: ``max_pixels``
    is not part of a setting's digest, so only the first of several values would run."""
    from stylelab.fast import planned_sizes

    for setting in settings:
        if setting.method != "fast":
            continue
        for label, (width, height) in shapes.items():
            try:
                planned_sizes((width, height), setting.config)
            except ConfigError as exc:
                name = str(exc).partition(":")[0]  # the engine names the setting first: size or stroke_scale
                if "over the limit" in str(exc) and "max_pixels" in setting.origins:  # not "under 16 px"
                    name = "max_pixels"
                key = setting.origins.get(name, f"settings.{name}")
                line = reader.lines.number_line(key, setting.config.max_pixels) if name == "max_pixels" else None
                raise reader.error(key, f"photo {label} ({width}×{height}): {exc}", line) from None


def _check_top_level(reader: _Reader, data: Mapping[str, Any]) -> None:
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            hint = _hint(key, TOP_LEVEL_KEYS)
            raise reader.error(key, f"unknown key; a grid file has {', '.join(TOP_LEVEL_KEYS)}.{hint}")
    for key in ("contents", "styles"):
        if key not in data:
            raise reader.error(key, f'missing: list the {key} images, e.g. {key} = ["photos/*.jpg"]')
    if "settings" in data and not isinstance(data["settings"], dict):
        raise reader.error("settings", "expected a table: [settings]")
    variants = data.get("variants", [])
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise reader.error("variants", "expected tables: [[variants]]")


def _check_cell_count(reader: _Reader, data: Mapping[str, Any]) -> None:
    """Refuse a grid of more than :data:`MAX_CELLS` cells, counted from the lengths of its lists (files
    matched, axes' values) before any combination is made or any picture read. Lists that are not what
    they should be count as one: the checks that follow say what is wrong with them."""
    pictures = {key: _file_count(reader, data[key], key) for key in ("contents", "styles")}
    per_variant = _combination_counts(data)
    settings = sum(count for _, count, _ in per_variant)
    cells = pictures["contents"] * pictures["styles"] * settings
    if cells <= MAX_CELLS:
        return
    if len(per_variant) == 1:
        how = f": {per_variant[0][2]}" if per_variant[0][2] else ""
    else:
        parts = [f"{count:,} in {'variant ' if i == 0 else ''}{name!r}" + (f" ({axes})" if axes else "")
                 for i, (name, count, axes) in enumerate(per_variant)]
        how = ": " + ", ".join(parts)
    contents, styles = pictures["contents"], pictures["styles"]
    raise ConfigError(
        f"{reader.source.name}: {cells:,} cells ({contents:,} content{'s' * (contents != 1)} × {styles:,} "
        f"style{'s' * (styles != 1)} × {settings:,} setting{'s' * (settings != 1)}{how}); a grid has at most "
        f"{MAX_CELLS:,}: split it into several grid files, or give fewer values")


def _file_count(reader: _Reader, entries: Any, key: str) -> int:
    """How many files the entries name (a pattern: the files it matches; a picture given twice counts twice)."""
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        return 1
    return sum(len(_expand(reader, key, entry, reader.lines.value_line(key, entry))) for entry in entries)


def _combination_counts(data: Mapping[str, Any]) -> list[tuple[str | None, int, str]]:
    """(variant name, combinations, ``"3 seed × 2 tv_weight"``) per variant, as :func:`_combinations`
    will make them."""
    all_types: dict[str, str] = {}
    for method in all_methods().values():
        all_types.update(method.field_types())
    shared = data.get("settings", {})
    counts = []
    for index, variant in enumerate(data.get("variants") or [None]):
        values = {**shared, **(variant or {})}
        name = values.pop("name", f"variant {index + 1}") if variant is not None else None
        lengths = {key: len(value) for key, value in values.items()
                   if _is_axis(key, value, all_types) and not (value and _one_value(value, all_types.get(key, "")))}
        counts.append((name, prod(lengths.values()), " × ".join(f"{n:,} {key}" for key, n in lengths.items())))
    return counts


def _hint(value: str, valid) -> str:
    close = difflib.get_close_matches(value, list(valid), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


# --- images -----------------------------------------------------------------------------------


def _images(reader: _Reader, data: Mapping[str, Any], key: str, max_pixels: int) -> tuple[InputImage, ...]:
    entries = data[key]
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
        raise reader.error(key, "expected a non-empty list of image paths")
    images: list[InputImage] = []
    first: dict[str, tuple[str, Path]] = {}  # digest -> how the file was first named, and its path
    for entry in entries:
        line = reader.lines.value_line(key, entry)
        for path in _expand(reader, key, entry, line):
            image = _input_image(reader, key, path, line, max_pixels)
            name = _entry_name(entry, path)
            if image.digest in first:  # the same picture twice would only duplicate cells
                earlier, earlier_path = first[image.digest]
                reader.notes.append(_merged_note(key, line, name, earlier, same_file=earlier_path == image.path))
                continue
            first[image.digest] = name, image.path
            images.append(image)
    return tuple(_unique_labels(images))


def _entry_name(entry: str, path: Path) -> str:
    """The entry as written, with the file it matched if it is a pattern: ``'*.png' (cat.png)``."""
    return f"{entry!r} ({path.name})" if glob.has_magic(entry) else repr(entry)


def _merged_note(key: str, line: int | None, name: str, earlier: str, same_file: bool) -> str:
    where = f" line {line}" if line else ""
    if name == earlier:
        return f"{key}{where}: {name} is listed twice; it is used once"
    if same_file:
        return f"{key}{where}: {name} is {earlier} again; it is used once"
    return f"{key}{where}: {name} has the same bytes as {earlier}; merged into one picture"


def _expand(reader: _Reader, key: str, entry: str, line: int | None) -> list[Path]:
    path = resolve_path(entry, reader.source.parent)
    if glob.has_magic(str(path)):
        matches = sorted(Path(p) for p in glob.glob(str(path)) if Path(p).is_file())
        if not matches:
            raise reader.error(key, f"{entry!r} matches no file", line)
        return matches
    if entry.startswith(BUNDLED_PREFIX) and not path.is_file():
        raise reader.error(key, _unknown_bundled(entry.removeprefix(BUNDLED_PREFIX)), line)
    return [path]


def _unknown_bundled(name: str) -> str:
    """``no bundled picture 'chelsea.jpg'; did you mean 'bundled:photos/chelsea.jpg'?`` and the list."""
    names = bundled_names()
    file_name = name.rpartition("/")[2]
    same_file = [known for known in names if known.rpartition("/")[2] in (file_name, f"{file_name}.jpg")]
    close = same_file or difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean {BUNDLED_PREFIX + close[0]!r}?" if close else ""
    return f"no bundled picture {name!r}{hint} (bundled: {', '.join(names)})"


def resolve_path(entry: str, folder: Path) -> Path:
    """``bundled:photos/x.jpg`` → the bundled image; a relative path → under ``folder``."""
    if entry.startswith(BUNDLED_PREFIX):
        return IMAGES / entry[len(BUNDLED_PREFIX) :]
    path = Path(entry).expanduser()
    return path if path.is_absolute() else folder / path


def _input_image(reader: _Reader, key: str, path: Path, line: int | None, max_pixels: int) -> InputImage:
    from stylelab.imageio import ImageLimits, load_image

    try:
        load_image(path, ImageLimits(max_pixels=max_pixels), name=str(path))
    except InputError as exc:
        raise reader.error(key, str(exc), line) from None
    # a name the file system could not decode (b"\xff") is shown with escapes: it is only a label
    label = path.stem.encode("utf-8", "backslashreplace").decode("utf-8")
    return InputImage(label, path.resolve(), reader.digest(path))


def _unique_labels(images: list[InputImage]) -> Iterator[InputImage]:
    """Each label once: a repeated stem gets ``-2``, ``-3``, … skipping any label already in use (a file
    may be called ``cat-2`` itself)."""
    used = {image.label for image in images}
    given: set[str] = set()
    for image in images:
        label, number = image.label, 1
        while label in given or (number > 1 and label in used):
            number += 1
            label = f"{image.label}-{number}"
        given.add(label)
        yield dataclasses.replace(image, label=label)


# --- settings ---------------------------------------------------------------------------------


def _settings(reader: _Reader, data: Mapping[str, Any]) -> tuple[tuple[Setting, ...], list[Setting]]:
    """The distinct settings, and every combination made (those that run as an earlier one included)."""
    methods = all_methods()
    shared = dict(data.get("settings", {}))
    origin = {key: f"settings.{key}" for key in shared}
    _check_keys(reader, shared, origin, methods)
    variants = data.get("variants") or [None]
    settings: dict[str, Setting] = {}
    made: list[Setting] = []
    first_variant: dict[str, int] = {}  # setting digest -> the variant that made it first
    usage = _Usage()
    names: set[str] = set()
    for index, variant in enumerate(variants):
        values, where, name, own = dict(shared), dict(origin), None, set()
        if variant is not None:
            variant = dict(variant)
            name = variant.pop("name", f"variant {index + 1}")
            if not isinstance(name, str):
                raise reader.error(f"variants[{index}].name", f"expected a string, got {name!r}")
            if name in names:  # the report and contact sheets tell variants apart by name
                raise reader.error(f"variants[{index}].name", f"{name!r} names an earlier variant too")
            names.add(name)
            variant_origin = {key: f"variants[{index}].{key}" for key in variant}
            _check_keys(reader, variant, variant_origin, methods, also=("name",))  # a misspelt name gets its hint
            values.update(variant)
            where.update(variant_origin)
            own = set(variant) - {"method"}
        combinations = list(_combinations(reader, values, where, name))  # every value checked first
        made += combinations
        for setting in combinations:
            usage.record(setting, where)
            earlier = settings.setdefault(setting.digest, setting)  # identical combinations run once
            first_variant.setdefault(setting.digest, index)
            # another variant's twin would vanish from the report, unless this one only differs by
            # settings its method has not (a Gatys-only key on a method axis)
            if first_variant[setting.digest] != index and own <= setting.values.keys():
                raise reader.error(f"variants[{index}]", f"{setting.label!r} has the same settings as "
                                   f"{earlier.label!r}: one of them would vanish from the report")
    usage.check(reader)
    return tuple(settings.values()), made


class _Usage:
    """Which methods each given setting reached, to refuse one that no setting's method has."""

    def __init__(self) -> None:
        self.methods: dict[str, set[str]] = {}  # where a key was given -> methods of its combinations
        self.used: set[str] = set()

    def record(self, setting: Setting, where: Mapping[str, str]) -> None:
        for key, origin in where.items():
            if key != "method":
                self.methods.setdefault(origin, set()).add(setting.method)
                if key in setting.values:
                    self.used.add(origin)

    def check(self, reader: _Reader) -> None:
        for origin, methods in self.methods.items():
            if origin not in self.used:
                raise reader.error(origin, f"not a setting of method {' or '.join(sorted(methods))}")


def _check_keys(
    reader: _Reader, values: Mapping[str, Any], origin: Mapping[str, str], methods: Mapping[str, Method],
    also: tuple[str, ...] = (),
) -> None:
    """Refuse a key that is no setting, with the nearest of the settings and ``also`` (a variant's ``name``)."""
    known = {"method"} | {name for method in methods.values() for name in method.field_types()}
    for key in values:
        if key not in known:
            hint = _hint(key, sorted(known | set(also)))
            if not hint and "fast" not in methods:
                hint = " (settings of the fast method need stylelab.fast, which this build lacks)"
            raise reader.error(origin[key], f"unknown setting.{hint}")


def _is_axis(key: str, value: Any, field_types: Mapping[str, str]) -> bool:
    if not isinstance(value, list):
        return False
    if field_types.get(key, "").startswith("tuple["):
        return bool(value) and all(isinstance(item, list) for item in value)
    return True


def _combinations(
    reader: _Reader, values: dict[str, Any], where: dict[str, str], name: str | None
) -> Iterator[Setting]:
    all_types: dict[str, str] = {}
    for method in all_methods().values():
        all_types.update(method.field_types())
    axes = [key for key, value in values.items() if _is_axis(key, value, all_types)]
    for key in axes:
        if not values[key]:
            raise reader.error(where[key], "an axis needs at least one value")
    for key in [key for key in axes if _one_value(values[key], all_types.get(key, ""))]:
        axes.remove(key)  # [10, 10.0] does not vary, so labels do not name it
        values[key] = values[key][0]
    for combination in itertools.product(*(values[key] for key in axes)):
        chosen = {**values, **dict(zip(axes, combination, strict=True))}
        yield _setting(reader, chosen, where, axes, name)


def _setting(
    reader: _Reader, chosen: dict[str, Any], where: dict[str, str], axes: list[str], name: str | None
) -> Setting:
    method_name = chosen.pop("method", "gatys")
    try:
        method = get_method(method_name)
    except ConfigError as exc:
        raise reader.error(
            where.get("method", "settings.method"), _without_field(str(exc), "method")
        ) from None
    types = method.field_types()
    applicable = {key: _to_field_value(value, types[key]) for key, value in chosen.items() if key in types}
    for key, value in applicable.items():
        if isinstance(value, str) and types[key].startswith("tuple[str"):  # the config's hint is Python: ('x',)
            raise reader.error(where[key], f'expected a list of names, got the string {value!r}; '
                                           f'write {key} = ["{value}"]')
    for key in ("backbone", "init"):
        if isinstance(applicable.get(key), str):
            applicable[key] = _resolve_file_setting(reader, key, applicable[key], where)
    try:
        config = method.make_config(applicable)
    except ConfigError as exc:
        key, _, detail = str(exc).partition(": ")
        target = where.get(key) if key in applicable else None
        raise reader.error(target or _first_location(where), detail if target else str(exc)) from None
    if method_name == "gatys":
        _check_gatys(reader, config, where)
    hidden = inert_settings(config) | set(NOT_CHANGING_THE_PICTURE)  # learning_rate with L-BFGS: not what varies
    shown = [
        f"{key}={_label_value(key, chosen, applicable, method_name)}"
        for key in axes
        if key == "method" or (key in types and key not in hidden)
    ]
    label = ", ".join(([name] if name else []) + shown) or method_name
    return Setting(
        label,
        method_name,
        config,
        {"method": method_name, **applicable},
        _setting_digest(reader, method_name, config),
        dict(where),
    )


def _picture_settings(config: Any) -> Any:
    """``config`` with the settings that cannot change its picture at their defaults, so that a finished
    cell is not computed again for them (and cells keyed before this rule keep their keys)."""
    return at_defaults(config, NOT_CHANGING_THE_PICTURE)


def _first_location(where: Mapping[str, str]) -> str:
    return next(iter(where.values()), "settings")


def _label_value(key: str, chosen: Mapping[str, Any], applicable: Mapping[str, Any], method: str) -> str:
    """A value as the method takes it (10 for a float setting reads 10.0, as in the settings given); a
    file (``vgg16:models/vgg16.pth``, an init image) as written, not as this machine's absolute path."""
    if key == "method":
        return method
    if key in ("backbone", "init"):
        return _show(chosen[key])
    return _show(applicable.get(key, chosen[key]))


def _without_field(message: str, field_name: str) -> str:
    return message.removeprefix(f"{field_name}: ")


def inert_settings(config: Any) -> set[str]:
    """The settings ``config``'s others make irrelevant (a method's config may not say: then none)."""
    return set(getattr(config, "inert_settings", list)())


def _one_value(values: list[Any], annotation: str) -> bool:
    """An axis whose values are all one setting (``[10, 10.0]`` for a float)."""
    converted = [_to_field_value(value, annotation) for value in values]
    return all(value == converted[0] and type(value) is type(converted[0]) for value in converted)


def _to_field_value(value: Any, annotation: str) -> Any:
    if isinstance(value, list) and annotation.startswith("tuple["):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool) and annotation.split("|")[0] == "float":
        return float(value)  # 10 and 10.0 are one setting
    return value


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "+".join(str(v) for v in value)
    return str(value)


def _resolve_file_setting(reader: _Reader, key: str, value: str, where: Mapping[str, str]) -> str:
    """Make the checkpoint of ``backbone = "vgg16:models/x.pth"`` and an ``init`` image path absolute."""
    folder = reader.source.parent
    if key == "backbone":
        name, sep, checkpoint = value.partition(":")
        if not checkpoint:
            return value
        path = resolve_path(checkpoint, folder)
        if not path.is_file():
            raise reader.error(
                where[key], f"{name} checkpoint {checkpoint}: no such file ({path.absolute()})"
            )
        return f"{name}{sep}{path.resolve()}"
    if value in INIT_KINDS:
        return value
    path = resolve_path(value, folder)
    if not path.is_file():
        raise reader.error(where[key], f"init image {value}: no such file ({path.absolute()})")
    from stylelab.imageio import load_image

    try:  # decoded now, like the photos and paintings, so a broken file stops the grid before any work
        load_image(path, name=f"init image {value}")
    except InputError as exc:
        raise reader.error(where[key], str(exc)) from None
    return str(path.resolve())


def _check_gatys(reader: _Reader, config: Any, where: Mapping[str, str]) -> None:
    """One painting per cell; layers exist in the backbone; the checkpoint has the right keys and shapes."""
    from stylelab.backbones import check_checkpoint, check_layers

    if config.style_weights is not None and len(config.style_weights) != 1:
        raise reader.error(where.get("style_weights", _first_location(where)),
                           f"{len(config.style_weights)} weights, but each cell of a grid has one painting "
                           "(blends are for stylelab stylize); remove style_weights")

    # many settings share a backbone: its layers and checkpoint file are checked once per file read
    for option in ("content_layers", "style_layers"):
        try:
            reader.once(("layers", config.backbone, option, getattr(config, option)),
                        lambda option=option: check_layers(config.backbone, option, getattr(config, option)))
        except ConfigError as exc:
            raise reader.error(
                where.get(option) or where.get("backbone") or _first_location(where),
                _without_field(str(exc), option),
            ) from None
    try:
        reader.once(("checkpoint", config.backbone), lambda: check_checkpoint(config.backbone))
    except ModelError as exc:
        raise reader.error(where.get("backbone", "settings.backbone"), str(exc)) from None


def _setting_digest(reader: _Reader, method: str, config: Any) -> str:
    # settings without effect with the others (learning_rate for L-BFGS) do not make another setting
    values = dataclasses.asdict(_picture_settings(config.effective() if hasattr(config, "effective") else config))
    backbone = values.get("backbone")
    if isinstance(backbone, str) and ":" in backbone:
        name, _, checkpoint = backbone.partition(":")
        values["backbone"] = f"{name}:sha256:{reader.digest(Path(checkpoint))}"
    init = values.get("init")
    if isinstance(init, str) and init not in INIT_KINDS:
        values["init"] = f"sha256:{reader.digest(Path(init))}"
    canonical = json.dumps({"method": method, "config": values}, sort_keys=True, default=list)
    return hashlib.sha256(canonical.encode()).hexdigest()


__all__ = [
    "BUNDLED_PREFIX",
    "Cell",
    "Grid",
    "InputImage",
    "METHODS",
    "Setting",
    "TomlLines",
    "cell_key",
    "load_grid",
    "resolve_path",
]
