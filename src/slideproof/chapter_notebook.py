"""Chapter + judged exercises → a notebook to practise in (nbformat v4).

The page's text as Markdown cells; each coding exercise as its skeleton in a code cell to
fill in, the test as a check cell after it (``__solution__`` is the code the reader ran
last, as IPython keeps it in ``_i``; ``__msg__`` wasabi's printer, as in the course's test
template), the hint and the verified solution collapsed (``<details>``, which Jupyter and
mkdocs-jupyter both render) or, when the solution did not pass, the page's notice; a slides
exercise as a link to its deck; a choice as its options, each explanation collapsed. A pure
function, like ``notebook.deck_notebook``.
"""

from __future__ import annotations

from collections.abc import Callable

import nbformat
from nbformat import v4

from .chapter import Chapter, ChoiceRef, CodeRef, Markdown, Section, SlidesRef
from .chapter_page import anchor
from .exercise import ExerciseResult, inputs
from .i18n import words
from .judge import Policy, Status
from .render import fenced, literal
from .render import strings as deck_strings

CHECK = ("from wasabi import msg as __msg__\n"
         "__solution__ = globals().get(\"_i\", \"\")  # the code you ran last\n")


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


def chapter_notebook(chapter: Chapter, exercises: dict[int, ExerciseResult], *,
                     policy: Policy | None = None, spacy_version: str = "",
                     chapter_url: str | None = None,
                     deck_url: Callable[[SlidesRef], str | None] | None = None
                     ) -> nbformat.NotebookNode:
    """``exercises``: the judged exercise of each ``<codeblock>`` line; ``chapter_url`` and
    ``deck_url(ref)``: the chapter's and a deck's page, relative to the notebook's page."""
    policy = policy or Policy()
    lang = chapter.lang or "en"
    s, deck, notebook_words = words(lang, "chapter"), deck_strings(lang), words(lang, "notebook")
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["slideproof"] = {"chapter": chapter.path, "title": chapter.title,
                                 "lang": lang, "spacy": spacy_version}
    cells = nb.cells
    intro = [f"# {chapter.title}"]
    if isinstance(chapter.meta.get("description"), str):
        intro.append(chapter.meta["description"].strip())
    if chapter_url:
        intro.append(f"[← {chapter.title}]({chapter_url})")
    cells.append(v4.new_markdown_cell("\n\n".join(intro)))

    def markdown(text: str) -> None:
        if text.strip():
            cells.append(v4.new_markdown_cell(text.strip("\n")))

    for part in chapter.parts:
        if isinstance(part, Markdown):
            markdown(part.text)
            continue
        markdown(f"## {part.id}. {part.title}" if part.title else f"## {part.id}")
        for item in part.parts:
            if isinstance(item, Markdown):
                markdown(item.text)
            elif isinstance(item, SlidesRef):
                url = deck_url(item) if deck_url else None
                if url:
                    markdown(s["notebook_slides"].format(title=item.source, url=url))
            elif isinstance(item, ChoiceRef):
                markdown(_choice(item, s))
            elif isinstance(item, CodeRef):
                _exercise(cells, exercises.get(item.line), item, part, s, deck,
                          notebook_words, policy, spacy_version)
    nbformat.validate(nb)
    for number, cell in enumerate(nb.cells):  # stable ids: the same file from build to build
        cell.id = f"slideproof-{number}"
    return nb


def _choice(ref: ChoiceRef, s: dict) -> str:
    items = []
    for number, option in enumerate(ref.options, start=1):
        verdict = s["correct"] if option.correct else s["incorrect"]
        items.append(_details(f"{number}. {option.text}",
                              f"**{verdict}** {option.explanation.strip()}"))
    return "\n\n".join(items)


def _exercise(cells: list, result: ExerciseResult | None, ref: CodeRef, section: Section,
              s: dict, deck: dict, notebook_words: dict, policy: Policy,
              spacy_version: str) -> None:
    if result is None:
        cells.append(v4.new_markdown_cell(f"> {s['files_missing']}"))
        return
    ex = result.exercise
    lead = [s["notebook_skeleton"]]
    if inputs(ex.root, [ex.solution.code]):
        lead.append(s["notebook_data"])
    if ref.hint.strip():
        lead.append(_details(s["hint"], ref.hint))
    cells.append(v4.new_markdown_cell("\n\n".join(lead)))
    # The skeleton and its check raise until the blanks are filled in: Run All goes on.
    cells.append(v4.new_code_cell(ex.skeleton.code, metadata={
        "tags": ["raises-exception"], "slideproof": {"exercise": ex.id, "role": "skeleton"}}))
    check = f"# {s['notebook_check']}\n{CHECK}\n{ex.test.code.strip()}\n\ntest()"
    cells.append(v4.new_code_cell(check, metadata={
        "tags": ["raises-exception"], "slideproof": {"exercise": ex.id, "role": "check"}}))
    status = result.status
    if not policy.shows(status):
        notice = s["solution_withheld"].format(v=spacy_version or "?", status=status)
        cells.append(v4.new_markdown_cell(f"> **{s['solution_withheld_title']}** {notice}"))
        return
    body = [fenced("python", ex.solution.code)]
    shown = result.solution.shown_output
    if status is Status.UNVERIFIED or status is Status.SKIPPED:
        body.append(f"> {literal(result.message.split(chr(10))[0])}")
    elif policy.publishes(status) and shown:
        title = f"{deck['output']} · {deck['verified'].format(v=spacy_version)}"
        body.append(f"*{title}*\n\n" + fenced("text", shown))
    cells.append(v4.new_markdown_cell(_details(s["solution"], "\n\n".join(body)),
                                      metadata={"slideproof": {"exercise": ex.id,
                                                               "anchor": anchor(section.id)}}))
