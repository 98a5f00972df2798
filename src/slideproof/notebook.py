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

from .deck import Block, Deck, Text
from .i18n import words
from .judge import BlockResult, DeckResult, Policy, Status, defined_names, used_names
from .render import _code, literal, not_run_words, slide_text, strings

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
    policy = policy or Policy()
    lang = lang or deck.meta.get("lang") or "en"
    s = strings(lang)
    notebook_words = words(lang, "notebook")
    static_url = static_url or (lambda path: "/" + path)
    by_line = {r.block.line: r for r in (result.blocks if result else [])}
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["slideproof"] = {"deck": deck.path, "title": deck.title, "lang": lang,
                                 "spacy": spacy_version}
    cells = nb.cells
    count = 0
    markdown: list[str] = []
    unrun: dict[str, int] = {}  # name → line of a block kept as text that defines it

    def flush() -> None:
        text = "\n\n".join(m.strip("\n") for m in markdown if m.strip())
        if text:
            cells.append(v4.new_markdown_cell(text))
        markdown.clear()

    def hidden_cell(code: str) -> None:
        cells.append(v4.new_code_cell(code, metadata={
            "tags": [HIDDEN_TAG], "jupyter": {"source_hidden": True}}))

    # Code the deck needs before its first block: the site's prelude, the deck's setup.
    setup = [c for c in (prelude, deck.setup_code) if c and c.strip()]
    setup += [b.code for b in deck.python_blocks if b.attrs.get("setup")]
    if setup:
        hidden_cell("\n\n".join(c.strip("\n") for c in setup))
        if result is not None and result.error:  # the setup failed in the build too
            cells[-1].metadata.tags.append(RAISES_TAG)

    def withheld(block: Block, r: BlockResult) -> None:
        """A block the deck page withholds. One that ran in the deck's session stays a code
        cell, so "Run All" does what the build did: its statements up to the one that failed
        run, defining what later cells use, and its error (tagged as expected) does not stop
        the notebook. One the session never finished (a timeout, a crash, a session that had
        ended) stays as text: running it could hang or kill the kernel."""
        nonlocal count
        if status_ran(r):
            depends(block)
            if r.status is Status.UNVERIFIED:  # the machine lacks something, not the example
                title, text = not_run_words(r, s)
                markdown.append(f"> **{title}** {text}")
            else:
                markdown.append("> " + notebook_words["withheld"].format(
                    v=spacy_version or "?", reason=literal(_first_line(r.message))))
            flush()
            # hidden on the notebook page too, as on the deck page
            tags = [WITHHELD_TAG, RAISES_TAG, HIDDEN_TAG]
            cells.append(v4.new_code_cell(block.code, metadata={"tags": tags}))
            return
        markdown.append("> " + notebook_words["not_run"].format(
            v=spacy_version or "?", reason=literal(_first_line(r.message))))
        markdown.append(_code("python", block.code))
        for name in defined_names(block.code):
            unrun.setdefault(name, block.line)

    def depends(block: Block) -> list[str]:
        """Tags for a cell that uses names only a block kept as text defines: under
        "Run All" it raises NameError, which must not stop the notebook; the reader is told."""
        names = sorted(used_names(block.code) & unrun.keys())
        if not names:
            return []
        markdown.append("> " + notebook_words["depends"].format(
            names=", ".join(f"`{n}`" for n in names), line=unrun[names[0]]))
        return [RAISES_TAG]

    def code_block(block: Block, shift: int) -> None:
        nonlocal count
        if block.attached:
            return
        if not block.runs:
            if block.lang == "out":
                markdown.append(_code("text", block.code))
            else:
                markdown.append(_code(block.lang, block.code))
            return
        if block.attrs.get("setup"):
            return  # already in the first cell
        r = by_line.get(block.line)
        status = r.status if r else None
        if r is not None and not policy.shows(status):
            withheld(block, r)
            return
        tags = depends(block)
        if not block.shown:
            flush()
            count += 1
            hidden_cell(block.code)
            cells[-1].metadata.tags.extend(tags)
            cells[-1].execution_count = count
            cells[-1].outputs = _outputs(r, count)
            if status is Status.EXPECTED_ERROR or (r is not None and not status.ran):
                cells[-1].metadata.tags.append(RAISES_TAG)
            return
        flush()
        if status in (Status.SKIPPED, Status.UNVERIFIED):
            # Not run by slideproof, so no output: the label says why, over the output its
            # author expected. Under "Run All" it may raise, which must not stop the cells
            # after it.
            cells.append(v4.new_code_cell(block.code, metadata={"tags": [RAISES_TAG]}))
            if status is Status.SKIPPED:
                markdown.append("> " + s["skipped"].format(reason=literal(r.message)))
            else:
                title, text = not_run_words(r, s)
                markdown.append(f"> **{title}** {text}")
            if block.expected is not None:
                markdown.append(f"*{s['expected_output']}*\n\n"
                                + _code("text", block.expected.code))
            return
        count += 1
        cell = v4.new_code_cell(block.code, execution_count=count)
        cell.outputs = _outputs(r, count)
        if status is Status.EXPECTED_ERROR and RAISES_TAG not in tags:
            tags.append(RAISES_TAG)
        if tags:
            cell.metadata["tags"] = tags
        if r is None and block.expected is not None:
            cell.outputs = [v4.new_output("stream", name="stdout", text=block.expected.code)]
        cells.append(cell)

    for i, slide in enumerate(deck.slides):
        shift = 0 if i == 0 else 1
        for part in slide.parts:
            if isinstance(part, Text):
                markdown.append(slide_text(part, shift, static_url))
            else:
                code_block(part, shift)
        if slide.notes:
            notes: list[str] = []
            for part in slide.notes:
                if isinstance(part, Text):
                    notes.append(slide_text(part, shift, static_url).strip("\n"))
                elif not part.attached:
                    notes.append(_code("text" if part.lang == "out" else part.lang,
                                         part.code))
            body = "\n\n".join(n for n in notes if n.strip())
            quoted = "\n".join("> " + line if line else ">" for line in body.split("\n"))
            markdown.append(f"> **{s['notes']}**\n>\n{quoted}")
        flush()
    flush()
    intro = []
    if deck_url:
        intro.append(f"[← {notebook_words['back']}]({deck_url})")
    if spacy_version:
        intro.append(notebook_words["intro"].format(v=spacy_version))
    if intro:
        first = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
        if first >= 0 and cells[first].source.startswith("# "):  # right under the title
            title, _, rest = cells[first].source.partition("\n")
            cells[first].source = title
            if rest.strip():
                cells.insert(first + 1, v4.new_markdown_cell(rest.strip("\n")))
        cells.insert(first + 1, v4.new_markdown_cell("\n\n".join(intro)))
    nbformat.validate(nb)
    # nbformat gives cells random ids; stable ones keep the file identical from build to
    # build, so mkdocs-jupyter's cache (keyed on the file's bytes) is not missed every time.
    for number, cell in enumerate(nb.cells):
        cell.id = f"slideproof-{number}"
    return nb


def notebook_json(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"
