"""Results cache keyed on the code *and* the environment (docs/project/design.md).

A deck's entry is keyed on its run plan (setup, prelude, blocks' code and attributes,
aliases, limits) with deck lines made relative, plus the environment fingerprint: Python,
spaCy, thinc and every model the deck may load. Notes and prose are not in the key, and
moving a block down the file re-uses its result with the lines shifted. Entries are written
atomically (temp file + rename) and signed with a key of the cache folder's own (an HMAC:
the folder is hidden from every deck, so no deck can make an entry that verifies, even one
that can compute the checksum of what it wants to plant); one that fails to read or verify
is ignored and recomputed. Nothing here imports spaCy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import re
import secrets
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import cast

from . import __version__
from .atomic import write_atomic
from .errors import Errors
from .protocol import DeckRun, Plan

FORMAT = 2  # 2: entries signed with the folder's key
KEY_FILE = ".key"
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


def models_loaded(plan: Plan) -> set[str]:
    """Model names the deck's code loads (``spacy.load("…")``) or ``requires``."""
    names = set(load_calls(plan))
    for block in plan["blocks"]:
        names.update(block["requires"])
    return names


def load_calls(plan: Plan) -> list[str]:
    """The model names of the deck's ``spacy.load("…")`` calls, as often as they are written."""
    return [name for source in [*plan["setup"], *plan["blocks"]]
            for name in _LOAD.findall(source["code"])]


def models_used(plan: Plan) -> list[str]:
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


def _relative(plan: Plan) -> dict:
    """The plan with deck lines made relative to each block, so moving a block (an edit to
    the notes above it) keeps its key."""
    blocks = [{k: v for k, v in b.items() if k not in ("line", "first_line")}
              for b in plan["blocks"]]
    setup = [{k: v for k, v in s.items() if k != "first_line"} for s in plan["setup"]]
    return {**plan, "blocks": blocks, "setup": setup}


def deck_key(plan: Plan, env: dict) -> str:
    models = {name: model_version(plan["models"].get(name, name)) for name in models_used(plan)}
    payload = json.dumps({"env": env, "models": models, "plan": _relative(plan)},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _rebase(raw: DeckRun, plan: Plan, to_relative: bool) -> DeckRun:
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
        self._key: bytes | None = None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def has_entries(self) -> bool:
        """Whether anything was ever kept here (a cold cache answers for nothing)."""
        try:
            return any(len(entry.name) == 2 and entry.is_dir()
                       for entry in os.scandir(self.folder))
        except OSError:
            return False

    def _secret(self, create: bool) -> bytes | None:
        """The folder's signing key, made on first use (readable by its owner only)."""
        if self._key is not None:
            return self._key
        path = self.folder / KEY_FILE
        try:
            self._key = path.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another build made it first
                self._key = path.read_bytes()
            else:
                key = secrets.token_bytes(32)
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
                self._key = key
        return self._key

    def get(self, key: str, plan: Plan) -> DeckRun | None:
        body = self.recall(key)
        # (signed by this folder's key: written by ``put``, from validated events)
        return _rebase(cast(DeckRun, body), plan, to_relative=False) \
            if isinstance(body, dict) else None

    def put(self, key: str, plan: Plan, raw: DeckRun) -> None:
        if (raw.get("done") or {}).get("worker_died"):
            return
        self.remember(key, _rebase(raw, plan, to_relative=True))

    def recall(self, key: str) -> object | None:
        """What was remembered under ``key``; None if nothing, or not whole."""
        if not self.enabled:
            return None
        try:
            secret = self._secret(create=False)
            if not secret:
                return None
            data = json.loads(self._path(key).read_text("utf-8"))
            body = data["raw"]
            if data.get("key") != key or not hmac.compare_digest(
                    str(data.get("hmac")), _signature(secret, key, body)):
                return None  # torn or tampered: recompute
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return body

    def remember(self, key: str, body: object) -> None:
        """Keep ``body`` (JSON) under ``key``: a deck's raw result, or anything computed
        from a deck's text alone, such as the rewrites the fix rules propose."""
        if not self.enabled:
            return
        target = self._path(key)
        try:
            data = {"key": key, "hmac": _signature(self._secret(create=True), key, body),
                    "raw": body}
            target.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n")
            # atomic: readers see the old entry or the new one, never a torn one
            write_atomic(target, json.dumps(data, ensure_ascii=False), durable=True)
        except OSError as err:
            # A full disk or a read-only folder: carry on without the cache, say so once.
            self.enabled = False
            self.warning = Errors.SP074.format(folder=self.folder, problem=err.strerror or err)
            warnings.warn(self.warning, RuntimeWarning, stacklevel=2)


def _signature(secret: bytes | None, key: str, body: object) -> str:
    payload = key.encode() + b"\0" + json.dumps(body, sort_keys=True).encode()
    return hmac.new(secret or b"", payload, hashlib.sha256).hexdigest()
