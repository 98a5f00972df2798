"""`mkdocs serve`: prose edits re-run nothing, a block edit re-runs that deck alone, and the
runner's warm pool survives rebuilds; an edit writes again only the pages it touches, and the
served site is then what a fresh `mkdocs build` writes; pages are served while the decks the
cache cannot answer for run, and reload when they are done. A real `mkdocs serve` process,
real file edits (and, for the reload, a real browser)."""

from __future__ import annotations

import difflib
import json
import os
import queue
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from slideproof.report import sandbox_summary

from conftest import bare_env, run_cli, without_timing, write_course, write_deck

CHANGED = re.compile(r"Detected file changes")
VERIFIED = re.compile(r"slideproof: (\d+) decks(?: and \d+ exercises)? verified "
                      r"\((\d+) run, (\d+) from cache\).*?"
                      r"(?:runner pids ([\d, ]+))?$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    def __init__(self, folder, port: int | None = None, **env: str):
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{self.port}"],
            cwd=folder, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env=bare_env(**env))
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))

    def get(self, path: str) -> bytes | None:
        """A served file, or None (not served, or not yet)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=120) as response:
                return response.read()
        except (urllib.error.URLError, ConnectionError):
            return None

    def wait_for(self, pattern: re.Pattern, limit: float = 120,
                 fail: bool = True) -> re.Match | None:
        end = time.monotonic() + limit
        seen = []
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            match = pattern.search(line)
            if match:
                return match
        if not fail:
            return None
        pytest.fail(f"mkdocs serve never logged {pattern.pattern!r}:\n" + "\n".join(seen[-30:]))

    def next_build(self) -> tuple[int, int, set[str]]:
        """Counts of the next build, once it is served (the watcher runs from the first
        "Serving on" to the end)."""
        match = self.wait_for(VERIFIED)
        self.wait_for(re.compile(r"Serving on|Reloading browsers"))
        return int(match[2]), int(match[3]), set((match[4] or "").split(", ")) - {""}

    def edit(self, path, old: str, new: str) -> None:
        """Change ``path`` and wait until the server has seen the change. The watcher polls
        the files; should a change slip past it, touching the file again is seen."""
        path.write_text(path.read_text().replace(old, new))
        for _ in range(12):
            if self.wait_for(CHANGED, limit=5, fail=False):
                return
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        pytest.fail(f"mkdocs serve never saw the change to {path.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


DECK = '''
    # Deck {n}

    ```python
    value = {n}
    print(value)
    ```

    Notes: the first wording of deck {n}.
    '''


def test_serve_reruns_only_what_changed_and_keeps_its_pool(tmp_path):
    docs = tmp_path / "docs"
    decks = [write_deck(docs, f"deck{n}.md", DECK.format(n=n)) for n in (1, 2)]
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Serve
        theme: material
        plugins: [search, slideproof]
        """))
    serve = Serve(tmp_path)
    try:
        ran, cached, pids = serve.next_build()
        assert (ran, cached) == (2, 0) and pids
        serve.edit(decks[0], "first wording", "second, longer\n\nwording")
        assert serve.next_build()[:2] == (0, 2)
        serve.edit(decks[1], "value = 2", "value = 20")
        ran, cached, same_pids = serve.next_build()
        assert (ran, cached) == (1, 1)
        assert same_pids == pids  # the same warm runners
    finally:
        serve.stop()


# -- an edit writes the pages it touches, and the served site is what a build writes ------
BILINGUAL = """\
    site_name: Serve
    site_url: http://127.0.0.1:{port}/
    theme:
      name: material
      language: en
    plugins:
      - search
      - i18n:
          docs_structure: folder
          languages:
            - locale: en
              default: true
              name: English
              build: true
            - locale: pt
              name: Português
              build: true
              site_name: Servir
      - slideproof:
          cache_dir: {cache}
          show_all: true
      - mkdocs-jupyter:
          include: ["*.ipynb"]
          include_source: true
          cache_dir: {jupyter}
    """
NUMBERED = '''
    # Deck {n}

    ```python
    value = {n}
    print(value)
    ```

    ```out
    {n}
    ```

    Notes: the first wording of deck {n}.

    ---

    # A second slide

    Text of deck {n}.
    '''
SERVED_DIR = re.compile(r"Building 'en' documentation to directory: (\S+)")
CONVERTED = re.compile(r"Converting notebook \(execute=False\): (\S+)")
LIVERELOAD = re.compile(rb"<script>\s*var livereload = .*?</script>", re.S)


def _written(folder: Path, before: dict[str, int]) -> set[str]:
    """The pages (HTML) of ``folder`` written since ``before`` (path → mtime_ns)."""
    now = {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
           for p in folder.rglob("*.html")}
    return {path for path, mtime in now.items() if before.get(path) != mtime}


def _times(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in folder.rglob("*.html")}


def test_an_edit_writes_only_what_it_touches_and_the_served_site_is_a_fresh_build(tmp_path):
    port = _free_port()
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(BILINGUAL).format(
        port=port, cache=tmp_path / "cache", jupyter=tmp_path / "jupyter"), "utf-8")
    docs = tmp_path / "docs"
    decks = {}
    for lang in ("en", "pt"):
        (docs / lang).mkdir(parents=True)
        (docs / lang / "index.md").write_text(f"# Home ({lang})\n\nThe first paragraph.\n")
        for n in (1, 2):
            decks[lang, n] = write_deck(docs / lang, f"deck{n}.md", NUMBERED.format(n=n))
    # the build date on every page and in the sitemap: the same for serve and build
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    serve = Serve(tmp_path, port, **env)
    try:
        assert serve.next_build()[:2] == (4, 0)  # the decks ran while the pages were served
        served = Path(SERVED_DIR.search("\n".join(serve.log))[1])

        converted: list[str] = []  # the notebooks the last edit's rebuild converted

        def edit(path, old, new) -> set[str]:
            before, logged = _times(served), len(serve.log)
            serve.edit(path, old, new)
            serve.next_build()
            converted[:] = CONVERTED.findall("\n".join(serve.log[logged:]))
            return _written(served, before)

        # Notes: that deck's page and notebook, in its language. (The first rebuild after
        # decks ran also writes the report pages: a build now takes those decks from the
        # cache, and the report says so.)
        reports = {"slideproof-report/index.html", "pt/slideproof-report/index.html"}
        assert edit(decks["en", 2], "first wording", "second wording") == {
            "deck2/index.html", "deck2/notebook/index.html", *reports}
        assert edit(decks["en", 1], "first wording", "second wording") == {
            "deck1/index.html", "deck1/notebook/index.html"}
        assert [Path(p).relative_to(tmp_path / "cache" / "notebooks").as_posix()
                for p in converted] == ["en/deck1.ipynb"]  # the others' HTML is cached
        # Code whose output no longer is the slide's: the report pages (both languages
        # report the whole site) show it too.
        assert edit(decks["pt", 2], "value = 2", "value = 22") == {
            "pt/deck2/index.html", "pt/deck2/notebook/index.html", *reports}
        assert b"22" in serve.get("pt/deck2/")
        # A page that is no deck (and the report pages: that deck now comes from the cache).
        assert edit(docs / "pt" / "index.md", "first paragraph", "new paragraph") == {
            "pt/index.html", *reports}
        assert edit(docs / "pt" / "index.md", "new paragraph", "newer paragraph") == {
            "pt/index.html"}
        # A deck's title is in the nav of every page: MkDocs' full build.
        written = edit(decks["en", 2], "# Deck 2", "# Deck number two")
        assert {"index.html", "deck1/index.html", "pt/index.html"} <= written
        assert b"Deck number two" in serve.get("")
        assert edit(decks["en", 1], "second wording", "third wording") == {
            "deck1/index.html", "deck1/notebook/index.html"}

        # Notebook HTML is cached by content: the build converts none the serve converted.
        assert _compare_with_a_fresh_build(serve, tmp_path, env, converts=False) > 30
    finally:
        serve.stop()


def _compare_with_a_fresh_build(serve: Serve, folder: Path, env: dict[str, str],
                                 converts: bool = True) -> int:
    """Compare every file a fresh `mkdocs build` of ``folder`` writes with the file
    served (but for what only a run knows); how many were compared. ``converts``: whether
    the build may convert notebooks to HTML (False: the serve's are cached)."""
    fresh = folder / "fresh"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", str(fresh)],
                          cwd=folder, capture_output=True, text=True,
                          env=bare_env(**env))
    assert done.returncode == 0, done.stderr
    if not converts:
        assert not CONVERTED.findall(done.stderr)
    # What the served site knows because it ran decks itself, and a build from the cache
    # cannot: the runner's walls, and how long things took.
    reports = {name: json.loads(data) for name, data in (
        ("served", serve.get("slideproof-report.json")),
        ("fresh", (fresh / "slideproof-report.json").read_bytes()))}
    walls = sandbox_summary(reports["served"]["environment"])
    known = sandbox_summary(reports["fresh"]["environment"])
    assert walls.startswith(known)
    run_only = walls[len(known):]
    # as the pages write it, and as JSON (the search indexes) does
    run_only = {run_only.encode(), json.dumps(run_only)[1:-1].encode()} - {b""}
    compared = 0
    for path in sorted(p for p in fresh.rglob("*") if p.is_file()):
        name = path.relative_to(fresh).as_posix()
        got = serve.get(name)
        assert got is not None, f"{name} is not served"
        if name.endswith("slideproof-report.json"):
            strip = {"walls", "landlock", "seccomp"}
            a, b = (without_timing(json.loads(data)) for data in (path.read_bytes(), got))
            for data in (a, b):
                data["environment"] = {k: v for k, v in data["environment"].items()
                                       if k not in strip}
            assert a == b, name
            continue
        if name.endswith(".html"):
            got = LIVERELOAD.sub(b"", got)
        for text in run_only:
            got = got.replace(text, b"")
        expected = path.read_bytes()
        if got != expected:
            diff = difflib.unified_diff(expected.decode(errors="replace").splitlines(),
                                        got.decode(errors="replace").splitlines(),
                                        "fresh build", "served", lineterm="", n=1)
            pytest.fail(f"{name} differs from a fresh build:\n" + "\n".join(list(diff)[:40]))
        compared += 1
    return compared


def test_a_deck_edit_rewrites_the_chapter_page_that_embeds_it(tmp_path):
    """A course in the spaCy course's layout: a chapter page embeds a deck and has coding
    exercises. An edit to the deck writes again the deck's page and the chapter page, and
    the served site stays what a fresh build writes."""
    write_course(tmp_path)
    assert run_cli("init", str(tmp_path)).returncode == 0
    config = tmp_path / "mkdocs.yml"
    port = _free_port()
    # the build shows every block as the serve does, at the served address
    config.write_text(f"site_url: http://127.0.0.1:{port}/\n" + config.read_text(
        "utf-8").replace("- slideproof:\n", f"- slideproof:\n    cache_dir: "
                         f"{tmp_path / 'cache'}\n    show_all: true\n"), "utf-8")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    serve = Serve(tmp_path, port, **env)
    deck = tmp_path / "chapters" / "en" / "slides" / "chapter1_01_tokens.md"
    try:
        serve.next_build()
        served = Path(SERVED_DIR.search("\n".join(serve.log))[1])
        chapter_page = next(p.relative_to(served).as_posix() for p in served.rglob("*.html")
                            if b"Count the tokens" in p.read_bytes()
                            and not p.relative_to(served).as_posix().startswith("pt/")
                            and "notebook" not in p.as_posix()
                            and "report" not in p.as_posix())
        before = _times(served)
        serve.edit(deck, '"Hello world"', '"Hello big world"')
        serve.next_build()
        written = _written(served, before)
        assert chapter_page in written
        assert b"big" in serve.get(chapter_page.removesuffix("index.html"))
        assert not any(page.startswith("pt/") and "report" not in page for page in written)
        # Words on the slide: the chapter page shows them too. (The report pages now say
        # the deck's result comes from the cache, as a fresh build's do.)
        before = _times(served)
        serve.edit(deck, "A deck a chapter embeds.", "A deck the chapter embeds.")
        serve.next_build()
        assert chapter_page in _written(served, before)
        assert b"A deck the chapter embeds." in serve.get(chapter_page.removesuffix("index.html"))
        assert _compare_with_a_fresh_build(serve, tmp_path, env) > 10
    finally:
        serve.stop()


# -- pages are served while decks run ------------------------------------------------------
GATED = '''
    # A deck that waits

    ```python
    import pathlib
    import time

    while not pathlib.Path({gate!r}).exists():
        time.sleep(0.05)
    print("the gate", "opened", sep="-")
    ```

    Notes: it runs until the test opens the gate.
    '''
RUNNING = re.compile(r"slideproof: (\d+) of (\d+) decks are running")


@pytest.fixture
def gated_site(tmp_path):
    """A site whose one deck runs until the test creates ``gate/open`` (a folder its
    examples may read), with an empty cache."""
    gate = tmp_path / "gate"
    gate.mkdir()
    write_deck(tmp_path / "docs", "waits.md", GATED.format(gate=str(gate / "open")))
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Gated
        theme: material
        plugins:
          - search
          - slideproof:
              cache_dir: {tmp_path / 'cache'}
              data_paths: [{gate}]
        """), "utf-8")
    return tmp_path


def test_pages_are_served_while_decks_without_a_cache_entry_run(gated_site):
    serve = Serve(gated_site)
    try:
        assert serve.wait_for(RUNNING).groups() == ("1", "1")
        serve.wait_for(re.compile(r"Serving on"))
        page = serve.get("waits/").decode()
        assert 'data-status="running"' in page and "Running…" in page
        assert "the gate-opened" not in page
        report = serve.get("slideproof-report/").decode()
        assert "1 of the decks are still running" in report
        assert json.loads(serve.get("slideproof-report.json"))["incomplete"] is True
        (gated_site / "gate" / "open").touch()
        assert serve.next_build()[:2] == (1, 0)  # ran in the background, not again
        page = serve.get("waits/").decode()
        assert 'data-status="passed"' in page and "the gate-opened" in page
        assert "still running" not in serve.get("slideproof-report/").decode()
        assert json.loads(serve.get("slideproof-report.json"))["incomplete"] is False
    finally:
        serve.stop()


@pytest.mark.browser
def test_a_page_showing_running_decks_reloads_with_their_results(gated_site, page):
    serve = Serve(gated_site)
    try:
        serve.wait_for(RUNNING)
        serve.wait_for(re.compile(r"Serving on"))
        page.goto(serve.url + "waits/")
        block = page.locator(".sp-block").first
        assert block.get_attribute("data-status") == "running"
        assert "Running…" in block.inner_text()
        (gated_site / "gate" / "open").touch()
        # no reload from here: MkDocs' live reload brings the result
        page.wait_for_selector('.sp-block[data-status="passed"]', timeout=120_000)
        assert "the gate-opened" in page.locator(".sp-block").first.inner_text()
    finally:
        serve.stop()
