"""The pipeline every adapter calls: decks → (cache | warm pool) → judged results.

Used by the CLI, the MkDocs plugin and the pytest plugin alike, so all three report the
same thing. A ``Verifier`` keeps its pool alive between calls (``mkdocs serve`` rebuilds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import cast

from . import cache as cache_mod
from . import sandbox
from .deck import Deck
from .errors import DeckError, Errors, SandboxError
from .exercise import Exercise, ExerciseRun, GeneralRun, judge_exercise
from .judge import FAILED, BlockResult, DeckResult, judge_deck
from .options import Options
from .protocol import DeckDone, DeckEvent, DeckRun
from .run import Pool, plan_for


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

    def sandbox_choice(self) -> sandbox.Choice:
        """The sandbox examples run in (SandboxError: none that may be used)."""
        return self.pool.choice if self.pool else sandbox.choose(self.options.sandbox)

    def environment(self) -> dict:
        env = cache_mod.environment()
        info = self.pool.info if self.pool and self.pool.info else {}
        models = {}
        for name in sorted(set(self.options.models) | set(self.options.models.values())):
            target = self.options.models.get(name, name)
            models[name] = {"target": target, "version": cache_mod.model_version(target)}
        try:
            choice = self.sandbox_choice()
        except SandboxError:
            choice = sandbox.Choice("none")
        walls = {key: info[key] for key in ("walls", "landlock", "seccomp") if key in info}
        bwrap = {"source": choice.bwrap.source, "version": choice.bwrap.version} \
            if choice.bwrap else None
        return {"python": env["python"], "spacy": info.get("spacy") or env["spacy"],
                "thinc": info.get("thinc") or env["thinc"], "models": models,
                "sandbox": choice.kind, "bwrap": bwrap, "sandbox_warning": choice.warning,
                **walls, "slideproof": env["slideproof"]}

    def warm_up(self, course: list[str]) -> None:
        """Start the runner now, when the cache will not answer for every deck: spaCy's
        import then overlaps the caller's reading and planning of the decks. (Not on a warm
        cache: a check that runs nothing never imports spaCy.)"""
        if self.cache.enabled and self.cache.has_entries():
            return
        self._pool().launch(course)

    def verify(self, items: list[Deck | Exercise],
               on_deck: Callable[[DeckResult], None] | None = None,
               on_event: Callable[[str, dict], None] | None = None) -> list[DeckResult]:
        """The judged result of every deck and exercise (an ``ExerciseResult``), in order:
        an exercise runs as its runs (``Exercise.runs``), side by side with the decks;
        ``on_deck`` hears of each run as it ends."""
        decks = runs_of(items)
        results = self._verify(decks, on_deck, on_event)
        return [judge_exercise(item, *(results[run.path] for run in item.runs()))
                if isinstance(item, Exercise) else results[item.path] for item in items]

    def _verify(self, decks: list[Deck], on_deck, on_event) -> dict[str, DeckResult]:
        env = cache_mod.environment()
        plans, keys, results = {}, {}, {}
        self.finished = []

        def done(result: DeckResult) -> None:
            results[result.deck.path] = result
            self.finished.append(result)
            if on_deck:
                on_deck(result)

        for deck in decks:
            try:
                plan = deck.run_plan(self.options) if isinstance(
                    deck, ExerciseRun | GeneralRun) else plan_for(deck, self.options)
            except DeckError as err:  # the deck asks for what only the site may give
                done(not_run(deck, err))
                continue

            plans[deck.path], keys[deck.path] = plan, cache_mod.deck_key(plan, env)
            raw = self.cache.get(keys[deck.path], plan)
            if raw is not None:
                result = judge_deck(deck, plan, raw)
                result.cached = True
                done(result)
        to_run = {path: plans[path] for path in plans if path not in results}
        self.ran = list(to_run)
        if to_run:
            pool = self._pool()
            by_path = {d.path: d for d in decks}
            events: dict[str, list[DeckEvent]] = {path: [] for path in to_run}

            def finish(path: str, raw: DeckRun) -> None:
                done(judge_deck(by_path[path], plans[path], raw))
                self.cache.put(keys[path], plans[path], raw)

            def forward(path: str, event: dict) -> None:
                if event.get("event") == "restart":  # it runs again in a fresh runner
                    events[path] = []
                    return
                if event.get("event") == "deck-done":
                    finish(path, {"events": events.pop(path), "done": cast(DeckDone, event)})
                else:
                    events[path].append(cast(DeckEvent, event))
                if on_event:
                    on_event(path, event)

            raws = pool.run(to_run, on_event=forward)
            for path, raw in raws.items():
                if path not in results:  # the worker died before this deck was done
                    finish(path, raw)
        return results

    def _pool(self) -> Pool:
        """The warm pool, made on first use; no deck may read the cache, wherever it is."""
        if self.pool is None:
            hidden = (*self.options.hidden, str(self.cache.folder.resolve()))
            self.pool = Pool(replace(self.options, hidden=hidden))
        return self.pool

    def close(self) -> None:
        if self.pool:
            self.pool.close()
            self.pool = None


def runs_of(items: list[Deck | Exercise]) -> list[Deck]:
    """What runs for ``items``: each deck, and each exercise's runs."""
    return [run for item in items for run in (
        item.runs() if isinstance(item, Exercise) else [item])]


def not_run(deck: Deck, err: DeckError) -> DeckResult:
    """A deck that cannot run as written: every block fails with the deck's error."""
    where = f"{err.path}:{err.line}: {err.message}"
    return DeckResult(deck, [BlockResult(block, FAILED, Errors.SP019.format(why=err.message))
                             for block in deck.python_blocks], error=where)
