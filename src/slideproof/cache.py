"""Results cache keyed on the code *and* the environment (docs/project/design.md).

A deck's entry is keyed on its run plan (setup, prelude, blocks' code and attributes,
aliases, limits) with deck lines made relative, plus the environment fingerprint: Python,
spaCy, thinc and every model the deck may load. Notes and prose are not in the key, and
moving a block down the file re-uses its result with the lines shifted. Entries are written
atomically (temp file + rename), carry their own checksum, and one that fails to read or
verify is ignored and recomputed. Nothing here imports spaCy.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import sys
import warnings
from importlib import metadata
from pathlib import Path

from . import __version__
from .atomic import write_atomic
from .errors import coded

FORMAT = 1
_LOAD = re.compile(r"""spacy\.load\(\s*['"]([^'"]+)['"]""")


def _dist_version(name: str) -> str | None:
    for candidate in (name, name.replace("_", "-"), name.replace("-", "_")):
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None


def model_version(target: str) -> str:
    """Version of a model given as an installed package name or a path, without spaCy."""
    meta = Path(target) / "meta.json"
    if meta.is_file():
        try:
            data = json.loads(meta.read_text("utf-8"))
            stat = meta.stat()
            return f"path:{data.get('lang')}_{data.get('name')}=={data.get('version')}" \
                   f"@{int(stat.st_mtime)}"
        except (OSError, ValueError):
            return "path:unreadable"
    return _dist_version(target) or "absent"


def models_loaded(plan: dict) -> set[str]:
    """Model names the deck's code loads (``spacy.load("…")``) or ``requires``."""
    names: set[str] = set()
    for source in plan["setup"] + plan["blocks"]:
        names.update(_LOAD.findall(source["code"]))
        names.update(source.get("requires") or [])
    return names


def models_used(plan: dict) -> list[str]:
    """Every model whose version belongs in the deck's key: those it loads, and its aliases."""
    return sorted(set(plan["models"]) | models_loaded(plan))


def environment() -> dict:
    """The fingerprint parts that hold for every deck."""
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "spacy": _dist_version("spacy"),
        "thinc": _dist_version("thinc"),
        "slideproof": __version__,
        "format": FORMAT,
    }


def _relative(plan: dict) -> dict:
    """The plan with deck lines made relative to each block, so moving a block (an edit to
    the notes above it) keeps its key."""
    blocks = [{k: v for k, v in b.items() if k not in ("line", "first_line")}
              for b in plan["blocks"]]
    setup = [{k: v for k, v in s.items() if k != "first_line"} for s in plan["setup"]]
    return {**plan, "blocks": blocks, "setup": setup}


def deck_key(plan: dict, env: dict) -> str:
    models = {name: model_version(plan["models"].get(name, name)) for name in models_used(plan)}
    payload = json.dumps({"env": env, "models": models, "plan": _relative(plan)},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _rebase(raw: dict, plan: dict, to_relative: bool) -> dict:
    """Shift the deck lines in a raw result between absolute and block-relative."""
    bases = {b["index"]: b["line"] for b in plan["blocks"]}
    sign = -1 if to_relative else 1
    events = []
    for event in raw["events"]:
        event = json.loads(json.dumps(event))
        base = bases.get(event.get("index"))
        if base is not None:
            for item in [event.get("error"), *(event.get("warnings") or [])]:
                if item and isinstance(item.get("line"), int) and (
                        item is event.get("error") or item.get("filename") == plan["path"]):
                    item["line"] += sign * base
        events.append(event)
    return {**raw, "events": events}


class Cache:
    def __init__(self, folder: str | Path, enabled: bool = True):
        self.folder = Path(folder)
        self.enabled = enabled
        self.warning: str | None = None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, plan: dict) -> dict | None:
        body = self.recall(key)
        return _rebase(body, plan, to_relative=False) if isinstance(body, dict) else None

    def put(self, key: str, plan: dict, raw: dict) -> None:
        if (raw.get("done") or {}).get("worker_died"):
            return
        self.remember(key, _rebase(raw, plan, to_relative=True))

    def recall(self, key: str) -> object | None:
        """What was remembered under ``key``; None if nothing, or not whole."""
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(key).read_text("utf-8"))
            body = data["raw"]
            if data.get("key") != key or data.get("sha256") != _checksum(body):
                return None  # torn or tampered: recompute
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return body

    def remember(self, key: str, body: object) -> None:
        """Keep ``body`` (JSON) under ``key``: a deck's raw result, or anything computed
        from a deck's text alone, such as the rewrites the fix rules propose."""
        if not self.enabled:
            return
        data = {"key": key, "sha256": _checksum(body), "raw": body}
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n")
            # atomic: readers see the old entry or the new one, never a torn one
            write_atomic(target, json.dumps(data, ensure_ascii=False), durable=True)
        except OSError as err:
            # A full disk or a read-only folder: carry on without the cache, say so once.
            self.enabled = False
            self.warning = coded("SP074", folder=self.folder, problem=err.strerror or err)
            warnings.warn(self.warning, RuntimeWarning, stacklevel=2)


def _checksum(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
