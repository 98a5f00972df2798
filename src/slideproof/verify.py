"""The pipeline every adapter calls: decks → (cache | warm pool) → judged results.

Used by the CLI, the MkDocs plugin and the pytest plugin alike, so all three report the
same thing. A ``Verifier`` keeps its pool alive between calls (``mkdocs serve`` rebuilds).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple, cast

from . import cache as cache_mod
from . import sandbox
from .deck import Deck
from .errors import DeckError, Errors, SandboxError
from .exercise import Exercise, ExerciseRun, GeneralRun, judge_exercise
from .judge import FAILED, BlockResult, DeckResult, judge_deck
from .options import Options
from .protocol import DeckDone, DeckEvent, DeckRun, Plan
from .run import Intake, Pool, plan_for

# What the search for fixes hears of each run: the decks to run next, in the same run.
FollowUp = Callable[[DeckResult], list[Deck]]


class Lookup(NamedTuple):
    """What the cache knows of a deck: its plan and key (None and "": it cannot run as
    written), and its result (None: it has to run)."""
    deck: Deck
    plan: Plan | None
    key: str
    result: DeckResult | None

    @property
    def runnable(self) -> Plan:
        """The plan of a deck that runs (the only kind a run is given)."""
        if self.plan is None:
            raise ValueError(f"{self.deck.path} cannot run as written")
        return self.plan


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
               on_event: Callable[[str, dict], None] | None = None,
               follow_up: FollowUp | None = None) -> list[DeckResult]:
        """The judged result of every deck and exercise (an ``ExerciseResult``), in order:
        an exercise runs as its runs (``Exercise.runs``), side by side with the decks;
        ``on_deck`` hears of each run as it ends. ``follow_up`` hears of each run's result
        too, and of those of the decks it names in return, which run in the same run
        (beside the decks still running) and are told to it alone."""
        decks = runs_of(items)
        results = self._verify(decks, on_deck, on_event, follow_up)
        return [judge_exercise(item, *(results[run.path] for run in item.runs()))
                if isinstance(item, Exercise) else results[item.path] for item in items]

    def _verify(self, decks: list[Deck], on_deck, on_event,
                follow_up: FollowUp | None) -> dict[str, DeckResult]:
        self.finished = []
        results: dict[str, DeckResult] = {}
        to_run: dict[str, Lookup] = {}
        followed: set[str] = set()  # the ids of the decks follow_up named
        intake = Intake()
        env = cache_mod.environment()

        def follow(result: DeckResult) -> None:
            for deck in follow_up(result) if follow_up else []:
                found = self.look_up(deck, env)
                if found.result is not None:
                    follow(found.result)
                    continue
                deck_id = f"{deck.path}#{len(followed)}"  # a deck's path may come again
                followed.add(deck_id)
                to_run[deck_id] = found
                intake.add(deck_id, found.runnable)

        def done(deck_id: str, result: DeckResult) -> None:
            if deck_id not in followed:
                results[result.deck.path] = result
                self.finished.append(result)
                if on_deck:
                    on_deck(result)
            follow(result)

        for deck in decks:
            found = self.look_up(deck, env)
            if found.result is not None:
                done(deck.path, found.result)
            else:
                to_run[deck.path] = found
        self.ran = [path for path in to_run if path not in followed]
        self.run(to_run, on_deck=done, on_event=on_event, intake=intake)
        return results

    def look_up(self, deck: Deck, env: dict | None = None) -> Lookup:
        """The deck's run plan and cache key, and its result when the cache has it (or when
        the deck cannot run as written). Reads only: safe beside a run on another thread.
        ``env``: cache.environment(), when the caller looks up many decks."""
        try:
            plan = deck.run_plan(self.options) if isinstance(
                deck, ExerciseRun | GeneralRun) else plan_for(deck, self.options)
        except DeckError as err:  # the deck asks for what only the site may give
            return Lookup(deck, None, "", not_run(deck, err))
        key = cache_mod.deck_key(plan, env or cache_mod.environment())
        raw = self.cache.get(key, plan)
        if raw is None:
            return Lookup(deck, plan, key, None)
        result = judge_deck(deck, plan, raw)
        result.cached = True
        return Lookup(deck, plan, key, result)

    def run(self, lookups: dict[str, Lookup],
            on_deck: Callable[[str, DeckResult], None] | None = None,
            on_event: Callable[[str, dict], None] | None = None,
            intake: Intake | None = None) -> dict[str, tuple[DeckResult, DeckRun]]:
        """Run the looked-up decks (id → lookup; a deck's id is its path, unless it runs
        twice) in the warm pool and cache what they did; id → (judged result, the raw
        events it was judged from). ``on_deck`` may add decks to ``lookups`` and ``intake``
        (under the same id): they run in this run."""
        if not lookups:
            return {}
        plans = {path: found.runnable for path, found in lookups.items()}
        events: dict[str, list[DeckEvent]] = {}
        results: dict[str, tuple[DeckResult, DeckRun]] = {}

        def finish(path: str, raw: DeckRun) -> None:
            found = lookups[path]
            result = judge_deck(found.deck, found.runnable, raw)
            results[path] = (result, raw)
            self.cache.put(found.key, found.runnable, raw)
            if on_deck:
                on_deck(path, result)

        def forward(path: str, event: dict) -> None:
            if event.get("event") == "restart":  # it runs again in a fresh runner
                events[path] = []
                return
            if event.get("event") == "deck-done":
                finish(path, {"events": events.pop(path, []), "done": cast(DeckDone, event)})
            else:
                events.setdefault(path, []).append(cast(DeckEvent, event))
            if on_event:
                on_event(path, event)

        raws = self._pool().run(plans, on_event=forward, intake=intake)
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


class Background:
    """Verification that keeps no live preview waiting (``mkdocs serve``): the cache answers
    at once, and the decks it cannot answer for run on a thread of their own, through the
    verifier's warm pool; ``on_done`` is called when they are done, unless the caller who
    started them waited for them and took their results.

    What a run did is kept until a later ``results`` hands it over (judged against the deck
    as it is then), so nothing runs twice, with or without a cache. Every use of the pool
    (a batch of decks, ``exclusive`` work such as looking for fixes) holds ``lock``."""

    def __init__(self, verifier: Verifier, on_done: Callable[[], None]):
        self.verifier = verifier
        self.on_done = on_done
        self.lock = threading.Lock()
        self._state = threading.Condition()  # guards what follows
        self._ran: dict[str, DeckRun] = {}  # cache key → raw events of a run not handed over
        self._running: set[str] = set()  # cache keys of the decks being run
        self._awaited: set[str] = set()  # keys a caller waits for (it shows them itself)
        self._threads: list[threading.Thread] = []
        self._error: Exception | None = None
        self.ran = 0  # decks the last results() took from a run

    def results(self, items: list[Deck | Exercise], wait: float = 0.0
                ) -> list[DeckResult | None]:
        """Each deck's and exercise's result (as ``Verifier.verify`` gives them), or None for
        one still running after ``wait`` seconds (its runs are started if they are not
        running yet)."""
        done = self._results(runs_of(items), wait)

        def result(item: Deck | Exercise) -> DeckResult | None:
            if not isinstance(item, Exercise):
                return done.get(item.path)
            runs = [done[run.path] for run in item.runs() if run.path in done]
            return judge_exercise(item, *runs) if len(runs) == len(item.runs()) else None
        return [result(item) for item in items]

    def _results(self, decks: list[Deck], wait: float) -> dict[str, DeckResult]:
        if self._error is not None:  # a run failed, as a run the caller waited for would
            error, self._error = self._error, None
            raise error
        env = cache_mod.environment()
        found = {d.path: self.verifier.look_up(d, env) for d in decks}
        self.ran = 0
        results = self._hand_over(found)
        missing = {path: f for path, f in found.items() if path not in results}
        with self._state:
            batch = {path: f for path, f in missing.items() if f.key not in self._running}
            self._running |= {f.key for f in batch.values()}
            keys = {f.key for f in missing.values()}
            if wait > 0:
                self._awaited |= keys
        if batch:
            self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(target=self._run, args=(batch,), daemon=True,
                                      name="slideproof-background")
            self._threads.append(thread)
            thread.start()
        if wait > 0 and missing:
            with self._state:
                self._state.wait_for(lambda: not keys & self._running, timeout=wait)
                self._awaited -= keys
            results.update(self._hand_over(missing))
            if self._error is not None:
                error, self._error = self._error, None
                raise error
        return results

    def _hand_over(self, found: dict[str, Lookup]) -> dict[str, DeckResult]:
        """The results of the decks: those a run of this object made (the cache has them
        too, but they were not cached before this run: they ran), else the cache's.
        Decks with the same code share one run."""
        results: dict[str, DeckResult] = {}
        with self._state:
            for path, f in found.items():
                raw = self._ran.get(f.key) if f.key else None
                if raw is not None:
                    results[path] = judge_deck(f.deck, f.runnable, raw)
                    self.ran += 1
                elif f.result is not None:
                    results[path] = f.result
            for f in found.values():
                self._ran.pop(f.key, None)
        return results

    def _run(self, batch: dict[str, Lookup]) -> None:
        ran: dict[str, tuple[DeckResult, DeckRun]] = {}
        try:
            with self.lock:
                ran = self.verifier.run(batch)
        except Exception as err:  # raised by the next results(), in the caller's thread
            self._error = err
        finally:
            keys = {f.key for f in batch.values()}
            with self._state:
                self._running -= keys
                self._ran.update((batch[path].key, raw) for path, (_, raw) in ran.items())
                tell = bool(keys - self._awaited)
                self._state.notify_all()
        if tell:
            self.on_done()

    @property
    def running(self) -> bool:
        with self._state:
            return bool(self._running)

    def exclusive(self, work: Callable[[], object], wait: bool = True) -> bool:
        """Run ``work`` (which may use the pool) when no run does; without ``wait``, only if
        none does now. Whether it ran."""
        if not self.lock.acquire(blocking=wait):
            return False
        try:
            work()
        finally:
            self.lock.release()
        return True

    def join(self, timeout: float | None = None) -> None:
        for thread in list(self._threads):
            thread.join(timeout)


def runs_of(items: list[Deck | Exercise]) -> list[Deck]:
    """What runs for ``items``: each deck, and each exercise's runs."""
    return [run for item in items for run in (
        item.runs() if isinstance(item, Exercise) else [item])]


def not_run(deck: Deck, err: DeckError) -> DeckResult:
    """A deck that cannot run as written: every block fails with the deck's error."""
    where = f"{err.path}:{err.line}: {err.message}"
    return DeckResult(deck, [BlockResult(block, FAILED, Errors.SP019.format(why=err.message))
                             for block in deck.python_blocks], error=where)
