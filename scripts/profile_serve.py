#!/usr/bin/env python3
"""Where a `mkdocs serve` rebuild spends its time, sampled in a real serve.

Starts `mkdocs serve` in this process on a copy of the bundled site, waits until nothing
runs, then saves a speaker-notes edit to a deck --edits times. While the server rebuilds, a
thread samples the main thread's stack every millisecond (as far as the GIL lets it) and
gives each sample to the first part below whose function is on the stack; the breakdown of
the median rebuild is printed as a Markdown table. Sampling, unlike cProfile, leaves the
rebuild's own speed alone, and the parts add up to the whole.

  python scripts/profile_serve.py [--edits 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DECK = "en/chapter1/01-basics.md"
PAGE = "chapter1/01-basics/"

# (part, file ending, function): a sample is the first part whose function is on its stack.
PARTS = (
    ("reading mkdocs.yml again, making the plugins", "mkdocs/config/base.py", "load_config"),
    ("mkdocs-jupyter asking jupytext whether a page is a notebook",
     "mkdocs_jupyter/plugin.py", "should_include"),
    ("notebook pages (mkdocs-jupyter: nbconvert, or its cache)", "mkdocs_jupyter/plugin.py",
     "new_render"),
    ("slideproof: reading and verifying decks", "slideproof/mkdocs_plugin.py", "_read_deck"),
    ("slideproof: reading and verifying decks", "slideproof/mkdocs_plugin.py", "verify"),
    ("slideproof: notebooks (nbformat) and the report page", "slideproof/mkdocs_plugin.py",
     "_write_notebook"),
    ("slideproof: notebooks (nbformat) and the report page", "slideproof/mkdocs_plugin.py",
     "_report_content"),
    ("slideproof: notebooks (nbformat) and the report page", "slideproof/mkdocs_plugin.py",
     "_add_site_pages"),
    ("search index entries (Material parses each page's HTML)",
     "material/plugins/search/plugin.py", "add_entry_from_context"),
    ("search index entries (Material parses each page's HTML)",
     "material/plugins/search/plugin.py", "on_post_build"),
    ("search index entries (Material parses each page's HTML)",
     "slideproof/mkdocs_plugin.py", "_write_search"),
    ("Markdown to HTML (Python-Markdown, pymdown-extensions, slideproof's deck Markdown)",
     "mkdocs/commands/build.py", "_populate_page"),
    ("page templates (Jinja2, Material) and writing the pages", "mkdocs/commands/build.py",
     "_build_page"),
    ("sitemap and 404 templates", "mkdocs/commands/build.py", "_build_theme_template"),
    ("emptying the site folder, copying the theme's files", "mkdocs/utils/__init__.py",
     "clean_directory"),
    ("emptying the site folder, copying the theme's files", "mkdocs/structure/files.py",
     "copy_static_files"),
)
OTHER = "the rest (MkDocs' files and nav, mkdocs-static-i18n, plugins' other events)"


def part_of(frame) -> str:
    names = set()
    while frame is not None:
        names.add((frame.f_code.co_filename, frame.f_code.co_name))
        frame = frame.f_back
    for what, ending, function in PARTS:
        if any(name == function and file.endswith(ending) for file, name in names):
            return what
    return OTHER


class Sampler:
    """Samples one thread's stack while ``active``."""

    def __init__(self, thread_id: int):
        self.thread_id = thread_id
        self.samples: Counter[str] = Counter()
        self.active = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.active.wait()
            frame = sys._current_frames().get(self.thread_id)
            if frame is not None:
                self.samples[part_of(frame)] += 1
            time.sleep(0.001)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--port", type=int, default=8123)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="slideproof-profile-"))
    for name in ("mkdocs.yml", "docs", "overrides"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, work / name)
        elif (REPO / name).is_file():
            shutil.copy(REPO / name, work / name)
    rebuilds: list[tuple[float, Counter]] = []
    sampler = Sampler(threading.get_ident())

    from mkdocs.__main__ import cli
    from mkdocs.livereload import LiveReloadServer

    serve = LiveReloadServer.serve

    def sampled_serve(server, *a, **k):  # the builder as the plugins left it (on_serve)
        builder = server.builder

        def build(*b, **c):
            sampler.samples = Counter()
            started = time.perf_counter()
            sampler.active.set()
            try:
                return builder(*b, **c)
            finally:
                sampler.active.clear()
                rebuilds.append((time.perf_counter() - started, sampler.samples))

        server.builder = build
        threading.Thread(target=edit, args=(server,), daemon=True).start()
        return serve(server, *a, **k)

    def page() -> str:
        try:
            url = f"http://127.0.0.1:{args.port}/{PAGE}"
            with urllib.request.urlopen(url, timeout=600) as response:
                return response.read().decode()
        except OSError:
            return ""

    def edit(server) -> None:
        while 'data-status="running"' in page() or not page():
            time.sleep(0.2)
        time.sleep(3)
        rebuilds.clear()  # the rebuilds the decks' first runs asked for are not edits
        deck = work / "docs" / DECK
        for n in range(args.edits):
            token = f"zq{n}{time.time_ns() % 1000}z"
            deck.write_text(deck.read_text().replace("Notes: ", f"Notes: {token} ", 1))
            while token not in page():
                time.sleep(0.05)
            time.sleep(1.5)
        server.shutdown()

    LiveReloadServer.serve = sampled_serve
    os.chdir(work)  # the site's caches, relative to where mkdocs runs
    sys.argv = ["mkdocs", "serve", "-f", str(work / "mkdocs.yml"), "-a",
                f"127.0.0.1:{args.port}"]
    try:
        cli(standalone_mode=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not rebuilds:
        print("no rebuild was sampled", file=sys.stderr)
        return 1
    seconds, samples = sorted(rebuilds, key=lambda r: r[0])[len(rebuilds) // 2]
    total = sum(samples.values()) or 1
    print(f"{len(rebuilds)} rebuilds after a notes edit: "
          f"{', '.join(f'{r[0]:.2f}' for r in rebuilds)} s (median "
          f"{statistics.median(r[0] for r in rebuilds):.2f} s); the median one, "
          f"{total} samples:\n")
    print("| part of the rebuild | seconds | share |\n| --- | ---: | ---: |")
    for what, count in samples.most_common():
        print(f"| {what} | {seconds * count / total:.2f} | {100 * count / total:.0f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
