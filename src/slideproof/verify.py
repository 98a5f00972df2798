"""The pipeline every adapter calls: decks → (cache | warm pool) → judged results.

Used by the CLI, the MkDocs plugin and the pytest plugin alike, so all three report the
same thing. A ``Verifier`` keeps its pool alive between calls (``mkdocs serve`` rebuilds).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from . import cache as cache_mod
from . import sandbox
from .deck import Deck
from .judge import DeckResult, judge_deck
from .run import Options, Pool, plan_for


@dataclass
class Verification:
    environment: dict
    decks: list[DeckResult]
    errors: list = field(default_factory=list)  # DeckError for decks that did not parse
    seconds: float = 0.0
    incomplete: bool = False
    warnings: list[str] = field(default_factory=list)


class Verifier:
    def __init__(self, options: Options, cache: cache_mod.Cache | None = None):
        self.options = options
        self.cache = cache or cache_mod.Cache(".slideproof-cache", enabled=False)
        self.pool: Pool | None = None
        self.ran: list[str] = []  # paths of decks actually run by the last verify()
        self.finished: list[DeckResult] = []  # what the last verify() had when it stopped

    def environment(self) -> dict:
        env = cache_mod.environment()
        info = self.pool.info if self.pool and self.pool.info else {}
        models = {}
        for name in sorted(set(self.options.models) | set(self.options.models.values())):
            target = self.options.models.get(name, name)
            models[name] = {"target": target, "version": cache_mod.model_version(target)}
        return {"python": env["python"], "spacy": info.get("spacy") or env["spacy"],
                "thinc": info.get("thinc") or env["thinc"], "models": models,
                "sandbox": info.get("sandbox") or sandbox.choose(self.options.sandbox),
                "slideproof": env["slideproof"]}

    def verify(self, decks: list[Deck],
               on_deck: Callable[[DeckResult], None] | None = None,
               on_event: Callable[[str, dict], None] | None = None) -> list[DeckResult]:
        env = cache_mod.environment()
        plans, keys, results = {}, {}, {}
        self.finished = []
        for deck in decks:
            plan = plan_for(deck, self.options)
            # Examples are compiled with their deck's file, as the sandbox shows it: by its
            # absolute path, since they run in a temporary folder (inspect, which spaCy's
            # component registry uses, reads the source from there).
            plan["path"] = os.path.abspath(deck.path)
            plans[deck.path], keys[deck.path] = plan, cache_mod.deck_key(plan, env)
            raw = self.cache.get(keys[deck.path], plan)
            if raw is not None:
                result = judge_deck(deck, plan, raw)
                result.cached = True
                results[deck.path] = result
                self.finished.append(result)
                if on_deck:
                    on_deck(result)
        to_run = {path: plans[path] for path in plans if path not in results}
        self.ran = list(to_run)
        if to_run:
            if self.pool is None:
                self.pool = Pool(self.options)
            by_path = {d.path: d for d in decks}
            events: dict[str, list] = {path: [] for path in to_run}

            def finish(path: str, raw: dict) -> None:
                result = judge_deck(by_path[path], plans[path], raw)
                results[path] = result
                self.finished.append(result)
                self.cache.put(keys[path], plans[path], raw)
                if on_deck:
                    on_deck(result)

            def forward(path: str, event: dict) -> None:
                if event.get("event") == "restart":  # it runs again in a fresh runner
                    events[path] = []
                    return
                if event.get("event") == "deck-done":
                    finish(path, {"events": events.pop(path), "done": event})
                else:
                    events[path].append(event)
                if on_event:
                    on_event(path, event)

            raws = self.pool.run(to_run, on_event=forward)
            for path, raw in raws.items():
                if path not in results:  # the worker died before this deck was done
                    finish(path, raw)
        return [results[d.path] for d in decks]

    def close(self) -> None:
        if self.pool:
            self.pool.close()
            self.pool = None
