"""Shared fixtures and helpers: the corpus (someone else's decks, read in place, never copied
into the repository), deck files, the real engine, the command line, and the /proc scan for
processes a deck left behind."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import subprocess
import sys
import textwrap
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from slideproof.cache import Cache
from slideproof.deck import read_deck
from slideproof.options import Options
from slideproof.verify import Verifier

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SLIDEPROOF_CORPUS", REPO.parent / "shared" / "corpus"))
# A spaCy-2 training-loop deck of the corpus (relative to it), and the setup it relies on:
# earlier chapters define ``random``, ``nlp`` and ``path_to_model``.
SEED = "seed/chapter4_02_training-loop.pt.md"
SEED_SETUP = ('setup: |\n  import random, spacy\n  nlp = spacy.blank("en")\n'
              '  path_to_model = "model"\n')
SEED_SHIFT = SEED_SETUP.count("\n")  # lines the setup adds above the seed deck's blocks
SECRET = "s3cr3t-value-that-must-not-leak"  # in a check's environment; decks must not see it
ARTIFACTS = REPO / "test-artifacts"  # screenshots and figures the browser tests leave


def signals_scoped() -> bool:
    """Whether each deck's Landlock domain keeps its signals to itself (ABI >= 6): a deck's
    kill() of its runner or its init is then refused, not merely void."""
    import landlockpy

    return landlockpy.abi_version() >= 6


def corpus_or_skip() -> Path:
    if not (CORPUS / "spacy-course").is_dir() or not (CORPUS / SEED).is_file():
        pytest.skip(f"the corpus is not here ({CORPUS}); set SLIDEPROOF_CORPUS to run this test")
    return CORPUS


@pytest.fixture
def corpus() -> Path:
    return corpus_or_skip()


def seed_copy(path: Path) -> Path:
    """The corpus' seed deck at ``path``, with ``SEED_SETUP`` added to its front matter."""
    text = (corpus_or_skip() / SEED).read_text("utf-8")
    assert text.startswith("---\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + SEED_SETUP + text[len("---\n"):], "utf-8")
    return path


def write_deck(folder: Path, name: str, body: str, front: str = "type: slides\n") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}---\n\n" + textwrap.dedent(body).lstrip("\n"), "utf-8")
    return path


@pytest.fixture
def verify(tmp_path):
    """verify(*paths, **options) → list[DeckResult], through a real warm worker."""
    verifiers = []

    def run(*paths, cache_dir=None, **options):
        verifier = Verifier(Options(**{"jobs": 2, **options}),
                            Cache(cache_dir or tmp_path / "cache", enabled=cache_dir is not None))
        verifiers.append(verifier)
        try:
            return verifier.verify([read_deck(p) for p in paths])
        finally:
            verifier.close()

    yield run
    for v in verifiers:
        v.close()


def bare_env(**extra: str) -> dict[str, str]:
    """The environment of a command a test starts as a new user would: a bare PATH, no
    banner, and PYTHONPATH when set, so that it runs this checkout's code rather than a
    copy of slideproof installed from another folder."""
    env = {"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", **extra}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def line_of(path: Path, needle: str) -> int:
    """The first line of ``path`` (counted from 1) that contains ``needle``."""
    return next(i for i, line in enumerate(path.read_text("utf-8").split("\n"), start=1)
                if needle in line)


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "slideproof.cli", *args]


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """``slideproof *args`` in a subprocess, as a user runs it; ``kwargs`` go to
    ``subprocess.run`` (``cwd``, ``env``, ``check``)."""
    return subprocess.run(cli_argv(*args), capture_output=True, text=True, timeout=600,
                          **kwargs)


def check_env(tmp: Path | None = None) -> dict[str, str]:
    """A check's environment: a secret the decks must not see, and (when given) a temp
    folder of the test's own, so even a killed check leaves nothing behind elsewhere."""
    env = {**os.environ, "SECRET_TOKEN": SECRET}
    if tmp is not None:
        tmp.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmp)
    return env


def survivors(marker: str) -> dict[int, str]:
    """pid → command line of the live processes whose argv contains ``marker`` (decks put a
    unique marker in the argv of every process they start)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found[int(entry)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def once_per_run(tmp_path_factory, name: str, make) -> Path:
    """The folder ``name``, filled by ``make(folder)`` once per test run: pytest-xdist
    workers share it through a lock, and the one that comes first fills it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, shared by its workers
    root = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".done").is_file():
            root.mkdir(parents=True, exist_ok=True)
            make(root)
            (root / ".done").write_text("ok")
    return root


def mkdocs_build(root: Path, site_dir: Path) -> None:
    """``mkdocs build`` of ``root/mkdocs.yml`` into ``site_dir``; its output is kept in
    ``build.log`` beside ``site_dir``."""
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", "mkdocs.yml",
                           "-d", str(site_dir)], cwd=root, capture_output=True, text=True,
                          env=dict(os.environ, NO_MKDOCS_2_WARNING="1"), timeout=900)
    (site_dir.parent / "build.log").write_text(done.stdout + done.stderr, "utf-8")
    if done.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{done.stderr[-4000:]}")


def shot(page, name: str, full_page: bool = False) -> None:
    """A screenshot of the page, kept in test-artifacts/ to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@contextlib.contextmanager
def static_server(folder: Path):
    """A built site served from ``folder`` on a free loopback port, quietly; yields its URL."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- the browser: one Chromium (Debian's) per test process ---------------------------------
# Playwright's sync API runs one event loop per thread, so every test uses this one
# ``browser`` rather than start its own. Never downloads a browser: without /usr/bin/chromium
# (or $SLIDEPROOF_CHROMIUM) the tests that need it skip.
CHROMIUM = os.environ.get("SLIDEPROOF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium, or set "
                    "SLIDEPROOF_CHROMIUM); browser tests never download one")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                    headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


# -- a small course in the spaCy course's layout (chapters/LANG/, exercises/LANG/, static/) --
# A PNG of one pixel: the static folder's image a deck shows with a leading '/'.
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db0"
                      "0000000049454e44ae426082")
CHAPTER_EN = """\
---
type: chapter
title: "Chapter 1: Finding words"
description: "Tokens, a matcher and a file of words."
id: 1
prev: null
next: /chapter2
---

The exercises of this chapter run when the site is built.

<exercise id="1" title="Tokens and spans" type="slides,video">

<slides source="chapter1_01_tokens" start="0:10" end="1:20">
</slides>

</exercise>

<exercise id="2" title="Count the tokens">

- Process the text and count the tokens of the `doc`.

<codeblock id="01_02">

`len(doc)` is the number of its tokens.

</codeblock>

</exercise>

<exercise id="3" title="Match a word">

<codeblock id="01_03"></codeblock>

</exercise>

<exercise id="4" title="Already done">

<codeblock id="01_04"></codeblock>

</exercise>

<exercise id="5" title="Words from a file">

Read the words of `exercises/en/words.json`.

<codeblock id="01_05"></codeblock>

</exercise>

<exercise id="6" title="What a blank pipeline holds" type="choice">

What does `spacy.blank("en")` hold?

<choice>
<opt text="A tokenizer and an empty <code>pipe_names</code>" correct="true">

Right: a blank pipeline only tokenizes.

</opt>
<opt text="A tagger and a parser">

Those come with trained pipelines.

</opt>
</choice>

</exercise>
"""
CHAPTER_PT = """\
---
type: chapter
title: "Capítulo 1: Encontrando palavras"
id: 1
---

<exercise id="1" title="Tokens e trechos" type="slides">

<slides source="chapter1_01_tokens"></slides>

</exercise>

<exercise id="2" title="Conte os tokens">

<codeblock id="01_02"></codeblock>

</exercise>

<exercise id="3" title="Encontre uma palavra">

<codeblock id="01_03"></codeblock>

</exercise>

<exercise id="4" title="Um pipeline vazio" type="choice">

<choice>
<opt text="Só o tokenizador" correct="true">

Isso mesmo.

</opt>
<opt text="Um etiquetador">

Não: isso vem com pipelines treinados.

</opt>
</choice>

</exercise>
"""
DECK_EN = """\
---
type: slides
---

# Tokens and spans

<img src="/pixel.png" alt="a pixel" width="10">

Notes: A deck a chapter embeds.

---

# A Doc

```python
import spacy
nlp = spacy.blank("en")
[token.text for token in nlp("Hello world")]
```

```out
['Hello', 'world']
```
"""
COUNT = 'import spacy\n\nnlp = spacy.blank("{lang}")\ndoc = nlp("one two three")\n'
EXERCISES = {
    # passes
    "01_02": {"exc": COUNT + "print(____)\n", "solution": COUNT + "print(len(doc))\n",
              "test": 'def test():\n    assert len(doc) == 3, "Process the text"\n'
                      '    assert "len(doc)" in __solution__, "Count with len"\n'
                      '    __msg__.good("Well done!")\n'},
    # broken on spaCy 3: Matcher.add with a callback in second place (line 7)
    "01_03": {"exc": 'import spacy\nfrom spacy.matcher import Matcher\n\nnlp = spacy.blank('
                     '"{lang}")\nmatcher = Matcher(nlp.vocab)\npattern = [{{"LOWER": "word"}}]'
                     '\nmatcher.add("WORD", None, ____)\n',
              "solution": 'import spacy\nfrom spacy.matcher import Matcher\n\nnlp = '
                          'spacy.blank("{lang}")\nmatcher = Matcher(nlp.vocab)\npattern = '
                          '[{{"LOWER": "word"}}]\nmatcher.add("WORD", None, pattern)\n'
                          'matches = matcher(nlp("a word"))\n',
              "test": 'def test():\n    assert len(matches) == 1, "One match"\n'},
    # the skeleton passes the test already
    "01_04": {"exc": COUNT + "print(len(doc))\n", "solution": COUNT + "print(len(doc))\n",
              "test": 'def test():\n    assert len(doc) == 3\n'},
    # opens a data file by its path from the course folder
    "01_05": {"exc": 'import json\n\nwith open("exercises/{lang}/words.json") as f:\n'
                     '    words = ____\nprint(words)\n',
              "solution": 'import json\n\nwith open("exercises/{lang}/words.json") as f:\n'
                          '    words = json.load(f)\nprint(words)\n',
              "test": 'def test():\n    assert words == ["tree", "kangaroo"], "Load the '
                      'file"\n'},
}
GENERAL = """\
import pytest
import spacy


@pytest.fixture
def nlp():
    return spacy.blank("en")


def test_blank_has_no_components(nlp):
    assert nlp.pipe_names == []


def test_two_tokens(nlp):
    assert len(nlp("two words")) == 3
"""


def write_course(root: Path) -> Path:
    """A bilingual course in the spaCy course's layout: ``en`` has a slides exercise, a
    passing coding exercise, one broken on spaCy 3, one whose skeleton passes already, one
    that opens a data file, a choice and general tests (one failing); ``pt`` a slides
    exercise, the passing and the broken one and a choice. No mkdocs.yml: ``init`` writes
    it."""
    files = {"chapters/en/chapter1.md": CHAPTER_EN, "chapters/pt/chapter1.md": CHAPTER_PT,
             "chapters/en/slides/chapter1_01_tokens.md": DECK_EN,
             "chapters/pt/slides/chapter1_01_tokens.md": DECK_EN.replace(
                 "# Tokens and spans", "# Tokens e trechos"),
             "exercises/en/words.json": '["tree", "kangaroo"]\n',
             "exercises/en/test_general.py": GENERAL}
    for lang, ids in (("en", EXERCISES), ("pt", ("01_02", "01_03"))):
        for ident in ids:
            for role, text in EXERCISES[ident].items():
                files[f"exercises/{lang}/{role}_{ident}.py"] = text.format(lang=lang)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    (root / "static").mkdir(parents=True, exist_ok=True)
    (root / "static" / "pixel.png").write_bytes(PIXEL)
    return root


def chapter_site(tmp_path_factory) -> Path:
    """``write_course`` with the mkdocs.yml ``slideproof init`` writes, built once per test
    run with ``mkdocs build`` (its log in ``build.log``): the course's folder, its site in
    ``site/``."""
    def make(root: Path) -> None:
        write_course(root)
        done = run_cli("init", str(root))
        if done.returncode != 0:
            raise RuntimeError(f"slideproof init failed:\n{done.stderr}")
        config = root / "mkdocs.yml"
        config.write_text(config.read_text("utf-8").replace(
            "- slideproof:\n", f"- slideproof:\n    cache_dir: {root / 'cache'}\n"), "utf-8")
        mkdocs_build(root, root / "site")

    return once_per_run(tmp_path_factory, "chapter-course", make)


def without_timing(data: dict) -> dict:
    """A report without what differs from run to run (its seconds, ``cached`` flags and
    shard), for comparing the reports of two runs."""
    out = {k: v for k, v in data.items() if k not in ("seconds", "shard")}
    out["decks"] = [{**{k: v for k, v in d.items() if k not in ("seconds", "cached")},
                     "blocks": [{k: v for k, v in b.items() if k != "seconds"}
                                for b in d["blocks"]]} for d in data["decks"]]
    return out
