"""`slideproof export`: the bundled course exported, then built by real MkDocs (with
slideproof not importable) and by real Zensical; plus the export's own rules."""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from slideproof.export.config import load_config
from slideproof.export.links import relink

from conftest import REPO, static_server, write_deck

pytestmark = pytest.mark.slow  # whole checks and site builds: not the inner loop

ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1")
# MkDocs started so that `import slideproof` fails: the export must not need the plugin.
MKDOCS_WITHOUT_SLIDEPROOF = (
    "import sys; sys.modules['slideproof'] = None\n"
    "try:\n    import slideproof.mkdocs_plugin\nexcept ImportError: pass\n"
    "else: raise SystemExit('slideproof is importable')\n"
    "from mkdocs.__main__ import cli; sys.argv[0] = 'mkdocs'; cli()")


def slideproof(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slideproof.cli", *args], cwd=cwd,
                          env={**ENV, **(env or {})}, capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    """The bundled course (mkdocs.yml + docs/), exported once per run (xdist workers share
    it through a lock); a copy, so its cache and output stay out of the repository."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root = shared / "slideproof-export-course"
    with open(shared / "slideproof-export-course.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (root / "out" / "mkdocs.yml").is_file():
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir()
                shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
                shutil.copytree(REPO / "docs", root / "docs")
                done = slideproof("export", "-o", "out", "--json", "report.json", cwd=root)
                (root / "export.log").write_text(done.stdout + done.stderr, "utf-8")
                assert done.returncode == 0, done.stderr[-3000:]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root


def built(course: Path, name: str, argv: list[str]) -> Path:
    """OUT copied and built once per builder (the copy keeps the export untouched)."""
    root = course.parent / f"slideproof-export-{name}"
    with open(course.parent / f"slideproof-export-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (root / "site" / "index.html").is_file():
                shutil.rmtree(root, ignore_errors=True)
                shutil.copytree(course / "out", root)
                done = subprocess.run([*argv, "-f", str(root / "mkdocs.yml")], cwd=root,
                                      env=ENV, capture_output=True, text=True,
                                      timeout=900, check=False)
                (root / "build.log").write_text(done.stdout + done.stderr, "utf-8")
                assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root / "site"


@pytest.fixture(scope="session")
def mkdocs_site(course) -> Path:
    return built(course, "mkdocs",
                 [sys.executable, "-c", MKDOCS_WITHOUT_SLIDEPROOF, "build", "--strict"])


@pytest.fixture(scope="session")
def zensical_site(course) -> Path:
    try:
        import zensical  # noqa: F401
    except ImportError as err:
        pytest.skip(f"Zensical cannot be imported here ({err}); pip install zensical")
    return built(course, "zensical", [sys.executable, "-m", "zensical", "build"])


def resolves(site: Path, page: Path, href: str) -> bool:
    """Does a relative link on ``page`` (an index.html) lead to a file of the site?"""
    target = (page.parent / href.split("#")[0]).resolve()
    if target.is_dir():
        target = target / "index.html"
    return site.resolve() in target.parents and target.is_file()


def check_site(site: Path) -> None:
    for lang, prefix, words in (("en", "", "verified with spaCy"),
                                ("pt", "pt/", "verificada com spaCy")):
        page = site / prefix / "chapter1" / "01-basics" / "index.html"
        text = page.read_text("utf-8")
        assert f'<html lang="{lang}"' in text  # each page in its own language
        assert len(re.findall(r'<section class="sp-slide"', text)) >= 5
        assert 'class="sp-notes"' in text
        assert words in text and 'class="sp-output"' in text
        assert "Notes:" not in text
        script = re.search(r'<script src="([^"]*present\.js)"', text)
        assert script and resolves(site, page, script[1])
        config = json.loads(re.search(r'<script id="sp-config" type="application/json">'
                                      r"(.*?)</script>", text, re.DOTALL)[1])
        assert config["lang"] == lang
        for kind in ("download", "report"):
            link = re.search(rf'class="[^"]*sp-toolbar__{kind}" href="([^"]*)"', text)
            assert link and resolves(site, page, html.unescape(link[1])), kind
        report = site / prefix / "slideproof-report" / "index.html"
        assert "<table" in report.read_text("utf-8")
        assert json.loads((site / prefix / "slideproof-report.json").read_text("utf-8"))["ok"]
        # a raw <img src="/pipeline.svg"> of a deck, made relative
        deck = site / prefix / "chapter2" / "01-pipelines" / "index.html"
        image = re.search(r'<img [^>]*src="([^"]*pipeline[^"]*\.svg)"', deck.read_text("utf-8"))
        assert image and resolves(site, deck, image[1])
    pt_home = (site / "pt" / "index.html").read_text("utf-8")
    assert "Capítulo 1" in pt_home  # the Portuguese nav, translated
    assert '<html lang="pt"' in pt_home and '<html lang="en"' in (
        site / "index.html").read_text("utf-8")


def test_export_writes_a_complete_site_source(course):
    out = course / "out"
    config = load_config(out / "mkdocs.yml")
    names = [next(iter(p)) if isinstance(p, dict) else p for p in config["plugins"]]
    assert not {"slideproof", "mkdocs-jupyter", "i18n"} & set(names)
    assert config["theme"]["custom_dir"] == "overrides"
    assert (out / "overrides" / "slides.html").is_file()
    assert (out / "overrides" / "assets" / "slideproof" / "present.js").is_file()
    for prefix in ("", "pt/"):
        deck = (out / "docs" / prefix / "chapter1" / "01-basics.md").read_text("utf-8")
        assert deck.startswith("---\ntitle: ")
        assert "template: slides.html" in deck and "\nNotes:" not in deck
        assert (out / "docs" / prefix / "chapter1" / "01-basics.ipynb").is_file()
        assert (out / "docs" / prefix / "slideproof-report.md").is_file()
    assert (out / "docs" / "static" / "pipeline.svg").is_file()
    assert (out / "docs" / "project" / "authoring.md").is_file()
    assert not (out / "docs" / "en").exists()  # the default language sits at the root
    assert "lang: pt" in (out / "docs" / "pt" / "index.md").read_text("utf-8")
    report = json.loads((course / "report.json").read_text("utf-8"))
    assert report["ok"] and len(report["decks"]) == 14


def test_mkdocs_without_slideproof_builds_the_export(mkdocs_site):
    check_site(mkdocs_site)


def test_zensical_builds_the_export(zensical_site):
    check_site(zensical_site)


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_export_is_deterministic_and_replaces_its_own_output(course, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(course, root, ignore=shutil.ignore_patterns("out", "*.lock"))
    # cache entries are keyed on the deck's path: the first run fills the copy's cache,
    # the two after it read every result from it (and say so in the report)
    for _ in range(2):
        done = slideproof("export", "-q", "-o", "again", cwd=root)
        assert done.returncode == 0, done.stderr
    before = tree_digest(root / "again")
    (root / "again" / "stale.md").write_text("left over", "utf-8")
    second = slideproof("export", "-q", "-o", "again", cwd=root)
    assert second.returncode == 0, second.stderr
    assert not (root / "again" / "stale.md").exists()
    assert tree_digest(root / "again") == before
    assert len(before) > 40


# -- small sites: the export's rules -------------------------------------------------------
def small_site(root: Path, config: str = "", execute: bool = False) -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Small
        theme:
          name: material
        plugins:
          - search
          - slideproof:
              execute: {execute}
              cache_dir: cache
        """).format(execute=str(execute).lower()) + textwrap.dedent(config), "utf-8")
    return root


def test_tags_of_the_configuration_are_kept(tmp_path):
    root = small_site(tmp_path, """\
        markdown_extensions:
          - pymdownx.emoji:
              emoji_index: !!python/name:material.extensions.emoji.twemoji
        extra:
          analytics: !ENV [SLIDEPROOF_TEST_UNSET, "none"]
        """)
    write_deck(root / "docs", "deck.md", "# A deck\n\nText.\n")
    done = slideproof("export", "-q", "-o", "out", cwd=root)
    assert done.returncode == 0, done.stderr
    written = (root / "out" / "mkdocs.yml").read_text("utf-8")
    assert "!!python/name:material.extensions.emoji.twemoji" in written
    assert "!ENV" in written and "SLIDEPROOF_TEST_UNSET" in written
    assert "slideproof" not in load_config(root / "out" / "mkdocs.yml")["plugins"]


def test_hooks_are_found_from_the_exported_configuration(tmp_path):
    root = small_site(tmp_path / "site", """\
        hooks:
          - hooks/stamp.py
        """)
    (root / "hooks").mkdir()
    (root / "hooks" / "stamp.py").write_text(
        "def on_page_markdown(markdown, **kwargs):\n"
        "    return markdown + '\\n\\nstamped by a hook\\n'\n", "utf-8")
    write_deck(root / "docs", "deck.md", "# A deck\n\nText.\n")
    done = slideproof("export", "-q", "-o", str(tmp_path / "out"), cwd=root)
    assert done.returncode == 0, done.stderr
    built = subprocess.run([sys.executable, "-c", MKDOCS_WITHOUT_SLIDEPROOF, "build", "-q",
                            "-f", str(tmp_path / "out" / "mkdocs.yml")],
                           cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    page = tmp_path / "out" / "site" / "deck" / "index.html"
    assert "stamped by a hook" in page.read_text("utf-8")


def test_symlinks_out_of_the_docs_are_not_followed(tmp_path):
    root = small_site(tmp_path / "site")
    write_deck(root / "docs", "deck.md", "# A deck\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the site", "utf-8")
    (root / "docs" / "leak.txt").symlink_to(secret)
    (root / "docs" / "inside.txt").write_text("part of the site", "utf-8")
    (root / "docs" / "alias.txt").symlink_to(root / "docs" / "inside.txt")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "page.md").write_text("# Not ours\n", "utf-8")
    (root / "docs" / "linked").symlink_to(tmp_path / "elsewhere")
    done = slideproof("export", "-o", "out", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "[SP509] leak.txt" in done.stderr and "[SP509] linked" in done.stderr
    assert not (root / "out" / "docs" / "leak.txt").exists()
    assert not (root / "out" / "docs" / "linked").exists()
    assert (root / "out" / "docs" / "alias.txt").read_text("utf-8") == "part of the site"


def test_page_urls_are_the_ones_mkdocs_gives_without_directory_urls(tmp_path):
    """With ``use_directory_urls: false`` a page's address is its .html file, an index's
    included: links and the report link of the exported pages lead there, and MkDocs
    without slideproof builds them so."""
    root = small_site(tmp_path, "use_directory_urls: false\n", execute=True)
    (root / "docs" / "index.md").write_text(
        '# Home\n\n<a href="/chapter/index.md">chapter</a> <a href="/chapter/deck.md">deck</a>\n',
        "utf-8")
    (root / "docs" / "chapter").mkdir()
    (root / "docs" / "chapter" / "index.md").write_text("# Chapter\n", "utf-8")
    write_deck(root / "docs" / "chapter", "deck.md", "# A deck\n\n```python\nprint(1)\n```\n")
    done = slideproof("export", "-q", "-o", "out", cwd=root)
    assert done.returncode == 0, done.stderr
    home = (root / "out" / "docs" / "index.md").read_text("utf-8")
    assert 'href="chapter/index.html"' in home and 'href="chapter/deck.html"' in home
    front = (root / "out" / "docs" / "chapter" / "deck.md").read_text("utf-8").split("---\n")[1]
    assert yaml.safe_load(front)["slideproof"]["links"]["report"] == "slideproof-report.html"
    built = subprocess.run([sys.executable, "-c", MKDOCS_WITHOUT_SLIDEPROOF, "build", "-q",
                            "-f", str(root / "out" / "mkdocs.yml")],
                           cwd=root, env=ENV, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    site = root / "out" / "site"
    assert 'href="chapter/index.html"' in (site / "index.html").read_text("utf-8")
    assert (site / "chapter" / "index.html").is_file()
    assert (site / "chapter" / "deck.html").is_file()
    assert (site / "slideproof-report.html").is_file()


def test_the_files_are_the_ones_mkdocs_would_build_the_site_from(tmp_path):
    """exclude_docs and draft_docs as MkDocs reads them (a negated pattern takes a hidden
    folder back), an index.md over a README.md beside it, and !ENV resolved as MkDocs
    resolves it."""
    root = small_site(tmp_path, """\
        docs_dir: !ENV [SLIDEPROOF_TEST_DOCS, "docs"]
        exclude_docs: |
          *.tmp
          !.well-known/
        draft_docs: |
          drafts/
        """)
    docs = root / "pages"
    for name in ("index.md", "README.md", "notes.tmp", "drafts/next.md", ".well-known/security.txt",
                 ".hidden.md", "templates/page.html", "guide.md"):
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(f"# {name}\n", "utf-8")
    done = slideproof("export", "-o", "out", cwd=root, env={"SLIDEPROOF_TEST_DOCS": "pages"})
    assert done.returncode == 0, done.stderr
    exported = sorted(p.relative_to(root / "out" / "docs").as_posix()
                      for p in (root / "out" / "docs").rglob("*") if p.is_file())
    assert exported == [".well-known/security.txt", "guide.md", "index.md"]
    assert "[SP514] README.md: not exported: index.md" in done.stderr
    written = load_config(root / "out" / "mkdocs.yml")
    assert "exclude_docs" not in written and "draft_docs" not in written


def test_a_failing_example_is_withheld_and_fails_the_export(tmp_path):
    root = small_site(tmp_path, execute=True)
    write_deck(root / "docs", "deck.md", """\
        # A deck

        ```python
        print(1 + 1)
        ```

        ---

        # Broken

        ```python
        1 / 0
        ```
        """)
    done = slideproof("export", "-o", "out", cwd=root)
    assert done.returncode == 1, done.stderr
    assert "ZeroDivisionError" in done.stderr
    page = (root / "out" / "docs" / "deck.md").read_text("utf-8")
    assert "sp-withheld" in page and "1 / 0" not in page
    assert "print(1 + 1)" in page


def test_root_absolute_links_become_relative_outside_code():
    text = ("See [the deck](/decks/a.md#slide-2) and ![x](/static/p.svg).\n\n"
            '<img src="/static/p.svg" width="50%">\n\n'
            "```md\n![kept](/static/p.svg)\n```\n"
            "[missing](/nowhere.md)\n")
    files = {"decks/a.md", "static/p.svg"}
    out = relink(text, "guide/page.md", files.__contains__, use_directory_urls=True)
    assert "[the deck](../decks/a.md#slide-2)" in out
    assert "![x](../static/p.svg)." in out
    assert '![](../static/p.svg){ width="50%" }' in out
    assert "![kept](/static/p.svg)" in out
    assert "[missing](/nowhere.md)" in out


@pytest.mark.parametrize("config, code, line", [
    ("site_name: x\nplugins: [slideproof\n", "SP501", 3),
    ("- just a list\n", "SP502", 1),
    ("site_name: x\nINHERIT: base.yml\n", "SP503", 2),
    ("site_name: x\nplugins:\n  - slideproof:\n      colour: red\n", "SP200", 4),
    ("plugins:\n  - search\n  - slideproof:\n      jobs: many\n", "SP201", 4),
    ("site_name: x\ndocs_dir: nowhere\n", "SP506", 2),
    ("plugins:\n  - i18n:\n      docs_structure: suffix\n", "SP510", 3),
    ("site_name: x\nexclude_docs:\n  - '*.tmp'\n", "SP515", 2),
])
def test_bad_configuration_is_reported_with_its_code_and_line(tmp_path, config, code, line):
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(config, "utf-8")
    done = slideproof("export", "-o", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert f"[{code}]" in done.stderr and f"mkdocs.yml:{line}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_output_folder_is_checked_before_anything_is_written(tmp_path):
    root = small_site(tmp_path)
    write_deck(root / "docs", "deck.md", "# A deck\n")
    inside = slideproof("export", "-o", "docs/out", cwd=root)
    assert inside.returncode == 2 and "[SP507]" in inside.stderr
    (root / "mine").mkdir()
    (root / "mine" / "notes.txt").write_text("keep me", "utf-8")
    taken = slideproof("export", "-o", "mine", cwd=root)
    assert taken.returncode == 2 and "[SP508]" in taken.stderr
    assert (root / "mine" / "notes.txt").read_text("utf-8") == "keep me"


def test_export_reads_the_options_the_plugin_declares(tmp_path):
    """One option table: what the plugin accepts in mkdocs.yml is what export accepts, and
    [tool.slideproof] under both."""
    from slideproof.export.config import slideproof_settings
    from slideproof.mkdocs_plugin import SlideproofConfig
    from slideproof.options import OPTION_TABLE

    assert {name for name, _ in SlideproofConfig._schema} == set(OPTION_TABLE)
    (tmp_path / "pyproject.toml").write_text("[tool.slideproof]\ntimeout = 7\njobs = 3\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    settings = slideproof_settings({"jobs": 2}, tmp_path / "mkdocs.yml")
    assert (settings["timeout"], settings["jobs"]) == (7.0, 2)


@pytest.mark.browser
@pytest.mark.parametrize("builder", ["mkdocs_site", "zensical_site"])
def test_presentation_mode_works_in_the_built_export(builder, request, page):
    """The deck theme's script runs on pages no slideproof plugin built."""
    site = request.getfixturevalue(builder)
    shown = """() => { const d = document.querySelector('.sp-present');
        const s = d && !d.hidden && d.querySelector('.sp-present__frame > section.sp-slide');
        return s ? Number(s.dataset.slide) : null; }"""
    with static_server(site) as base:
        page.goto(f"{base}/pt/chapter1/01-basics/")
        page.keyboard.press("p")
        page.wait_for_function(f"({shown})() === 1")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"({shown})() === 2")
        assert page.locator(".sp-present__counter").inner_text().startswith("Slide 2 de 8")
        page.keyboard.press("Escape")
        page.wait_for_function(f"({shown})() === null")
