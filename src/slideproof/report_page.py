"""Judged results + environment → the Markdown of the site's verification report page.

A pure function of its inputs (no MkDocs import): every deck, every python block, its
status, time and message, the Python / spaCy / thinc / model versions it was checked
with, and a link from each block to its slide (``../chapter1/01-basics/#slide-3``). The
MkDocs plugin adds the result as a generated page; any other engine can do the same.
The page needs only the ``tables`` and ``md_in_html``-free Markdown every engine has.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence

from .chapter_page import anchor
from .errors import DeckError
from .exercise import ExerciseResult
from .i18n import words
from .judge import DeckResult, Policy, Status
from .render import literal, strings
from .report import Outcome, causes, outcome, sandbox_summary
from .report import summary as status_counts


def page_strings(lang: str | None) -> dict[str, str]:
    return words(lang, "report")


def _cell(text: object) -> str:
    """Text shown as it is inside a Markdown table cell: one line, no Markdown, no HTML."""
    return " ".join(literal(text).split())


def _inline_code(text: object) -> str:
    """``text`` as inline code in a table cell."""
    return f"<code>{_cell(text)}</code>"


def _summary(message: str, limit: int = 240) -> str:
    """The first paragraph of a message, shortened: the JSON report has it whole."""
    first = (message or "").strip().split("\n\n")[0]
    return first if len(first) <= limit else first[:limit - 1].rstrip() + "…"


def _status(status: str) -> str:
    return f'<span class="sp-status sp-status--{status}">{status}</span>'


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value else "—"


# Statuses that need the author's attention: the Problems table lists them first.
PROBLEMS = tuple(st for st in Status if st.problem)


def _anchor(status: str) -> str:
    return f"sp-{status}"


def report_markdown(results: Iterable[DeckResult], environment: dict, *,
                    link: Callable[[str], str | None] | None = None,
                    lang: str | None = "en", policy: Policy | None = None,
                    errors: Iterable[DeckError] = (), json_url: str | None = None,
                    running: int = 0) -> str:
    """The report page. ``link(deck_path)`` gives the URL of a deck's page relative to the
    report page (or None: the deck is not on this site); slide anchors are ``#slide-N``.
    ``json_url``: where the same report is as JSON, relative to this page. ``running``:
    decks still running (a live preview), which ``results`` does not have yet.

    Sections, in order: environment, summary (each count links to its first row),
    problems (every block that needs the author, and every deck that failed as a whole or
    could not be read), then each deck with all its blocks."""
    s = page_strings(lang)
    page = _Page(s, policy or Policy(), link or (lambda path: None), lang)
    everything = list(results)
    results = [r for r in everything if not isinstance(r, ExerciseResult)]
    exercises = [r for r in everything if isinstance(r, ExerciseResult)]
    errors = list(errors)
    out = [f"# {s['title']}", "", f"{page.lead(outcome(results))} "
           f"{page.lead_exercises(exercises)}{s['intro']}", ""]
    if running:
        out += [f'!!! note ""\n    {s["running"].format(n=running)}', ""]
    if json_url:
        out += [f'<a href="{html.escape(json_url)}" download>{s["json"]}</a>', ""]
    out += page.environment(environment)
    problems = page.problems(results, errors, exercises)  # assigns the summary's anchors
    decks = page.decks(results)
    out += page.summary(everything)
    out += page.causes(everything)
    out += problems
    out += decks
    out += page.exercises(exercises)
    return "\n".join(out) + "\n"


class _Page:
    def __init__(self, s: dict, policy: Policy, link: Callable[[str], str | None],
                 lang: str | None = "en"):
        self.s, self.policy, self.link, self.lang = s, policy, link, lang
        self.anchored: set[str] = set()  # statuses whose first row has its anchor

    def status(self, status: str) -> str:
        """A status badge; the first one of each status carries the anchor the summary
        count links to."""
        anchor = ""
        if status not in self.anchored:
            self.anchored.add(status)
            anchor = f' id="{_anchor(status)}"'
        return f'<span class="sp-status sp-status--{status}"{anchor}>{status}</span>'

    def lead(self, found: Outcome) -> str:
        """What really happened, in one sentence: how many examples ran, and why the others
        did not (what this machine lacks, with the command that installs it)."""
        s, deck = self.s, strings(self.lang)
        if found.clean:
            return s["lead_all"].format(total=found.total)
        parts = [s["lead_ran"].format(ran=found.ran, total=found.total)]
        if found.wrong:
            parts.append(s["lead_wrong"].format(n=found.wrong))
        missing = sum(len(g.blocks) for g in found.not_run_here)
        if missing:
            causes = []
            for group in found.not_run_here:
                lacks = group.lacks or {}
                if not lacks:
                    causes.append(f"{_cell(_summary(group.reason, 120))} ({len(group.blocks)})")
                    continue
                what = deck["lacks_model"].format(model=_inline_code(lacks["model"])) \
                    if lacks.get("model") else \
                    deck["lacks_package"].format(package=_inline_code(lacks["package"]))
                causes.append(s["lead_cause"].format(what=what, n=len(group.blocks),
                                                     install=_inline_code(lacks["install"])))
            parts.append(s["lead_not_run_here"].format(n=missing, causes="; ".join(causes)))
        for key, n in (("lead_skipped", found.skipped), ("lead_unfinished", found.unfinished),
                       ("lead_blocked", found.blocked)):
            if n:
                parts.append(s[key].format(n=n))
        return "; ".join(parts) + "."

    def environment(self, environment: dict) -> list[str]:
        s = self.s
        out = [f"## {s['environment']}", "", f"| {s['component']} | {s['version']} |",
               "|---|---|"]
        for key in ("python", "spacy", "thinc", "slideproof"):
            if environment.get(key):
                out.append(f"| {s[key]} | {_inline_code(environment[key])} |")
        if environment.get("sandbox"):
            out.append(f"| {s['sandbox']} | {_cell(sandbox_summary(environment))} |")
        models = environment.get("models") or {}
        if models:
            listed = ", ".join(
                f"{_inline_code(name)} → {_inline_code(info.get('target', name))} "
                f"{_cell(info.get('version') or '?')}" if isinstance(info, dict) and
                info.get("target", name) != name else
                f"{_inline_code(name)} {_cell((info or {}).get('version') or '?')}"
                for name, info in sorted(models.items()))
            out.append(f"| {s['models']} | {listed} |")
        else:
            out.append(f"| {s['models']} | {s['none']} |")
        out.append("")
        if environment.get("sandbox_warning"):  # weaker than bubblewrap: said where it shows
            out += ['!!! warning ""', "", f"    {_cell(environment['sandbox_warning'])}", ""]
        return out

    def summary(self, results: list[DeckResult]) -> list[str]:
        s = self.s
        counts = status_counts(results)
        out = [f"## {s['summary']}", "", f"| {s['status']} | {s['count']} |", "|---|--:|"]
        for status, n in counts.items():
            if n:
                out.append(f'| {_status(status)} | <a href="#{_anchor(status)}">{n}</a> |')
        out.append(f"| **{s['total']}** | **{sum(counts.values())}** |")
        return [*out, ""]

    def causes(self, results: list[DeckResult]) -> list[str]:
        """What most blocks fail for, before the blocks themselves."""
        found = causes(results)
        if not found:
            return []
        return [f"## {self.s['causes']}", "", *(f"- {_cell(c.line())}" for c in found), ""]

    def problems(self, results: list[DeckResult], errors: list[DeckError],
                 exercises: Sequence[ExerciseResult] = ()) -> list[str]:
        s = self.s
        rows = []
        for status in PROBLEMS:
            for d in results:
                url = self.link(d.deck.path)
                for r in d.blocks:
                    if r.status == status:
                        rows.append((self.status(status), self.note(r), self.deck(d, url),
                                     self.slide(r.block.slide, url)))
            for e in exercises:
                if e.status == status:
                    rows.append((self.status(status), self.exercise_note(e),
                                 self.exercise(e), "—"))
        for d in results:
            if d.error:
                rows.append((s["deck_error"], _cell(_summary(d.error)),
                             self.deck(d, self.link(d.deck.path)), "—"))
        for invalid in errors:
            rows.append((s["unreadable"], _cell(invalid.message),
                         f"{_inline_code(invalid.path)}:{invalid.line}", "—"))
        out = [f"## {s['problems']}", ""]
        if not rows:
            return [*out, s["no_problems"], ""]
        out += [f"| {s['status']} | {s['cause']} | {s['deck']} | {s['slide']} |",
                "|---|---|---|--:|"]
        out += [f"| {' | '.join(row)} |" for row in rows]
        return [*out, ""]

    def note(self, r) -> str:
        note = _cell(_summary(r.message))
        if not self.policy.shows(r.status):
            note = f"{note} ({self.s['withheld']})" if note else self.s["withheld"]
        if r.fix:  # looked for when the site is served: verified and partial told apart
            note += " — " + (self.s["fix_partial"].format(needs=_cell(r.fix["needs"]))
                             if r.fix.get("needs") else self.s["fix_verified"])
        return note

    @staticmethod
    def deck(d: DeckResult, url: str | None) -> str:
        title = _cell(d.deck.title)
        return f"[{title}]({url})" if url else title

    @staticmethod
    def slide(slide: int, url: str | None) -> str:
        if not slide:  # a block of a file that is no deck (a general test)
            return "—"
        return f"[{slide}]({url}#slide-{slide})" if url else str(slide)

    def lead_exercises(self, exercises: list[ExerciseResult]) -> str:
        if not exercises:
            return ""
        passed = sum(1 for e in exercises if e.status is Status.PASSED)
        return self.s["lead_exercises"].format(passed=passed, total=len(exercises)) + " "

    def exercise(self, e: ExerciseResult) -> str:
        """The exercise, linked to its section of its chapter page (when on this site)."""
        ex = e.exercise
        title = _cell(f"{ex.id} · {ex.title}" if ex.title else ex.id)
        url = self.link(ex.chapter)
        return f"[{title}]({url}#{anchor(ex.section)})" if url else title

    def exercise_note(self, e: ExerciseResult) -> str:
        note = self.note(e.solution) if e.status is e.solution.status else _cell(
            _summary(e.message))
        if not self.policy.shows(e.status) and self.s["withheld"] not in note:
            note = f"{note} ({self.s['withheld']})" if note else self.s["withheld"]
        return " — ".join([note, *(_cell(_summary(w)) for w in e.warnings)]) if note \
            else " — ".join(_cell(_summary(w)) for w in e.warnings)

    def exercises(self, exercises: list[ExerciseResult]) -> list[str]:
        """Every coding exercise: its status, where it went wrong, its time."""
        if not exercises:
            return []
        s = self.s
        out = [f"## {s['exercises']}", "",
               f"| {s['exercise']} | {s['status']} | {s['where']} | {s['time']} | "
               f"{s['message']} |", "|---|---|---|--:|---|"]
        for e in exercises:
            where = _inline_code(e.where) if e.status.problem or e.status is Status.SKIPPED else "—"
            out.append(f"| {self.exercise(e)} | {self.status(e.status)} | {where} | "
                       f"{_seconds(e.seconds)} | {self.exercise_note(e)} |")
        return [*out, ""]

    def decks(self, results: list[DeckResult]) -> list[str]:
        s = self.s
        out = [f"## {s['decks']}", ""]
        if not results:
            out += [s["no_decks"], ""]
        for d in results:
            url = self.link(d.deck.path)
            out += [f"### {self.deck(d, url)}", ""]
            facts = [_inline_code(d.deck.path), _seconds(d.seconds)]
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
                out.append(f"| {self.slide(r.block.slide, url)} | {r.where} | "
                           f"{self.status(r.status)} | {_seconds(r.seconds)} | {self.note(r)} |")
            out.append("")
        return out
