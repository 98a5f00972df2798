"""Judged results + environment → the Markdown of the site's verification report page.

A pure function of its inputs (no MkDocs import): every deck, every python block, its
status, time and message, the Python / spaCy / thinc / model versions it was checked
with, and a link from each block to its slide (``../chapter1/01-basics/#slide-3``). The
MkDocs plugin adds the result as a generated page; any other engine can do the same.
The page needs only the ``tables`` and ``md_in_html``-free Markdown every engine has.
"""

from __future__ import annotations

import html
from typing import Callable, Iterable

from .errors import DeckError
from .i18n import words
from .judge import STATUSES, DeckResult, Policy


def page_strings(lang: str | None) -> dict[str, str]:
    return words(lang, "report")


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, no pipes, no raw HTML."""
    value = html.escape(str(text if text is not None else ""), quote=False)
    value = " ".join(value.split())
    return value.replace("|", "\\|").replace("`", "&#96;")


def _summary(message: str, limit: int = 240) -> str:
    """The first paragraph of a message, shortened: the JSON report has it whole."""
    first = (message or "").strip().split("\n\n")[0]
    return first if len(first) <= limit else first[:limit - 1].rstrip() + "…"


def _status(status: str) -> str:
    return f'<span class="sp-status sp-status--{status}">{status}</span>'


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value else "—"


def report_markdown(results: Iterable[DeckResult], environment: dict, *,
                    link: Callable[[str], str | None] | None = None,
                    lang: str | None = "en", policy: Policy | None = None,
                    errors: Iterable[DeckError] = ()) -> str:
    """The report page. ``link(deck_path)`` gives the URL of a deck's page relative to the
    report page (or None: the deck is not on this site); slide anchors are ``#slide-N``."""
    s = page_strings(lang)
    policy = policy or Policy()
    results = list(results)
    errors = list(errors)
    link = link or (lambda path: None)
    out = [f"# {s['title']}", "", s["intro"], ""]

    out += [f"## {s['environment']}", "", f"| {s['component']} | {s['version']} |", "|---|---|"]
    for key in ("python", "spacy", "thinc", "sandbox", "slideproof"):
        if environment.get(key):
            out.append(f"| {s[key]} | `{_cell(environment[key])}` |")
    models = environment.get("models") or {}
    if models:
        listed = ", ".join(
            f"`{_cell(name)}` → `{_cell(info.get('target', name))}` "
            f"{_cell(info.get('version') or '?')}" if isinstance(info, dict) and
            info.get("target", name) != name else
            f"`{_cell(name)}` {_cell((info or {}).get('version') or '?')}"
            for name, info in sorted(models.items()))
        out.append(f"| {s['models']} | {listed} |")
    else:
        out.append(f"| {s['models']} | {s['none']} |")
    out.append("")

    counts = dict.fromkeys(STATUSES, 0)
    for d in results:
        for status, n in d.counts().items():
            counts[status] = counts.get(status, 0) + n
    out += [f"## {s['summary']}", "", f"| {s['status']} | {s['count']} |", "|---|--:|"]
    for status, n in counts.items():
        if n:
            out.append(f"| {_status(status)} | {n} |")
    out.append(f"| **{s['total']}** | **{sum(counts.values())}** |")
    out.append("")

    if errors:
        out += [f"## {s['unreadable']}", ""]
        for e in errors:
            out.append(f"- `{_cell(e.path)}:{e.line}` — {_cell(e.message)}")
        out.append("")

    out += [f"## {s['decks']}", ""]
    if not results:
        out += [s["no_decks"], ""]
    for d in results:
        url = link(d.deck.path)
        title = _cell(d.deck.title)
        heading = f"[{title}]({url})" if url else title
        out += [f"### {heading}", ""]
        facts = [f"`{_cell(d.deck.path)}`", _seconds(d.seconds)]
        if d.cached:
            facts.append(s["cached"])
        out += [" · ".join(facts), ""]
        if d.error:
            out += [f"**{s['deck_error']}:** {_cell(d.error)}", ""]
        if not d.blocks:
            out += [s["no_blocks"], ""]
            continue
        out += [f"| {s['slide']} | {s['line']} | {s['status']} | {s['time']} | "
                f"{s['message']} |", "|--:|--:|---|--:|---|"]
        for r in d.blocks:
            slide = r.block.slide
            slide_cell = f"[{slide}]({url}#slide-{slide})" if url else str(slide)
            line = r.where
            note = _cell(_summary(r.message))
            if not policy.publishes(r.status) and r.status != "skipped":
                note = f"{note} ({s['withheld']})" if note else s["withheld"]
            out.append(f"| {slide_cell} | {line} | {_status(r.status)} | "
                       f"{_seconds(r.seconds)} | {note} |")
        out.append("")
    return "\n".join(out) + "\n"
