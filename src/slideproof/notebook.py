"""Deck + its judged results → a Jupyter notebook (nbformat v4) with the real outputs.

A pure function (no MkDocs import). Slide text and notes become Markdown cells, published
python blocks become code cells carrying the output of this build's run: printed text as a
``stream`` output, the last expression's value as ``execute_result`` (``text/plain``), a
declared error as an ``error`` output. Setup code and hidden blocks are included, tagged
``slideproof-hidden`` (so a site can leave them out of the rendered page while the
downloaded notebook still runs top to bottom). Cells meant to raise are tagged
``raises-exception``; withheld blocks are kept, after a notice, so "Run All" runs the
notebook top to bottom as the build ran the deck (see ``withheld`` below).
"""

from __future__ import annotations

from collections.abc import Callable

import nbformat
from nbformat import v4

from .deck import Block, Deck, Slide, Text
from .i18n import words
from .judge import BlockResult, DeckResult, Policy, Status, defined_names, used_names
from .render import fenced, literal, not_run_words, slide_text, strings

HIDDEN_TAG = "slideproof-hidden"
WITHHELD_TAG = "slideproof-withheld"  # a block the deck page withholds, kept so later cells run
RAISES_TAG = "raises-exception"  # Jupyter's (and nbclient's) mark for a cell meant to raise


def status_ran(r: BlockResult) -> bool:
    """Whether the block ran to its end or to its own exception in the deck's session."""
    if r.status in (Status.TIMED_OUT, Status.CRASHED):
        return False
    if r.status is Status.BLOCKED:  # blocked by a missing name ran (and raised NameError)
        return bool(r.error)
    return True


def _first_line(message: str) -> str:
    return (message or "").strip().split("\n")[0]


def _outputs(result: BlockResult | None, count: int) -> list:
    if result is None or not result.status.ran:  # what did not run has no output of its own
        return []
    outputs = []
    if result.output:
        outputs.append(v4.new_output("stream", name="stdout", text=result.output))
    if result.status is Status.EXPECTED_ERROR and result.error:
        outputs.append(v4.new_output("error", ename=str(result.error.get("type") or "Error"),
                                     evalue=str(result.error.get("message") or ""),
                                     traceback=[f"{result.error.get('type')}: "
                                                f"{result.error.get('message')}"]))
    elif result.display is not None:
        outputs.append(v4.new_output("execute_result", data={"text/plain": result.display},
                                     execution_count=count))
    return outputs


def deck_notebook(deck: Deck, result: DeckResult | None, *, lang: str | None = None,
                  policy: Policy | None = None, spacy_version: str = "",
                  static_url: Callable[[str], str] | None = None,
                  prelude: str = "", deck_url: str | None = None) -> nbformat.NotebookNode:
    """The deck as a notebook. Blocks that are not published (by ``policy``) follow a
    notice; ``deck_url`` (relative to the notebook's page) links back to the deck."""
    lang = lang or deck.meta.get("lang") or "en"
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["slideproof"] = {"deck": deck.path, "title": deck.title, "lang": lang,
                                 "spacy": spacy_version}
    cells = _Cells(result, lang, policy or Policy(), spacy_version,
                   static_url or (lambda path: "/" + path))
    cells.setup(deck, prelude)
    for i, slide in enumerate(deck.slides):
        cells.slide(slide, shift=0 if i == 0 else 1)
    cells.flush()
    cells.introduce(deck_url)
    nb.cells = cells.cells
    nbformat.validate(nb)
    # nbformat gives cells random ids; stable ones keep the file identical from build to
    # build, so mkdocs-jupyter's cache (keyed on the file's bytes) is not missed every time.
    for number, cell in enumerate(nb.cells):
        cell.id = f"slideproof-{number}"
    return nb


class _Cells:
    """A deck's notebook cells, built slide by slide: text gathers into one Markdown cell
    until a code cell follows it, code cells are numbered as the build ran them, and the
    names defined only by blocks kept as text are remembered for the cells that use them."""

    def __init__(self, result: DeckResult | None, lang: str, policy: Policy,
                 spacy_version: str, static_url: Callable[[str], str]) -> None:
        self.result = result
        self.by_line = {r.block.line: r for r in (result.blocks if result else [])}
        self.policy = policy
        self.spacy_version = spacy_version
        self.static_url = static_url
        self.strings = strings(lang)
        self.words = words(lang, "notebook")
        self.cells: list[nbformat.NotebookNode] = []
        self.count = 0  # the execution count of the last code cell
        self.markdown: list[str] = []  # text waiting for its Markdown cell
        self.unrun: dict[str, int] = {}  # name → line of a block kept as text that defines it

    def flush(self) -> None:
        """The text gathered so far as one Markdown cell (none if it is empty)."""
        text = "\n\n".join(m.strip("\n") for m in self.markdown if m.strip())
        if text:
            self.cells.append(v4.new_markdown_cell(text))
        self.markdown.clear()

    def _hidden_cell(self, code: str) -> nbformat.NotebookNode:
        cell = v4.new_code_cell(code, metadata={"tags": [HIDDEN_TAG],
                                                "jupyter": {"source_hidden": True}})
        self.cells.append(cell)
        return cell

    def setup(self, deck: Deck, prelude: str) -> None:
        """Code the deck needs before its first block, as one hidden cell: the site's
        prelude, the deck's setup and its ``{setup}`` blocks."""
        setup = [c for c in (prelude, deck.setup_code) if c and c.strip()]
        setup += [b.code for b in deck.python_blocks if b.attrs.get("setup")]
        if not setup:
            return
        cell = self._hidden_cell("\n\n".join(c.strip("\n") for c in setup))
        if self.result is not None and self.result.error:  # the setup failed in the build too
            cell.metadata.tags.append(RAISES_TAG)

    def slide(self, slide: Slide, shift: int) -> None:
        """A slide's text and blocks, then its notes (quoted), then a cell break."""
        for part in slide.parts:
            if isinstance(part, Text):
                self.markdown.append(slide_text(part, shift, self.static_url))
            else:
                self.block(part)
        if slide.notes:
            self.notes(slide, shift)
        self.flush()

    def notes(self, slide: Slide, shift: int) -> None:
        notes: list[str] = []
        for part in slide.notes:
            if isinstance(part, Text):
                notes.append(slide_text(part, shift, self.static_url).strip("\n"))
            elif not part.attached:
                notes.append(fenced("text" if part.lang == "out" else part.lang, part.code))
        body = "\n\n".join(n for n in notes if n.strip())
        quoted = "\n".join("> " + line if line else ">" for line in body.split("\n"))
        self.markdown.append(f"> **{self.strings['notes']}**\n>\n{quoted}")

    def block(self, block: Block) -> None:
        """A fenced block of a slide: text if it does not run, else a cell as its status
        says (withheld, hidden, not run here, or shown with its output)."""
        if block.attached:
            return
        if not block.runs:
            self.markdown.append(fenced("text" if block.lang == "out" else block.lang,
                                       block.code))
            return
        if block.attrs.get("setup"):
            return  # already in the first cell
        r = self.by_line.get(block.line)
        if r is not None and not self.policy.shows(r.status):
            self.withheld(block, r)
            return
        tags = self.depends(block)
        self.flush()
        if not block.shown:
            self.hidden(block, r, tags)
        elif r is not None and r.status in (Status.SKIPPED, Status.UNVERIFIED):
            self.not_run(block, r)
        else:
            self.shown(block, r, tags)

    def hidden(self, block: Block, r: BlockResult | None, tags: list[str]) -> None:
        """A ``{hide}`` block: hidden on the page, run by "Run All"."""
        self.count += 1
        cell = self._hidden_cell(block.code)
        cell.metadata.tags.extend(tags)
        cell.execution_count = self.count
        cell.outputs = _outputs(r, self.count)
        if r is not None and (r.status is Status.EXPECTED_ERROR or not r.status.ran):
            cell.metadata.tags.append(RAISES_TAG)

    def not_run(self, block: Block, r: BlockResult) -> None:
        """A block slideproof did not run (skipped, or unverified here), so without output:
        the label says why, over the output its author expected. Under "Run All" it may
        raise, which must not stop the cells after it."""
        self.cells.append(v4.new_code_cell(block.code, metadata={"tags": [RAISES_TAG]}))
        if r.status is Status.SKIPPED:
            self.markdown.append("> " + self.strings["skipped"].format(
                reason=literal(r.message)))
        else:
            title, text = not_run_words(r, self.strings)
            self.markdown.append(f"> **{title}** {text}")
        if block.expected is not None:
            self.markdown.append(f"*{self.strings['expected_output']}*\n\n"
                                 + fenced("text", block.expected.code))

    def shown(self, block: Block, r: BlockResult | None, tags: list[str]) -> None:
        """A published block with the output of this build's run (or, not run at all, the
        output its author expected)."""
        self.count += 1
        cell = v4.new_code_cell(block.code, execution_count=self.count)
        cell.outputs = _outputs(r, self.count)
        if r is not None and r.status is Status.EXPECTED_ERROR and RAISES_TAG not in tags:
            tags.append(RAISES_TAG)
        if tags:
            cell.metadata["tags"] = tags
        if r is None and block.expected is not None:
            cell.outputs = [v4.new_output("stream", name="stdout", text=block.expected.code)]
        self.cells.append(cell)

    def withheld(self, block: Block, r: BlockResult) -> None:
        """A block the deck page withholds. One that ran in the deck's session stays a code
        cell, so "Run All" does what the build did: its statements up to the one that failed
        run, defining what later cells use, and its error (tagged as expected) does not stop
        the notebook. One the session never finished (a timeout, a crash, a session that had
        ended) stays as text: running it could hang or kill the kernel."""
        reason = literal(_first_line(r.message))
        version = self.spacy_version or "?"
        if not status_ran(r):
            self.markdown.append("> " + self.words["not_run"].format(v=version, reason=reason))
            self.markdown.append(fenced("python", block.code))
            for name in defined_names(block.code):
                self.unrun.setdefault(name, block.line)
            return
        self.depends(block)
        if r.status is Status.UNVERIFIED:  # the machine lacks something, not the example
            title, text = not_run_words(r, self.strings)
            self.markdown.append(f"> **{title}** {text}")
        else:
            self.markdown.append("> " + self.words["withheld"].format(v=version, reason=reason))
        self.flush()
        # hidden on the notebook page too, as on the deck page
        self.cells.append(v4.new_code_cell(block.code, metadata={
            "tags": [WITHHELD_TAG, RAISES_TAG, HIDDEN_TAG]}))

    def depends(self, block: Block) -> list[str]:
        """Tags for a cell that uses names only a block kept as text defines: under
        "Run All" it raises NameError, which must not stop the notebook; the reader is told."""
        names = sorted(used_names(block.code) & self.unrun.keys())
        if not names:
            return []
        self.markdown.append("> " + self.words["depends"].format(
            names=", ".join(f"`{n}`" for n in names), line=self.unrun[names[0]]))
        return [RAISES_TAG]

    def introduce(self, deck_url: str | None) -> None:
        """A link back to the deck and the spaCy version it was verified with, right under
        the title (or first)."""
        intro = []
        if deck_url:
            intro.append(f"[← {self.words['back']}]({deck_url})")
        if self.spacy_version:
            intro.append(self.words["intro"].format(v=self.spacy_version))
        if not intro:
            return
        cells = self.cells
        first = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
        if first >= 0 and cells[first].source.startswith("# "):  # right under the title
            title, _, rest = cells[first].source.partition("\n")
            cells[first].source = title
            if rest.strip():
                cells.insert(first + 1, v4.new_markdown_cell(rest.strip("\n")))
        cells.insert(first + 1, v4.new_markdown_cell("\n\n".join(intro)))


def notebook_json(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"
