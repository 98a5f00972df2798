"""Judged results → the JSON report (a contract other tools read) and terminal tables."""

from __future__ import annotations

import json
from pathlib import Path

from .atomic import write_atomic
from .errors import Errors
from .judge import STATUSES, BlockResult, DeckResult, Policy


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
    counts = dict.fromkeys(STATUSES, 0)
    for d in decks:
        for status, n in d.counts().items():
            counts[status] += n
    return counts


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


def failure_rows(verification, policy: Policy):
    """(file:line, status, message, spaCy code) for every problem worth a person's time."""
    for e in verification.errors:
        yield f"{e.path}:{e.line}", "invalid deck", e.message, ""
    for d in verification.decks:
        if d.error:
            yield f"{d.deck.path}", "failed", d.error, ""
        for r in d.blocks:
            if policy.fails(r.status) or r.status in ("deprecated", "unverified",
                                                       "output-differs"):
                line = r.where
                code = (r.error or {}).get("code") or next(
                    (w["code"] for w in r.warnings if w.get("code")), "") or ""
                message = r.message + (f"\n{r.diff}" if r.diff else "")
                if r.fix:
                    message += f"\n[SP303] {Errors.SP303.format(path=d.deck.path)}"
                yield f"{d.deck.path}:{line}", r.status, message, code
