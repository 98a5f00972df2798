"""Judged results → the JSON report (a contract other tools read) and terminal tables."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import judge
from .atomic import write_atomic
from .errors import coded
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
    return {"path": d.deck.path, "title": d.deck.title, "cached": d.cached,
            "seconds": d.seconds, "error": d.error,
            "blocks": [block_json(r) for r in d.blocks]}


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


def is_ok(verification, policy: Policy) -> bool:
    return (not verification.incomplete and not verification.errors
            and all(not d.error and not d.failures(policy) for d in verification.decks))


def write_json(data: dict, path: str | Path) -> None:
    """Written atomically: a report file is either whole or absent."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def failure_rows(verification):
    """(file:line, status, message, spaCy code) for every problem worth a person's time:
    failing, or a warning the policy lets pass."""
    for e in verification.errors:
        yield f"{e.path}:{e.line}", "invalid deck", e.message, ""
    for d in verification.decks:
        if d.error:
            yield f"{d.deck.path}", Status.FAILED, d.error, ""
        for r in d.blocks:
            if r.status.problem:
                line = r.where
                code = problem_code(r.error, r.warnings)
                message = r.message + (f"\n{r.diff}" if r.diff else "")
                if r.fix:
                    message += "\n" + coded("SP303", path=d.deck.path)
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
    missing = error.get("missing")
    if missing:
        what = missing.get("model") or missing.get("package")
        kind = "model" if missing.get("model") else "package"
        return (("missing", what), f"the {kind} '{what}' is not installed here",
                f"install it with `{missing['install']}`")
    if deck_error and r.status is Status.BLOCKED and not r.blocked_by:
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


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def causes(decks: list[DeckResult]) -> list[Cause]:
    """The reasons blocks did not pass, the one behind most blocks first. A block blocked by
    an earlier failed block counts for that block's cause."""
    found: dict[tuple, Cause] = {}
    for d in decks:
        own: dict[int, tuple] = {}
        for r in d.blocks:
            if not r.status.problem:
                continue
            if r.blocked_by in own:
                key = own[r.blocked_by]
            else:
                key, title, hint = _cause_key(r, d.error)
                found.setdefault(key, Cause(title, hint))
            own[r.block.line] = key
            found[key].blocks.append((d.deck.path, r.where))
            found[key].langs.add(d.deck.language)
    for key, cause in found.items():
        if key[0] in ("NameError", "UnboundLocalError"):
            langs = sorted(lang for lang in cause.langs if lang)
            cause.hint = coded("SP220", langs=" and ".join(f"`{lang}`" for lang in langs),
                               keys=", ".join(f"prelude.{lang}" for lang in langs)) \
                if langs else coded("SP221")
    return sorted(found.values(),
                  key=lambda c: (-len(c.blocks), -c.decks, c.title))
