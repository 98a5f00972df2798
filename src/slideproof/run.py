"""Decks → raw per-block results, through a pool of one warm, sandboxed worker.

``plan_for`` turns a Deck into what the worker needs (code, deck lines, attributes,
limits); ``Pool`` starts ``slideproof.worker`` once, keeps it alive (across ``mkdocs
serve`` rebuilds too) and streams each deck's events back. This process never runs an
example and never imports spaCy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .cache import models_loaded
from .deck import Deck

GiB = 1 << 30


@dataclass
class Options:
    """What a run may do. The CLI flags and the MkDocs plugin options map onto these."""

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

    def prelude_for(self, lang: str | None) -> tuple[str, str] | None:
        """The deck's language's prelude, else the one for every language."""
        return self.prelude.get(lang or "") or self.prelude.get("*")

    def limits(self) -> dict:
        return {"output": self.output_limit, "memory": self.memory_limit,
                "cpu": self.cpu_limit, "file_size": self.file_size_limit,
                "processes": self.process_limit, "open_files": self.open_files_limit}

    def worker_config(self, plans: dict[str, dict]) -> dict:
        """By default the worker preloads the alias targets the decks at hand load: a model
        no deck uses would only cost start-up time and memory."""
        preload = self.preload
        if preload is None:
            preload = sorted({plan["models"][name] for plan in plans.values()
                              for name in models_loaded(plan) if name in plan["models"]})
        return {"jobs": self.jobs, "preload": preload}


def _front_matter_line(deck: Deck, key: str) -> int:
    """Deck line where ``key:`` is written in the front matter (for setup code lines)."""
    try:
        text = Path(deck.path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return 2
    for number, line in enumerate(text.splitlines()[:deck.body_line], start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 2


def plan_for(deck: Deck, options: Options) -> dict:
    """Everything the worker needs to run ``deck``; also what the cache key is made of."""
    setup = []
    prelude = options.prelude_for(deck.language)
    if prelude and prelude[1].strip():
        setup.append({"name": prelude[0], "code": prelude[1], "first_line": 1})
    if deck.setup_code.strip():
        first = _front_matter_line(deck, "setup")
        # 'setup: |' puts the code on the lines after the key.
        setup.append({"name": f"{deck.path} (front matter setup)", "code": deck.setup_code,
                      "first_line": first + 1})
    models = dict(options.models)
    models.update(deck.meta.get("models") or {})
    deck_requires = list(deck.meta.get("requires") or [])
    blocks = []
    for index, block in enumerate(deck.python_blocks):
        skip = block.attrs.get("skip")
        blocks.append({
            "index": index, "line": block.line, "first_line": block.first_code_line,
            "code": block.code,
            "skip": (skip if isinstance(skip, str) else "") if skip else None,
            "isolated": bool(block.attrs.get("isolated")),
            "timeout": block.attrs.get("timeout") or deck.meta.get("timeout"),
            "requires": deck_requires + list(block.attrs.get("requires") or []),
            "setup": bool(block.attrs.get("setup")),
        })
    return {"path": deck.path, "setup": setup, "blocks": blocks, "models": models,
            "timeout": float(deck.meta.get("timeout") or options.timeout),
            "limits": options.limits()}


_LANG_USE = re.compile(r"""spacy\.blank\(\s*['"]([a-z]{2,3})['"]|spacy\.lang\.([a-z]{2,3})\b""")
_SPACY_IMPORT = re.compile(r"^\s*(?:from|import)\s+(spacy(?:\.[a-z_]+)+)", re.MULTILINE)


def modules_used(plans: dict[str, dict]) -> list[str]:
    """spaCy modules the decks import (language classes above all): the warm worker imports
    them once, before forking, instead of every deck importing them again."""
    found: set[str] = set()
    for plan in plans.values():
        for source in plan["setup"] + plan["blocks"]:
            for blank, lang in _LANG_USE.findall(source["code"]):
                found.add(f"spacy.lang.{blank or lang}")
            found.update(_SPACY_IMPORT.findall(source["code"]))
    return sorted(found)


class WorkerDied(RuntimeError):
    pass


class Pool:
    """One warm worker (spaCy imported once) that forks a sandboxed child per deck."""

    def __init__(self, options: Options):
        self.options = options
        self.proc: subprocess.Popen | None = None
        self.info: dict = {}
        self.sandbox = sandbox.choose(options.sandbox)
        self.tmp_root = ""
        self._log = None
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, plans: dict[str, dict] | None = None) -> dict:
        if self.alive:
            return self.info
        self.tmp_root = tempfile.mkdtemp(prefix="slideproof-run-")
        self._log = tempfile.TemporaryFile(prefix="slideproof-worker-")
        argv = sandbox.command(self.sandbox, [sys.executable, "-m", "slideproof.worker"],
                               self.tmp_root)
        env = sandbox.environment(self.tmp_root, self.options.env_allow)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")] if p)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, env=env, cwd=self.tmp_root,
                                     start_new_session=True)
        config = {**self.options.worker_config(plans or {}), "tmp_root": self.tmp_root,
                  "preimport": modules_used(plans or {})}
        self._send(config)
        ready = self._receive()
        if ready is None or ready.get("event") != "ready":
            raise WorkerDied(f"the example runner did not start: {self._log_tail()}")
        self.info = {**ready, "sandbox": self.sandbox}
        return self.info

    def _send(self, message: dict) -> None:
        assert self.proc and self.proc.stdin
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as err:  # the worker is gone
            raise WorkerDied(self._log_tail()) from err

    def _receive(self) -> dict | None:
        assert self.proc and self.proc.stdout
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def _log_tail(self) -> str:
        if not self._log:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:].strip() or "no message"

    def run(self, plans: dict[str, dict],
            on_event: Callable[[str, dict], None] | None = None) -> dict[str, dict]:
        """Run every plan (id → plan); return id → {"events": [...], "done": {...}}."""
        with self._lock:
            self.start(plans)
            results = {deck_id: {"events": [], "done": None} for deck_id in plans}
            waiting = dict(plans)
            restarts = 0
            while waiting:
                started: set[str] = set()  # decks the worker had forked when it died
                try:
                    self.start(plans)
                    for deck_id, plan in waiting.items():
                        self._send({"op": "run", "id": deck_id, "plan": plan})
                    while waiting:
                        event = self._receive()
                        if event is None:
                            raise WorkerDied(self._log_tail())
                        deck_id = event.get("id")
                        if deck_id not in waiting:
                            continue
                        if event["event"] == "deck-start":
                            started.add(deck_id)
                            continue
                        if event["event"] == "deck-done":
                            results[deck_id]["done"] = event
                            del waiting[deck_id]
                        else:
                            results[deck_id]["events"].append(event)
                        if on_event:
                            on_event(deck_id, event)
                except WorkerDied as err:
                    # A deck can kill the worker (os.kill(os.getppid(), …)): the decks that
                    # were running are reported; the others run again in a fresh worker.
                    self.close()
                    restarts += 1
                    tail = str(err).strip()
                    why = "it ended while this deck ran" + (
                        f": {tail[-500:]}" if tail and tail != "no message" else "")
                    for deck_id in list(waiting):
                        if deck_id in started or restarts > 3:
                            results[deck_id]["done"] = {"event": "deck-done", "worker_died": why}
                            del waiting[deck_id]
                except BaseException:
                    self.close()  # Ctrl-C: no deck, no grandchild survives us
                    raise
            return results

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the worker kills its decks first
                proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._log:
            self._log.close()
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
