"""Chapter + judged exercises and decks → Markdown for a Material page.

Each ``<exercise>`` becomes a numbered section (``## 2. Title``, anchored ``#exercise-2``, in
the page's table of contents). A slides exercise embeds its deck, rendered as its own page
renders it (withheld examples stay withheld), under a button that presents it on the deck's
page and a link to that page. A coding exercise shows the skeleton, the hint and the
verified solution with its real output, both collapsed; a solution that did not pass its
test is withheld behind a notice, in the page's language. A choice is a radio group: the
explanation of the chosen option shows (CSS alone; the page's script announces it), and
without styles every option reads with its verdict and explanation. Like ``render``, it needs
``md_in_html``, ``attr_list``, ``pymdownx.details`` and ``pymdownx.superfences``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .chapter import Chapter, ChoiceRef, CodeRef, Markdown, Section, SlidesRef
from .deck import Deck
from .exercise import ExerciseResult
from .i18n import words
from .judge import DeckResult, Policy, Status
from .render import KIND_ADMONITION, STATUS_ADMONITION, Renderer, fenced, literal, not_run_words
from .render import strings as deck_strings


def anchor(section_id: str) -> str:
    """The id of an exercise's section: ``exercise-2``."""
    return "exercise-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", section_id).strip("-") or "x")


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line.strip() else "" for line in text.split("\n"))


@dataclass
class ChapterRenderer:
    """``exercises``: the judged exercise of each ``<codeblock>`` line; ``decks``: each
    embedded deck (by its file) with its result; ``deck_url(ref)``: the deck page's address,
    relative to this page's;
    ``static_url``/``static_source``: as for a deck, seen from this page."""

    chapter: Chapter
    exercises: dict[int, ExerciseResult] = field(default_factory=dict)
    decks: dict[str, tuple[Deck, DeckResult | None]] = field(default_factory=dict)
    mode: str = "build"
    policy: Policy = field(default_factory=Policy)
    spacy_version: str = ""
    deck_url: Callable[[SlidesRef], str | None] = lambda ref: None
    static_url: Callable[[str], str] | None = None
    static_source: Callable[[str], str] | None = None
    title: bool = True  # the page's Markdown starts with its title

    def __post_init__(self):
        lang = self.chapter.lang or "en"
        self.s = words(lang, "chapter")
        self.deck_words = deck_strings(lang)
        self.ui = words(lang, "ui")

    def markdown(self) -> str:
        # (a page template that writes the title itself, as chapter.html does, wants none)
        out = [f"# {literal(self.chapter.title)}", ""] if self.title else []
        description = self.chapter.meta.get("description")
        if isinstance(description, str) and description.strip():
            out += [f'<p class="sp-chapter__description">{html.escape(description.strip())}'
                    "</p>", ""]
        for part in self.chapter.parts:
            out += [self.section(part) if isinstance(part, Section) else part.text, ""]
        return "\n".join(out)

    # -- sections ---------------------------------------------------------------------------
    def section(self, section: Section) -> str:
        number = section.id if section.id.isdigit() else ""
        title = literal(section.title) if section.title else self.s["exercise"].format(
            n=literal(section.id))
        heading = f"{number}. {title}" if number and section.title else title
        kind = literal(section.kind.replace(",", " ")) if section.kind else ""
        out = [f'<section class="sp-exercise" data-exercise="{html.escape(section.id)}"'
               f'{f" data-kind={chr(34)}{kind}{chr(34)}" if kind else ""} markdown="1">', "",
               f"## {heading} {{ #{anchor(section.id)} }}", ""]
        for part in section.parts:
            if isinstance(part, Markdown):
                out.append(part.text)
            elif isinstance(part, SlidesRef):
                out.append(self.slides(part, section))
            elif isinstance(part, CodeRef):
                out.append(self.code(part))
            elif isinstance(part, ChoiceRef):
                out.append(self.choice(part, section))
            out.append("")
        out += ["</section>", ""]
        return "\n".join(out)

    def slides(self, ref: SlidesRef, section: Section) -> str:
        found = self.decks.get(ref.file) if ref.file else None
        if found is None:
            return f'!!! failure "{literal(ref.source)}"\n    {self.s["deck_missing"]}'
        deck, result = found
        url = html.escape(self.deck_url(ref) or "", quote=True)
        renderer = Renderer(deck, result.blocks if result else None, mode=self.mode,
                            policy=self.policy, lang=deck.language or self.chapter.lang,
                            spacy_version=self.spacy_version, static_url=self.static_url,
                            static_source=self.static_source,
                            embedded=f"{anchor(section.id)}-")
        buttons = (f'<p class="sp-embed__actions"><a class="md-button md-button--primary '
                   f'sp-embed__present" href="{url}#present-1"><span aria-hidden="true">▶'
                   f'</span> {self.s["present"]}</a> <a class="md-button sp-embed__open" '
                   f'href="{url}">{self.s["open_slides"]}</a></p>') if url else ""
        return "\n".join([
            f'<div class="sp-embed" data-deck="{html.escape(ref.source)}" markdown="1">', "",
            buttons, "", renderer.markdown(), "</div>"])

    def code(self, ref: CodeRef) -> str:
        result = self.exercises.get(ref.line)
        if result is None:
            return f'!!! failure "{literal(ref.id)}"\n    {self.s["files_missing"]}'
        ex = result.exercise
        name = ex.skeleton.shown.rsplit("/", 1)[-1]
        out = [f'<div class="sp-code" data-exercise-id="{html.escape(ex.id)}" '
               f'data-status="{result.status}" markdown="1">', "",
               fenced("python", ex.skeleton.code, title=name), ""]
        if ref.hint.strip():
            out += [f'??? tip "{self.s["hint"]}"', _indent(ref.hint), ""]
        out += [self.solution(result), ""]
        if self.mode == "serve" and (result.status is not Status.PASSED or result.warnings):
            out += [self.status_box(result), ""]
        out.append("</div>")
        return "\n".join(out)

    def solution(self, result: ExerciseResult) -> str:
        ex, status = result.exercise, result.status
        s, deck = self.s, self.deck_words
        if self.mode == "build" and not self.policy.shows(status):
            notice = s["solution_withheld"].format(v=self.spacy_version or "?", status=status)
            return f'!!! info "{s["solution_withheld_title"]}"\n    {notice}'
        body = [fenced("python", ex.solution.code,
                      title=ex.solution.shown.rsplit("/", 1)[-1])]
        shown = result.solution.shown_output
        if status is Status.UNVERIFIED or status is Status.SKIPPED:
            problem = result.problem_block() or result.solution
            title, text = not_run_words(problem, deck)
            body.append(f'!!! question "{title}"\n    {text}')
        elif self.policy.publishes(status) and shown:
            # (no HTML block in a collapsed block: the output's fence carries the class)
            title = f"{deck['output']} · {deck['verified'].format(v=self.spacy_version)}"
            fence = fenced("text", shown, title=title)
            ticks = fence[:len(fence) - len(fence.lstrip("`"))]
            body.append(f'{ticks}{{.text .sp-output title="{title}"}}\n'
                        + fence.split("\n", 1)[1])
        return f'??? success "{s["solution"]}"\n' + _indent("\n\n".join(body))

    def status_box(self, result: ExerciseResult) -> str:
        """The served view: what went wrong, where, and what the skeleton says."""
        body = []
        if result.status is not Status.PASSED:
            body.append(literal(result.message))
            problem = result.problem_block()
            error = (problem.error if problem else None) or {}
            if error.get("traceback") and result.status is Status.FAILED:
                body.append(fenced("pytb", error["traceback"].strip()))
            fix = result.solution.fix
            if fix:  # as a deck's block says it (render.Renderer.status_box)
                rules = ", ".join(fix["rules"])
                body.append(f"Partial fix ({rules}): it fixes the spaCy 3 API; the solution "
                            f"still needs {literal(fix['needs'])}." if fix.get("needs") else
                            f"Verified fix ({fix['outcome']}, {rules}):")
                body[-1] += f" `slideproof fix {result.exercise.path}`"
                body.append(fenced("diff", fix["diff"]))
        body += [literal(w) for w in result.warnings]
        kind = STATUS_ADMONITION.get(result.status) or KIND_ADMONITION[result.status.kind]
        if result.status is Status.PASSED:
            kind = "warning"
        title = literal(f"{result.status} — {result.where}")
        return f'!!! {kind} "{title}"\n' + _indent("\n\n".join(body))

    def choice(self, ref: ChoiceRef, section: Section) -> str:
        name = f"sp-choice-{anchor(section.id)}-{ref.line}"
        out = ['<fieldset class="sp-choice" data-sp-choice markdown="1">',
               f'<legend class="sp-choice__legend">{self.s["choose"]}</legend>', ""]
        for number, option in enumerate(ref.options, start=1):
            ident = f"{name}-{number}"
            verdict = self.s["correct"] if option.correct else self.s["incorrect"]
            out += ['<div class="sp-choice__option" markdown="1">',
                    f'<div class="sp-choice__answer"><input class="sp-choice__input" '
                    f'type="radio" name="{name}" id="{ident}" value="{number}">'
                    f'<label class="sp-choice__label" for="{ident}">{option.text}</label>'
                    "</div>", "",
                    f'<div class="sp-choice__explanation" data-correct='
                    f'"{str(option.correct).lower()}" markdown="1">', "",
                    f"**{verdict}** {option.explanation.strip()}", "", "</div>", "</div>", ""]
        out += ['<p class="sp-choice__feedback" role="status" aria-live="polite"></p>',
                "</fieldset>"]
        return "\n".join(out)
