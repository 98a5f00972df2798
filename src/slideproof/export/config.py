"""The course's mkdocs.yml as export reads it: loaded safely with every tag kept as written
(``!!python/name:``, ``!ENV``, ``!relative``, to be written back unchanged), ``!ENV``
resolved as MkDocs resolves it (pyyaml_env_tag) where export needs a value, the line of a
key from the YAML nodes' marks, and what the export is made from: the docs folder, the
slideproof plugin's options (checked by the core's option table, as the plugin checks
them), mkdocs-static-i18n's languages, the theme and the URL style.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml_env_tag import construct_env_tag

from ..cache import Cache
from ..errors import ConfigError, Errors
from ..judge import Policy
from ..options import Options, Settings
from ..site import plugin_settings, run_options


class Tagged:
    """A YAML value under a tag export does not interpret (``!!python/name:…``, ``!ENV``,
    ``!relative``): kept as written, to be written back as it was. ``resolved``: the value
    MkDocs would see for an ``!ENV`` tag."""

    def __init__(self, tag: str, value: Any, resolved: Any = None) -> None:
        self.tag, self.value, self.resolved = tag, value, resolved


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader: _Loader, suffix: str, node: yaml.Node) -> Tagged:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return Tagged(node.tag, value)


def _construct_env(loader: _Loader, node: yaml.Node) -> Tagged:
    tagged = _construct_tagged(loader, "", node)
    tagged.resolved = construct_env_tag(loader, node)
    return tagged


def _represent_tagged(dumper: _Dumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_tagged)
_Loader.add_multi_constructor("!", _construct_tagged)
_Loader.add_constructor("!ENV", _construct_env)
_Dumper.add_representer(Tagged, _represent_tagged)


def plain(value: Any) -> Any:
    """A configuration value as MkDocs would see it: ``!ENV`` resolved from the
    environment (the first variable set, else the last item as the default)."""
    if isinstance(value, Tagged) and value.tag == "!ENV":
        return value.resolved
    return value


def dump_yaml(data: Any) -> str:
    """YAML as export writes it (front matter, mkdocs.yml): tags as they were read."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1000)


def load_config(path: Path) -> dict:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ConfigError(Errors.SP500.format(path=path, problem=err.strerror)) from None
    except UnicodeDecodeError as err:
        raise ConfigError(Errors.SP500.format(
            path=path, problem=f"not UTF-8 ({err.reason})")) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: tags are kept, never run
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise ConfigError(Errors.SP501.format(path=path, line=mark.line + 1 if mark else 1,
                                problem=getattr(err, "problem", None) or err)) from None
    if not isinstance(data, dict):
        raise ConfigError(Errors.SP502.format(path=f"{path}:1", kind=type(data).__name__))
    if "INHERIT" in data:
        raise ConfigError(Errors.SP503.format(path=where(path, "INHERIT")))
    return data


def where(path: Path, key: str) -> str:
    """``mkdocs.yml:LINE`` of the first ``key`` in it (from the YAML nodes' marks; line 1
    if it has none), for messages an editor can jump to."""
    try:
        root = yaml.compose(path.read_text("utf-8", errors="replace"), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        root = None
    line = next((node.start_mark.line + 1 for node in _keys(root, set())
                 if node.value == key), 1)
    return f"{path}:{line}"


def _keys(node: yaml.Node | None, seen: set[int]) -> Iterator[yaml.ScalarNode]:
    """Every mapping key under ``node``, in the order of the file (each node once: an
    alias is not walked again)."""
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield key
            yield from _keys(value, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _keys(item, seen)


def plugin_list(config: dict, path: Path) -> list[tuple[str, Any]]:
    """(name, options) of each plugin, whether mkdocs.yml lists them or maps them."""
    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):
        return list(plugins.items())
    if not isinstance(plugins, list):
        raise ConfigError(Errors.SP511.format(
            path=where(path, "plugins"), kind=type(plugins).__name__))
    out: list[tuple[str, Any]] = []
    for item in plugins:
        if isinstance(item, dict):
            out += list(item.items())
        else:
            out.append((str(item), None))
    return out


def slideproof_settings(given: Any, path: Path) -> Settings:
    """The plugin's options as mkdocs.yml gives them, over [tool.slideproof] and the
    defaults, checked by the core's option table (the plugin resolves them the same way)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigError(Errors.SP513.format(path=where(path, "slideproof"),
                                kind=type(given).__name__))
    return plugin_settings({str(k): plain(v) for k, v in given.items()}, path)


@dataclass
class Language:
    """A language of mkdocs-static-i18n's ``languages``."""

    locale: str
    name: str
    default: bool
    nav_translations: dict = field(default_factory=dict)
    build: bool = True


def languages(plugins: list[tuple[str, Any]], path: Path) -> list[Language]:
    """mkdocs-static-i18n's languages (none without it); the first is the default when
    none says so. Only its folder layout can be exported."""
    options = next((o for name, o in plugins if name == "i18n"), None)
    if options is None:
        return []
    options = options if isinstance(options, dict) else {}
    structure = plain(options.get("docs_structure", "suffix"))
    if structure != "folder":
        raise ConfigError(Errors.SP510.format(path=where(path, "docs_structure"),
                                structure=structure))
    found = [Language(str(item["locale"]), str(item.get("name") or item["locale"]),
                      bool(item.get("default")), dict(item.get("nav_translations") or {}),
                      build=item.get("build") is not False)
             for item in options.get("languages") or []
             if isinstance(item, dict) and item.get("locale")]
    if found and not any(lang.default for lang in found):
        found[0].default = True
    return found


@dataclass
class Course:
    """What the export is made from, as mkdocs.yml (and [tool.slideproof]) describe it."""

    config_file: Path
    config: dict  # mkdocs.yml as loaded, its tags kept
    base: Path  # mkdocs.yml's folder
    docs: Path
    settings: Settings  # the slideproof plugin's options
    run: Options
    policy: Policy
    cache: Cache
    langs: list[Language]  # every language mkdocs-static-i18n declares
    theme: dict
    site_lang: str  # the theme's language
    use_directory_urls: bool

    @property
    def built(self) -> list[Language]:
        """The languages the site is built in (``build: false`` leaves one out, never the
        default)."""
        return [lang for lang in self.langs if lang.build or lang.default]

    @property
    def static(self) -> str:
        """The folder of the deck pages' static files, relative to the docs."""
        return str(self.settings["static_dir"]).strip("/")


def read_course(config_file: Path) -> Course:
    """The course ``config_file`` describes; ConfigError (with the file and line) for what
    export cannot read."""
    config = load_config(config_file)
    base = config_file.resolve().parent
    docs = base / str(plain(config.get("docs_dir")) or "docs")
    if not docs.is_dir():
        raise ConfigError(Errors.SP506.format(path=where(config_file, "docs_dir"), docs=docs))
    plugins = plugin_list(config, config_file)
    settings = slideproof_settings(next((o for n, o in plugins if n == "slideproof"), None),
                                   config_file)
    langs = languages(plugins, config_file)
    theme = plain(config.get("theme")) or {}
    theme = theme if isinstance(theme, dict) else {"name": theme}
    return Course(config_file, config, base, docs, settings, run_options(settings, docs),
                  settings.policy(), settings.cache(), langs, theme,
                  site_lang=plain(theme.get("language")) or "en",
                  use_directory_urls=plain(config.get("use_directory_urls", True)) is not False)
