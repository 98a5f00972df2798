"""Every option of a run, defined once: name, default, what it accepts, how it is checked,
and the flag that sets it.

The command line's flags and pytest's (``--slideproof-*``) are made from this table
(``add_flags``) and read back by one function (``settings_from_flags``); the MkDocs plugin's
options are its names; ``[tool.slideproof]`` in ``pyproject.toml`` (found by walking up from
a folder, as pytest and ruff find theirs) uses them as they are. Later layers win: the
command line > the plugin's options in mkdocs.yml > ``[tool.slideproof]`` > the defaults.
The two tables, ``models`` and ``prelude``, are merged key by key (an alias or a language
given on the command line replaces that one alone). ``Options`` is what a run is made with.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from . import sandbox
from .cache import Cache, load_calls, models_loaded
from .deck import DECK_SIZE_LIMIT, MAX_TIMEOUT
from .errors import ConfigError, Errors
from .judge import Policy
from .protocol import Limits, Plan

PYPROJECT = "pyproject.toml"
GiB = 1 << 30
# Copies of a model the worker loads for a deck that loads it more than once: a second
# ``spacy.load`` in the deck is half a second of its own; each copy is the model's memory
# again in the process that holds them.
HANDED_COPIES = 2


@dataclass
class Options:
    """What a run may do, resolved (``Settings.options``): the pool, the worker and the
    plan read these."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    timeout: float = 60.0
    output_limit: int = 1_000_000  # characters per block
    memory_limit: int = 4 * GiB  # address space of a deck's process
    cpu_limit: int = 600  # CPU seconds of a deck's process
    file_size_limit: int = 256 * (1 << 20)
    process_limit: int = 256
    open_files_limit: int = 1024
    models: dict[str, str] = field(default_factory=dict)
    preload: list[str] | None = None  # None: every alias target
    # language ('*': every language) → (name shown in tracebacks, code)
    prelude: dict[str, tuple[str, str]] = field(default_factory=dict)
    sandbox: str = "auto"
    env_allow: tuple[str, ...] = ()
    data: tuple[str, ...] = ()  # course files examples may open, besides the decks' folders
    hidden: tuple[str, ...] = ()  # never readable by a deck, even inside the course: the cache
    tmp_limit: int = 512 * (1 << 20)  # bytes in a deck's temp folder (a tmpfs)
    deadline_grace: float = 15.0  # seconds a deck gets past the sum of its blocks' timeouts
    deadline_cap: float = 4 * 3600.0  # the longest any one deck may run, whatever it says

    def prelude_for(self, lang: str | None) -> tuple[str, str] | None:
        """The deck's language's prelude, else the one for every language."""
        return self.prelude.get(lang or "") or self.prelude.get("*")

    def limits(self) -> Limits:
        return {"output": self.output_limit, "memory": self.memory_limit,
                "cpu": self.cpu_limit, "file_size": self.file_size_limit,
                "processes": self.process_limit, "open_files": self.open_files_limit}

    def preloads(self, plan: Plan) -> list[str]:
        """The models the worker loads once and hands to this deck: by default the alias
        targets it loads (a model no deck uses would only cost time and memory), a target
        once for each copy: one per ``spacy.load`` of it written in the deck, up to
        ``HANDED_COPIES`` (each load returns a pipeline of its own)."""
        aliases = plan["models"]
        copies = Counter(aliases[name] for name in load_calls(plan) if name in aliases)
        targets = {aliases[name] for name in models_loaded(plan) if name in aliases}
        return sorted(target for target in targets
                      if self.preload is None or target in self.preload
                      for _ in range(min(max(1, copies[target]), HANDED_COPIES)))


@dataclass(frozen=True)
class Spec:
    kind: str  # bool, count (an int > 0), seconds, str, choice, path, paths, models, prelude
    default: object
    help: str
    choices: tuple[str, ...] = ()
    # The flag that sets it (without its prefix): "" for the name with dashes, None for no
    # flag (mkdocs.yml and [tool.slideproof] only); ``negated``: the flag turns it off.
    flag: str | None = ""
    negated: bool = False
    metavar: str | None = None
    short: str | None = None  # the command line's one-letter flag
    flag_help: str = ""  # what a negated flag does, where ``help`` says what the option does


OPTION_TABLE: dict[str, Spec] = {
    "execute": Spec("bool", True, "run the examples (false: publish the decks as written)",
                    flag=None),
    "jobs": Spec("count", None, "decks run in parallel (default: the number of cores)",
                 metavar="N", short="-j"),
    "timeout": Spec("seconds", 60.0, "seconds per block", metavar="SECONDS"),
    "models": Spec("models", {}, "model aliases: spacy.load(NAME) loads TARGET, an "
                   "installed package or a path (repeatable)", flag="model",
                   metavar="NAME=TARGET"),
    "prelude": Spec("prelude", {}, "code or a .py file run before every deck, or a table "
                    "from language ('*': every language) to code or file; as a flag, a "
                    "file run before every deck, or before the decks of LANG (repeatable)",
                    metavar="[LANG=]FILE"),
    "sandbox": Spec("choice", "auto", "how examples are isolated", ("auto", *sandbox.KINDS)),
    "cache": Spec("bool", True, "read and write the results cache", flag="no-cache",
                  negated=True, flag_help="neither read nor write the results cache"),
    "cache_dir": Spec("str", ".slideproof-cache", "the results cache folder", metavar="DIR"),
    "output_limit": Spec("count", 1_000_000, "characters of output kept per block",
                         metavar="CHARS"),
    "memory_limit": Spec("count", 4096, "MiB of address space per deck process",
                         metavar="MIB"),
    "cpu_limit": Spec("count", 600, "CPU seconds per deck process", metavar="SECONDS"),
    "fail_on_output_differs": Spec("bool", True, "an output that differs from its ```out "
                                   "block fails", flag="allow-output-differs", negated=True,
                                   flag_help="an output that differs from its ```out block "
                                   "does not fail"),
    "fail_on_deprecated": Spec("bool", False, "a block that raises a deprecation warning "
                               "fails"),
    "fail_on_unverified": Spec("bool", False, "a block that needs a missing model or "
                               "package fails (instead of being reported as not run here)"),
    "max_deck_size": Spec("count", DECK_SIZE_LIMIT >> 20, "MiB: a deck file larger than this "
                          "is refused", metavar="MIB"),
    "tmp_limit": Spec("count", 512, "MiB a deck's temp folder may hold (a size-limited tmpfs "
                      "of its own)", metavar="MIB"),
    "data_paths": Spec("paths", [], "files or folders examples may read, besides the decks' "
                       "own folders (read-only, without .git; repeatable)", flag="data",
                       metavar="PATH"),
    "static_dir": Spec("str", "static", "site folder of the decks' images", flag=None),
    "static_files": Spec("path", None, "a folder outside the docs (relative to mkdocs.yml) "
                         "whose files the site publishes in static_dir: the decks' images "
                         "of a course laid out as chapters/ and static/", flag=None),
    "show_all": Spec("bool", None, "show failing blocks with their status (default: under "
                     "'mkdocs serve')", flag=None),
}
# What fails a check: the flags of 'slideproof report merge', which runs no decks.
POLICY_OPTIONS = ("fail_on_output_differs", "fail_on_deprecated", "fail_on_unverified")

EXPECTED = {
    "bool": "true or false",
    "count": "a whole number greater than 0",
    "seconds": f"a number of seconds greater than 0 and at most {MAX_TIMEOUT:g}",
    "str": "a string",
    "paths": "a list of files or folders",
    "path": "a folder",
    "models": "a table of model names to packages or paths",
    "prelude": "code, a .py file, or a table from language ('*': every language) to "
               "code or a .py file",
}


@dataclass
class Layer:
    """Options from one place: ``source`` names it in messages, relative files in it are
    relative to ``base``, and ``text`` (the file) lets a message point at the key's line."""

    values: dict
    source: str
    base: Path
    text: str = ""
    table: str = ""  # the TOML table the keys are in, e.g. 'tool.slideproof'

    flag_prefix: str | None = None  # options given as flags: name the flag, e.g. '--'

    def where(self, key: str, sub: str | None = None) -> str:
        if self.flag_prefix is not None:
            return self.flag_prefix + (flag_name(key) or key.replace("_", "-"))
        line = _key_line(self.text, self.table, key, sub) if self.text else None
        return f"{self.source}:{line}" if line else self.source


def _key_line(text: str, table: str, key: str, sub: str | None) -> int | None:
    """The line where ``key`` (or ``key.sub``) is written: tomllib keeps no positions."""
    lines = text.split("\n")
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    current = ""
    if not table:  # YAML (mkdocs.yml): the plugin's options follow its name
        start = next((i for i, line in enumerate(lines)
                      if re.match(r"^\s*-?\s*slideproof\s*:", line)), None)
        if start is None:
            return None
        found = next((i for i, line in enumerate(lines[start + 1:], start=start + 1)
                      if re.match(rf"^\s*{re.escape(sub or key)}\s*:", line)), None)
        return found + 1 if found is not None else None
    wanted = [(table, key)] if sub is None else [(f"{table}.{key}" if table else key, sub),
                                                 (table, key)]
    for want_table, want_key in wanted:
        for number, line in enumerate(lines, start=1):
            m = header.match(line)
            if m:
                current = m.group(1).replace('"', "").replace(" ", "")
                continue
            if current == want_table and re.match(
                    rf"""^\s*["']?{re.escape(want_key)}["']?\s*=""", line):
                return number
    return None


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# What a value of each kind of option must be (models and prelude: their entries are
# checked one by one below, so that a message can name the entry).
VALID: dict[str, Callable[[Any, Spec], bool]] = {
    "bool": lambda v, spec: isinstance(v, bool),
    "count": lambda v, spec: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "seconds": lambda v, spec: _number(v) and math.isfinite(v) and 0 < v <= MAX_TIMEOUT,
    "str": lambda v, spec: isinstance(v, str) and bool(v),
    "path": lambda v, spec: isinstance(v, str) and bool(v),
    "paths": lambda v, spec: isinstance(v, list) and all(isinstance(p, str) and p for p in v),
    "choice": lambda v, spec: v in spec.choices,
    "models": lambda v, spec: isinstance(v, dict),
    "prelude": lambda v, spec: True,
}


def check(key: str, value: object, layer: Layer) -> object:
    """A value of ``key`` as ``Options`` wants it, or a ConfigError naming key and place."""
    spec = OPTION_TABLE.get(key)
    if spec is None:
        raise ConfigError(Errors.SP200.format(key=key, known=", ".join(OPTION_TABLE)),
                          layer.where(key))

    def wrong(expected: str | None = None, got: object = value,
              sub: str | None = None) -> ConfigError:
        return ConfigError(Errors.SP201.format(key=key if sub is None else f"{key}.{sub}",
                                 expected=expected or EXPECTED.get(spec.kind, spec.kind),
                                 got=got), layer.where(key, sub))

    if not VALID[spec.kind](value, spec):
        raise wrong("one of " + ", ".join(spec.choices) if spec.kind == "choice" else None)
    if spec.kind == "seconds":
        return float(cast(float, value))
    if spec.kind == "path":
        return str((layer.base / cast(str, value)).resolve())
    if spec.kind == "paths":
        return tuple(str((layer.base / p).resolve()) for p in cast(list, value))
    if spec.kind == "models":
        return _models(cast(dict, value), layer, wrong)
    if spec.kind == "prelude":
        return _preludes(value, layer, wrong)
    return value


def _models(value: dict, layer: Layer, wrong: Callable[..., ConfigError]) -> dict[str, str]:
    for name, target in value.items():
        if not isinstance(target, str) or not target:
            raise wrong("a package name or a path", target, sub=str(name))
    return {str(k): _model_target(v, layer.base) for k, v in value.items()}


def _preludes(value: object, layer: Layer,
              wrong: Callable[..., ConfigError]) -> dict[str, tuple[str, str]]:
    table = value if isinstance(value, dict) else {"*": value}
    out = {}
    for lang, code in table.items():
        if not isinstance(code, str):
            raise wrong(got=code, sub=None if table is not value else str(lang))
        out[str(lang)] = _prelude(code, str(lang), layer)
    return out


def _model_target(target: str, base: Path) -> str:
    """A package name stays as it is; a path (one that exists next to the file that names it,
    or one written as a path) is made absolute: decks run in a temporary folder."""
    if "/" in target or target.startswith(".") or (base / target).is_dir():
        return str((base / target).resolve())
    return target


def _prelude(text: str, lang: str, layer: Layer) -> tuple[str, str]:
    """(name for tracebacks, code): a one-line value that ends in ``.py`` or names a file is
    a file (relative to the layer's folder); anything else is code."""
    if "\n" in text or not (text.strip().endswith(".py") or (layer.base / text).is_file()):
        suffix = "" if lang == "*" else f".{lang}"
        return f"{layer.source} (prelude{suffix})", text
    path = layer.base / text.strip()
    try:
        return str(path), path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problem = getattr(err, "strerror", None) or str(err)
        raise ConfigError(Errors.SP204.format(path=path, problem=problem),
                          layer.where("prelude", None if lang == "*" else lang)) from None


# -- pyproject.toml --------------------------------------------------------------------------
def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.slideproof] table, from ``start`` upwards."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            try:
                text = candidate.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if re.search(r"(?m)^\s*\[\s*tool\s*\.\s*slideproof\s*[\].]", text):
                return candidate
    return None


def pyproject_layer(start: Path) -> Layer | None:
    path = find_pyproject(start)
    if path is None:
        return None
    text = path.read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"line (\d+)", str(err))
        raise ConfigError(Errors.SP202.format(path=path, problem=err),
                          f"{path}:{line.group(1)}" if line else str(path)) from None
    values = data.get("tool", {}).get("slideproof", {})
    if not isinstance(values, dict):
        raise ConfigError(Errors.SP203.format(kind=type(values).__name__), str(path))
    return Layer(values, str(path), path.parent, text, "tool.slideproof")


# -- resolving -------------------------------------------------------------------------------
@dataclass
class Settings:
    """The resolved value of every option (and where the non-default ones came from)."""

    values: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    cache_base: Path = field(default_factory=Path)

    def __getitem__(self, key: str):
        return self.values[key]

    def options(self, **overrides) -> Options:
        v = self.values
        fields = {"jobs": v["jobs"] or os.cpu_count() or 1, "timeout": v["timeout"],
                  "models": dict(v["models"]), "prelude": dict(v["prelude"]),
                  "sandbox": v["sandbox"], "output_limit": v["output_limit"],
                  "memory_limit": v["memory_limit"] << 20, "cpu_limit": v["cpu_limit"],
                  "tmp_limit": v["tmp_limit"] << 20, "data": tuple(v["data_paths"])}
        fields.update(overrides)
        return Options(**fields)

    def policy(self) -> Policy:
        v = self.values
        return Policy(fail_on_output_differs=v["fail_on_output_differs"],
                      fail_on_deprecated=v["fail_on_deprecated"],
                      fail_on_unverified=v["fail_on_unverified"])

    def cache(self) -> Cache:
        folder = Path(self.values["cache_dir"])
        base = self.sources.get("cache_dir", self.cache_base)
        return Cache(folder if folder.is_absolute() else base / folder,
                     enabled=self.values["cache"])


def resolve(*layers: Layer | None, base: Path | None = None) -> Settings:
    """Defaults, then each layer in turn (later ones win). ``base``: where a default
    relative cache folder lives (the current folder, or mkdocs.yml's)."""
    settings = Settings(values={k: s.default for k, s in OPTION_TABLE.items()},
                        cache_base=base or Path.cwd())
    for layer in layers:
        if layer is None:
            continue
        for key, value in layer.values.items():
            checked = check(str(key), value, layer)
            if OPTION_TABLE[key].kind in ("models", "prelude"):  # tables: merged key by key
                checked = {**cast(dict, settings.values[key]), **cast(dict, checked)}
            settings.values[key] = checked
            if key == "cache_dir":
                settings.sources[key] = layer.base
    return settings


def load(*layers: Layer | None, start: Path | None = None, base: Path | None = None) -> Settings:
    """``[tool.slideproof]`` (found from ``start``, default the current folder), then
    ``layers`` on top of it."""
    start = start or Path.cwd()
    return resolve(pyproject_layer(start), *layers, base=base or start)


# -- flags: the command line's and pytest's, made from the table -------------------------------
def flag_name(key: str) -> str | None:
    """The flag of option ``key`` without its prefix (None: it has none)."""
    spec = OPTION_TABLE[key]
    if spec.flag is None:
        return None
    return spec.flag or key.replace("_", "-")


def add_flags(add: Callable[..., object], prefix: str, dest_prefix: str = "",
              keys: tuple[str, ...] | None = None, short: bool = False,
              leave: tuple[str, ...] = ()) -> None:
    """Declare a flag for each option that has one, with ``add`` (argparse's or pytest's
    ``add_argument``/``addoption``): ``--timeout`` for the command line, with ``prefix`` '--';
    ``--slideproof-timeout`` for pytest. Every flag defaults to None: a flag not given
    leaves [tool.slideproof], mkdocs.yml or the default in charge."""
    for key in keys or OPTION_TABLE:
        spec, name = OPTION_TABLE[key], flag_name(key)
        if name is None or key in leave:
            continue
        names = [f"{prefix}{name}", *([spec.short] if short and spec.short else [])]
        kwargs: dict[str, object] = {"dest": dest_prefix + key, "default": None,
                                     "help": _flag_help(spec)}
        if spec.kind == "bool":
            kwargs.update(action="store_const", const=not spec.negated)
        elif spec.kind in ("models", "prelude", "paths"):
            parse = {"models": parse_model, "prelude": parse_prelude}.get(spec.kind)
            kwargs.update(action="append", metavar=spec.metavar)
            if parse:
                kwargs["type"] = _flag_type(parse)
        elif spec.kind == "choice":
            kwargs.update(choices=spec.choices)
        else:
            kwargs.update(type={"count": int, "seconds": float}.get(spec.kind, str),
                          metavar=spec.metavar)
        add(*names, **kwargs)


def _flag_help(spec: Spec) -> str:
    if spec.flag_help:
        return spec.flag_help
    default = spec.default
    shown = "" if default in (None, {}, []) or spec.kind == "bool" else f" (default {default})"
    return spec.help + shown


def _flag_type(parse: Callable[[str], tuple[str, str]]) -> Callable[[str], tuple[str, str]]:
    """A parser as a flag's type: its own message, not 'invalid value'."""
    def convert(text: str) -> tuple[str, str]:
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    convert.__name__ = parse.__name__
    return convert


def settings_from_flags(get: Callable[[str], object], start: Path, prefix: str,
                        dest_prefix: str = "") -> Settings:
    """The flags given (read with ``get``, by destination), over [tool.slideproof] (found
    from ``start``), over the defaults: the settings of the command line and of pytest
    alike. A bad value is a ConfigError naming the flag or the file and line."""
    given: dict[str, object] = {}
    for key, spec in OPTION_TABLE.items():
        if flag_name(key) is None:
            continue
        value = get(dest_prefix + key)
        if value is None:
            continue
        if spec.kind in ("models", "prelude"):
            value = dict(value)  # type: ignore[call-overload]
        given[key] = value
    return load(Layer(given, "the command line", start, flag_prefix=prefix), start=start)


def parse_model(text: str) -> tuple[str, str]:
    """``NAME=TARGET``, as the command line and pytest write a model alias."""
    name, sep, target = text.partition("=")
    if not sep or not name.strip() or not target.strip():
        raise ValueError(Errors.SP205.format(text=text))
    return name.strip(), target.strip()


def parse_prelude(text: str) -> tuple[str, str]:
    """``FILE`` (every language) or ``LANG=FILE``, as flags write a prelude."""
    lang, sep, path = text.partition("=")
    if not sep:
        return "*", text
    if not re.fullmatch(r"[a-z]{2,3}|\*", lang.strip()) or not path.strip():
        raise ValueError(Errors.SP206.format(text=text))
    return lang.strip(), path.strip()
