"""Judged results → the JSON report (a contract other tools read) and terminal tables; shard
reports → one JSON report, the same as a single run's."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import judge
from .atomic import write_atomic
from .errors import Errors
from .exercise import ExerciseResult, GeneralRun
from .judge import BlockResult, DeckResult, Policy, Status, hint, problem_code


def block_json(r: BlockResult) -> dict:
    error = None
    if r.error:
        error = {k: r.error.get(k) for k in ("type", "message", "code", "line")}
    return {
        "line": r.block.line,
        "slide": r.block.slide,
        "status": r.status,
        "message": r.message,
        "seconds": r.seconds,
        "output": r.output,
        "display": r.display,
        "expected": r.block.expected.code if r.block.expected else None,
        "expected_line": r.block.expected.line if r.block.expected else None,
        "diff": r.diff or None,
        "error": error,
        "warnings": [{k: w.get(k) for k in ("category", "message", "code")} for w in r.warnings],
        "blocked_by": r.blocked_by,
        "fix": r.fix,
    }


def deck_json(d: DeckResult) -> dict:
    if isinstance(d, ExerciseResult):
        return exercise_json(d)
    blocks = [block_json(r) for r in d.blocks]
    if isinstance(d.deck, GeneralRun):  # the course's general tests: a test per block
        for data, r in zip(blocks, d.blocks):
            data["name"] = r.block.info or None
    return {"kind": "tests" if isinstance(d.deck, GeneralRun) else "deck",
            "path": d.deck.path, "title": d.deck.title, "lang": d.deck.language,
            "cached": d.cached, "seconds": d.seconds, "error": d.error, "blocks": blocks}


def exercise_json(e: ExerciseResult) -> dict:
    """An exercise as one item: its status, where it went wrong (the solution's or the
    test's file and line), its files, its chapter, and the blocks it ran (its solution's,
    then its test's, each with its own file)."""
    ex = e.exercise
    blocks = []
    for r in e.blocks:
        path, line = place(e, r)
        blocks.append({**block_json(r), "path": path, "line": line})
    return {"kind": "exercise", "id": ex.id, "lang": ex.lang, "path": ex.path,
            "title": ex.title, "status": e.status, "message": e.message, "where": e.where,
            "chapter": {"path": ex.chapter, "line": ex.line, "section": ex.section},
            "files": {"skeleton": ex.skeleton.shown, "solution": ex.solution.shown,
                      "test": ex.test.shown},
            "cached": e.cached, "seconds": e.seconds, "error": e.error,
            "warnings": e.warnings, "blocks": blocks}


def shown_json(d: DeckResult) -> dict:
    """What a page shows of a result: its JSON without the timing and where it came from
    (a run or the cache), which no page shows."""
    def strip(data):
        if isinstance(data, dict):
            return {k: strip(v) for k, v in data.items() if k not in ("seconds", "cached")}
        if isinstance(data, list):
            return [strip(v) for v in data]
        return data
    return strip(deck_json(d))


def place(d: DeckResult, r: BlockResult) -> tuple[str, int]:
    """(file, line) a block's problem is shown at: its deck's, or for an exercise's block
    the solution's or the test's own file and line."""
    if isinstance(d, ExerciseResult):
        return d.place(r)
    return d.deck.path, r.where


def sandbox_summary(env: dict) -> str:
    """Which sandbox ran the examples, which bubblewrap, and the walls each deck had, in one
    line (the command line's summary, the report page)."""
    bwrap = env.get("bwrap") or {}
    kind = env.get("sandbox") or "?"
    parts = [kind + (f" ({bwrap.get('source')}, {bwrap.get('version')})"
                     if kind == "bwrap" and bwrap else "")]
    if env.get("walls") == "deck":
        parts.append("namespaces per deck")
    elif env.get("walls") == "runner":
        parts.append("one deck at a time per runner")
    if env.get("landlock"):
        parts.append(f"Landlock ABI {env['landlock']}")
    if env.get("seccomp"):
        parts.append("seccomp")
    return " · ".join(parts)


def summary(decks: list[DeckResult]) -> dict[str, int]:
    return judge.summary(r.status for d in decks for r in d.blocks)


def to_json(verification, policy: Policy) -> dict:
    return {
        "environment": verification.environment,
        "incomplete": verification.incomplete,
        "seconds": round(verification.seconds, 3),
        "summary": summary(verification.decks),
        "ok": is_ok(verification, policy),
        "errors": [{"path": e.path, "line": e.line, "message": e.message}
                   for e in verification.errors],
        "warnings": verification.warnings,
        "decks": [deck_json(d) for d in verification.decks],
    }


def verdict(incomplete: bool, invalid, decks, policy: Policy) -> bool:
    """Whether a run passes: complete, no invalid deck, and no deck that failed as a whole or
    has a block the policy fails. ``decks``: (deck error, block statuses) pairs, so results
    and the JSON of shard reports are judged alike."""
    return (not incomplete and not invalid
            and all(not error and not any(policy.fails(s) for s in statuses)
                    for error, statuses in decks))


def is_ok(verification, policy: Policy) -> bool:
    return verdict(verification.incomplete, verification.errors,
                   ((d.error, [r.status for r in d.blocks]) for d in verification.decks),
                   policy)


def finite(data):
    """``data`` with every number JSON cannot hold (infinity, NaN: a merged report read back
    may have them) as null: the report stays JSON for every reader."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [finite(value) for value in data]
    return data


def write_json(data: dict, path: str | Path) -> None:
    """Written atomically: a report file is either whole or absent."""
    write_atomic(path, json.dumps(finite(data), indent=2, ensure_ascii=False,
                                  allow_nan=False) + "\n")


def failure_rows(verification):
    """(file:line, status, message, spaCy code) for every problem worth a person's time:
    failing, or a warning the policy lets pass."""
    for e in verification.errors:
        yield f"{e.path}:{e.line}", "invalid file", e.message, ""
    for d in verification.decks:
        if isinstance(d, ExerciseResult):  # one row: the exercise's status, where it failed
            if d.status.problem:
                problem = d.problem_block()
                code = problem_code(problem.error, problem.warnings) if problem else ""
                yield d.where, d.status, d.message, code
            continue
        if d.error:
            yield f"{d.deck.path}", Status.FAILED, d.error, ""
        for r in d.blocks:
            if r.status.problem:
                line = r.where
                code = problem_code(r.error, r.warnings)
                message = r.message + (f"\n{r.diff}" if r.diff else "")
                if r.fix:
                    message += "\n" + (Errors.SP304.format(needs=r.fix["needs"], path=d.deck.path)
                                       if r.fix.get("needs") else
                                       Errors.SP303.format(path=d.deck.path))
                yield f"{d.deck.path}:{line}", r.status, message, code


@dataclass
class Cause:
    """One reason many blocks share, e.g. a name no deck defines or a missing package."""

    title: str
    hint: str = ""
    blocks: list[tuple[str, int]] = field(default_factory=list)  # (deck path, line)
    langs: set = field(default_factory=set)

    @property
    def decks(self) -> int:
        return len({path for path, _ in self.blocks})

    def line(self) -> str:
        n = len(self.blocks)
        return (f"{self.title} — {n} block{'s' * (n != 1)} in {self.decks} "
                f"deck{'s' * (self.decks != 1)}" + (f"; {self.hint}" if self.hint else ""))


def _cause_key(r: BlockResult, deck_error: str | None) -> tuple[tuple, str, str]:
    """(key, title, hint) of the reason a block did not pass."""
    error = r.error or {}
    missing = r.lacks or error.get("missing")
    if missing:
        what = missing.get("model") or missing.get("package")
        return (("missing", what), lack_title(missing), f"install it with `{missing['install']}`")
    if deck_error and r.status is Status.FAILED and not r.error:  # its deck's setup broke
        first = deck_error.split(": ", 1)[-1]
        return ("setup", first), f"a deck's setup fails: {first}", ""
    kind = error.get("type", "")
    if kind in ("NameError", "UnboundLocalError") and error.get("name"):
        return ((kind, error["name"]), f"{kind}: '{error['name']}' is not defined", "")
    if r.status in (Status.OUTPUT_DIFFERS, Status.TIMED_OUT, Status.CRASHED) or not kind:
        return ((r.status,), r.status, "")
    text = re.sub(r"\s+", " ", error.get("message", "")).strip()
    if error.get("code"):
        text = text.replace(f"[{error['code']}]", "").strip()
        return ((kind, error["code"]), f"{kind} [{error['code']}]: {_clip(text)}",
                hint(error.get("message", "")))
    return ((kind, text[:100]), f"{kind}: {_clip(text)}", hint(text))


def lack_title(missing: dict) -> str:
    """'the model 'x' is not installed here', for a block's ``lacks``."""
    kind = "model" if missing.get("model") else "package"
    return f"the {kind} '{missing.get(kind)}' is not installed here"


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def causes(decks: list[DeckResult]) -> list[Cause]:
    """The reasons blocks did not pass, the one behind most blocks first. A block blocked by
    an earlier failed block counts for that block's cause."""
    found: dict[tuple, Cause] = {}
    for d in decks:
        own: dict[int, tuple] = {}
        # an exercise counts once, for its first problem (its test stands on its solution)
        blocks = [d.problem_block()] if isinstance(d, ExerciseResult) else d.blocks
        for r in blocks:
            if r is None or not r.status.problem:
                continue
            if r.blocked_by in own:
                key = own[r.blocked_by]
            else:
                key, title, hint = _cause_key(r, d.error)
                found.setdefault(key, Cause(title, hint))
            own[r.block.line] = key
            found[key].blocks.append(place(d, r))
            found[key].langs.add(d.deck.language)
    for key, cause in found.items():
        if key[0] in ("NameError", "UnboundLocalError"):
            langs = sorted(lang for lang in cause.langs if lang)
            cause.hint = Errors.SP220.format(langs=" and ".join(f"`{lang}`" for lang in langs),
                               keys=", ".join(f"prelude.{lang}" for lang in langs)) \
                if langs else Errors.SP221
    return sorted(found.values(),
                  key=lambda c: (-len(c.blocks), -c.decks, c.title))


@dataclass
class NotRunHere:
    """Unverified blocks that share what this machine lacks (``lacks``: a model or a
    package and its install command; None: another reason, given by ``reason``)."""

    lacks: dict | None
    reason: str
    blocks: list[tuple[str, int]] = field(default_factory=list)  # (deck path, line)

    @property
    def why(self) -> str:
        """What is missing and how to install it (English, for logs and the terminal)."""
        return judge.lacking_words(self.lacks) if self.lacks else self.reason

    @property
    def title(self) -> str:
        return lack_title(self.lacks) if self.lacks else _clip(self.reason.split("\n")[0])


def not_run_here(decks: list[DeckResult]) -> list[NotRunHere]:
    """The unverified blocks grouped by what this machine lacks for them, most first (a
    block unverified through an earlier one counts for what that one lacks)."""
    found: dict[tuple, NotRunHere] = {}
    for d in decks:
        for r in d.blocks:
            if r.status is not Status.UNVERIFIED:
                continue
            lacks = r.lacks
            key = (("model", lacks.get("model")) if lacks.get("model") else
                   ("package", lacks.get("package"))) if lacks else ("other", r.message)
            found.setdefault(key, NotRunHere(lacks, r.message)).blocks.append(place(d, r))
    return sorted(found.values(), key=lambda g: -len(g.blocks))


@dataclass
class Outcome:
    """What happened to a site's examples, in the words of a reader: how many ran, and
    why the others did not."""

    total: int = 0
    ran: int = 0  # ran to their verdict: passed, expected-error, output-differs, deprecated, failed
    wrong: int = 0  # of those: failed, or printed something other than the slide shows
    not_run_here: list[NotRunHere] = field(default_factory=list)
    skipped: int = 0
    unfinished: int = 0  # timed out or crashed
    blocked: int = 0  # not run because an earlier example failed

    @property
    def clean(self) -> bool:
        return self.ran == self.total and not self.wrong

    def line(self) -> str:
        """One sentence for logs and the terminal."""
        if self.clean:
            return f"all {self.total} examples ran"
        parts = [f"{self.ran} of {self.total} examples ran"
                 + (f" ({self.wrong} failed or differ from their slides)" if self.wrong else "")]
        missing = sum(len(g.blocks) for g in self.not_run_here)
        if missing:
            parts.append(f"{missing} could not run here: " + "; ".join(
                f"{g.title} ({len(g.blocks)})" for g in self.not_run_here))
        if self.skipped:
            parts.append(f"{self.skipped} skipped by their authors")
        if self.unfinished:
            parts.append(f"{self.unfinished} did not finish")
        if self.blocked:
            parts.append(f"{self.blocked} not run because an earlier example failed")
        return "; ".join(parts)


def outcome(decks: list[DeckResult]) -> Outcome:
    found = Outcome(not_run_here=not_run_here(decks))
    for d in decks:
        for r in d.blocks:
            found.total += 1
            if r.status.ran:
                found.ran += 1
                found.wrong += r.status in (Status.FAILED, Status.OUTPUT_DIFFERS)
            elif r.status is Status.SKIPPED:
                found.skipped += 1
            elif r.status in (Status.TIMED_OUT, Status.CRASHED):
                found.unfinished += 1
            elif r.status is Status.BLOCKED:
                found.blocked += 1
    return found


# -- merging shard reports -----------------------------------------------------------------
class MergeError(ValueError):
    pass


def merge_reports(parts: list[dict], policy: Policy | None = None) -> dict:
    """Join reports of shard runs (or of runs on different folders) into one report.

    Decks and invalid decks come in the order a single run would list them (the shard
    reports carry that order); without shard information, in the order of ``parts``.
    ``summary`` and ``ok`` are recomputed; the result is ``incomplete`` if any part is, or
    if a shard of the matrix is missing.
    """
    _check_reports(parts)
    order, missing = _shard_matrix(parts)
    incomplete = bool(missing) or any(bool(p.get("incomplete")) for p in parts)
    decks = [d for p in parts for d in p["decks"]]
    _check_each_deck_once(decks)
    decks = _in_order(decks, order)
    errors = _in_order([e for p in parts for e in p.get("errors") or []], order)
    environment = parts[0].get("environment") or {}
    warnings = _merged_warnings(missing, _environment_differences(environment, parts[1:]),
                                parts)
    merged = {
        "environment": environment,
        "incomplete": incomplete,
        "seconds": max(float(p.get("seconds") or 0.0) for p in parts),
        "summary": judge.summary(b["status"] for d in decks for b in d["blocks"]),
        "ok": all(p.get("ok") for p in parts) and verdict(
            incomplete, errors, ((d.get("error"), [b["status"] for b in d["blocks"]])
                                 for d in decks), policy or Policy()),
        "errors": errors,
        "warnings": warnings,
        "decks": decks,
    }
    # Keep any key a newer report has that this merge does not know, from the first part.
    merged.update((key, value) for key, value in parts[0].items()
                  if key not in merged and key != "shard")
    return merged


def _check_reports(parts: list[dict]) -> None:
    """Raise MergeError unless there is something to merge and each part is a report."""
    if not parts:
        raise MergeError("nothing to merge")
    for i, part in enumerate(parts):
        if not isinstance(part, dict) or not isinstance(part.get("decks"), list):
            raise MergeError(f"report {i + 1} is not a slideproof JSON report")


def _shard_matrix(parts: list[dict]) -> tuple[dict[str, int], list[str]]:
    """Each deck's place in a single run's list and the shards not given ("K/N"), when the
    parts are shard reports of one matrix; ({}, []) when none is a shard report. Raises
    MergeError for a mix, reports of different matrices, or a shard given twice."""
    shards = [s for p in parts if isinstance(s := p.get("shard"), dict)]
    if not shards:
        return {}, []
    if len(shards) != len(parts):
        raise MergeError("some reports are shard reports (--shard) and some are not")
    counts = {s.get("count") for s in shards}
    lists = {tuple(s.get("paths") or ()) for s in shards}
    if len(counts) != 1 or len(lists) != 1:
        raise MergeError("the reports come from different shard matrices "
                         "(a different --shard N or a different set of decks)")
    count = counts.pop()
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise MergeError(f"the shard reports give no number of shards ({count!r})")
    seen: dict[object, int] = {}  # shard index → its report
    for i, s in enumerate(shards):
        if s.get("index") in seen:
            raise MergeError(f"shard {s.get('index')}/{count} is given twice "
                             f"(reports {seen[s.get('index')] + 1} and {i + 1})")
        seen[s.get("index")] = i
    missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in seen]
    return {path: i for i, path in enumerate(lists.pop())}, missing


def _check_each_deck_once(decks: list[dict]) -> None:
    seen: set[str] = set()
    for d in decks:
        if d["path"] in seen:
            raise MergeError(f"the deck {d['path']} is in more than one report")
        seen.add(d["path"])


def _in_order(items: list[dict], order: dict[str, int]) -> list[dict]:
    """``items`` (decks or invalid decks) by their path's place in ``order``; those it does
    not list after, each group in the order given."""
    return [item for _, item in sorted(enumerate(items), key=lambda t: (
        order.get(t[1]["path"], len(order)), t[0]))]


def _merged_warnings(missing: list[str], differences: list[str],
                     parts: list[dict]) -> list[str]:
    """The merge's own warnings (shards not given, other environments), then each part's
    warnings, each once."""
    warnings = ["missing shard report(s): " + ", ".join(missing)] if missing else []
    warnings += differences
    for warning in (w for part in parts for w in part.get("warnings") or []):
        if warning not in warnings:
            warnings.append(warning)
    return warnings


def _environment_differences(environment: dict, others: list[dict]) -> list[str]:
    """A warning for each report made in another environment than ``environment`` (the
    first report's), naming the first difference."""
    warnings = []
    for p in others:
        env = p.get("environment") or {}
        for key in ("python", "spacy", "thinc", "models"):
            if env.get(key) != environment.get(key):
                warnings.append(f"the reports were made in different environments "
                                f"({key}: {environment.get(key)} and {env.get(key)})")
                break
    return warnings
