"""A whole course in the spaCy course's layout, made here: ``slideproof init`` and a real
``mkdocs build``; what the chapter pages publish and withhold, the build's warnings, the
notebooks, the JSON items, JUnit, pytest items, the cache key, ``fix`` on a solution file,
and the read-only course folder exercises run in."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import bare_env, chapter_site, line_of, run_cli, write_course

ENV = bare_env()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return chapter_site(tmp_path_factory)


def text_of(page: str) -> str:
    """A page's visible text, tags out, entities read, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def code_of(page: str) -> str:
    """A page's text as written, tags out and entities read (code keeps its spacing)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def section(page: str, anchor: str) -> str:
    """The HTML of one exercise's section."""
    start = page.index(f'id="{anchor}"')
    end = page.find('<section class="sp-exercise"', start)
    return page[start:end if end > 0 else len(page)]


def test_init_writes_the_configuration_once_and_needs_chapters(tmp_path):
    write_course(tmp_path)
    done = run_cli("init", str(tmp_path))
    assert done.returncode == 0, done.stderr
    config = (tmp_path / "mkdocs.yml").read_text("utf-8")
    for line in ("docs_dir: chapters", "- chapter1.md", "locale: en", "default: true",
                 "locale: pt", "name: Português", "static_files: static", "mkdocs-jupyter"):
        assert line in config, line
    assert config.index("locale: en") < config.index("locale: pt")  # en is the default
    again = run_cli("init", str(tmp_path))
    assert again.returncode == 2 and "[SP611]" in again.stderr
    assert (tmp_path / "mkdocs.yml").read_text("utf-8") == config
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_cli("init", str(empty))
    assert done.returncode == 2 and "[SP612] No chapter pages found in" in done.stderr
    assert not (empty / "mkdocs.yml").exists() and "Traceback" not in done.stderr


def test_init_orders_chapters_by_a_numeric_id_in_any_script(tmp_path):
    """A chapter's id is a number when it is written in decimal digits of any script; a
    digit that is no decimal (a superscript) makes it an id like any other text, after the
    numbered chapters, where it once stopped init with a ValueError."""
    pages = tmp_path / "chapters" / "en"
    pages.mkdir(parents=True)
    for name, ident in (("a.md", '"²"'), ("b.md", '"٣"'), ("c.md", "2"), ("d.md", '"01"')):
        (pages / name).write_text(f"---\ntype: chapter\ntitle: {name}\nid: {ident}\n---\n\n"
                                  "Text.\n", "utf-8")
    done = run_cli("init", str(tmp_path))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    config = yaml.safe_load((tmp_path / "mkdocs.yml").read_text("utf-8"))
    assert config["nav"] == ["d.md", "c.md", "b.md", "a.md"]


def test_the_chapter_page_publishes_what_ran_and_withholds_the_rest(site):
    page = (site / "site" / "chapter1" / "index.html").read_text("utf-8")
    # each exercise a numbered section, in the page's contents; the embedded slides not
    toc = page[page.index('aria-label="Table of contents"'):]
    toc = text_of(toc[:toc.index("</nav>")])
    for title in ("1. Tokens and spans", "2. Count the tokens", "3. Match a word",
                  "4. Already done", "5. Words from a file", "6. What a blank pipeline holds"):
        assert title in toc
    assert "A Doc" not in toc
    # the passing exercise: skeleton, hint, and the solution with its real output
    passing = section(page, "exercise-2")
    assert "exc_01_02.py" in passing and "print(____)" in code_of(passing)
    assert '<details class="tip">' in passing and "is the number of its tokens" in passing
    solution = passing[passing.index('<details class="success">'):]
    assert "print(len(doc))" in code_of(solution)
    assert re.search(r"Output · verified with spaCy [\d.]+</span><pre><span></span><code>3\n",
                     solution)
    # broken on spaCy 3: its skeleton stays, its solution is withheld with the notice
    broken = code_of(section(page, "exercise-3"))
    assert "Solution withheld" in broken and "did not pass its test" in broken
    assert 'matcher.add("WORD", None, ____)' in broken
    assert 'matcher.add("WORD", None, pattern)' not in broken
    # the data file, opened by its path from the course folder
    assert "['tree', 'kangaroo']" in code_of(section(page, "exercise-5"))
    # the choice: a radio group, the option's inline HTML kept, each explanation marked
    choice = section(page, "exercise-6")
    assert choice.count('type="radio"') == 2 and "<legend" in choice
    assert "<code>pipe_names</code>" in choice
    assert choice.count('data-correct="true"') == 1 and "Correct!" in choice
    # the embedded deck: its slides, a button presenting them, its image from static/
    slides = section(page, "exercise-1")
    assert 'href="../slides/chapter1_01_tokens/#present-1"' in slides
    assert 'id="exercise-1-slide-2"' in slides and "['Hello', 'world']" in code_of(slides)
    assert 'src="../static/pixel.png"' in slides
    assert (site / "site" / "static" / "pixel.png").is_file()
    # the other language, in its words
    pt = text_of((site / "site" / "pt" / "chapter1" / "index.html").read_text("utf-8"))
    assert "Solução omitida" in pt and "Escolha uma resposta" in pt and "Apresentar" in pt


def test_the_build_warns_with_file_and_line(site):
    log = (site / "build.log").read_text("utf-8")
    solution = site / "exercises" / "en" / "solution_01_03.py"
    chapter = site / "chapters" / "en" / "chapter1.md"
    assert re.search(rf"WARNING +- +exercises/en/solution_01_03.py:"
                     rf"{line_of(solution, 'matcher.add')}: failed: TypeError: add\(\) takes "
                     rf".*\(the exercise at en/chapter1.md:{line_of(chapter, '01_03')}\)", log)
    assert re.search(r"WARNING +- +exercises/en/exc_01_04.py:1: \[SP608\] the exercise is "
                     r"already solved", log)
    assert re.search(r"WARNING +- +exercises/en/test_general.py:15: failed: AssertionError",
                     log)
    assert "exc_01_02.py" not in log  # the skeleton with blanks does not pass: nothing said
    assert "Traceback" not in log


def test_the_notebook_to_practise_in(site):
    path = site / "site" / "chapter1" / "notebook" / "chapter1.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = [(c.cell_type, c.source, c.metadata.get("slideproof", {})) for c in nb.cells]
    skeletons = [src for kind, src, meta in cells if meta.get("role") == "skeleton"]
    checks = [src for kind, src, meta in cells if meta.get("role") == "check"]
    assert len(skeletons) == len(checks) == 4 and "print(____)" in skeletons[0]
    assert "def test():" in checks[0] and checks[0].rstrip().endswith("test()")
    assert "__msg__" in checks[0] and "__solution__" in checks[0]
    solutions = {meta["exercise"]: src for kind, src, meta in cells
                 if kind == "markdown" and "exercise" in meta}
    assert "<details>" in solutions["01_02"] and "print(len(doc))" in solutions["01_02"]
    assert "\n3\n" in solutions["01_02"]
    withheld = next(src for kind, src, meta in cells if "Solution withheld" in src)
    assert 'None, pattern' not in withheld
    assert (site / "site" / "chapter1" / "notebook" / "index.html").is_file()


def test_the_report_lists_every_item_with_its_kind(site):
    data = json.loads((site / "site" / "slideproof-report.json").read_text("utf-8"))
    assert sorted((d["lang"], d["id"]) for d in data["decks"] if d["kind"] == "exercise") == [
        ("en", "01_02"), ("en", "01_03"), ("en", "01_04"), ("en", "01_05"), ("pt", "01_02"),
        ("pt", "01_03")]
    en = {d["id"]: d for d in data["decks"] if d["kind"] == "exercise" and d["lang"] == "en"}
    assert {i: d["status"] for i, d in en.items()} == {
        "01_02": "passed", "01_03": "failed", "01_04": "passed", "01_05": "passed"}
    assert en["01_03"]["where"] == "exercises/en/solution_01_03.py:7"
    assert en["01_03"]["path"] == "exercises/en/solution_01_03.py"
    assert en["01_04"]["warnings"][0].startswith("exercises/en/exc_01_04.py:1: [SP608]")
    chapter = site / "chapters" / "en" / "chapter1.md"
    assert en["01_02"]["chapter"] == {"path": "en/chapter1.md", "section": "2",
                                      "line": line_of(chapter, 'codeblock id="01_02"')}
    assert [d["kind"] for d in data["decks"]].count("deck") == 2
    [tests] = [d for d in data["decks"] if d["kind"] == "tests"]
    assert [(b["name"], b["status"]) for b in tests["blocks"][1:]] == [
        ("test_blank_has_no_components", "passed"), ("test_two_tokens", "failed")]
    report = (site / "site" / "slideproof-report" / "index.html").read_text("utf-8")
    assert "of its 6 coding exercises passed their tests" in text_of(report)
    assert 'href="../chapter1/#exercise-3"' in report


def test_check_reports_exercises_as_items_junit_and_github(tmp_path):
    write_course(tmp_path)
    test = tmp_path / "exercises" / "pt" / "test_01_02.py"
    test.write_text(test.read_text("utf-8").replace("== 3", "== 4"), "utf-8")  # a wrong test
    done = run_cli("check", ".", "--no-cache", "--json", "r.json", "--junit", "j.xml",
                   "--github", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    pt = {d["id"]: d for d in data["decks"] if d["kind"] == "exercise" and d["lang"] == "pt"}
    assert pt["01_02"]["status"] == "failed"
    assert pt["01_02"]["where"] == "exercises/pt/test_01_02.py:2"  # the test's failing line
    assert pt["01_02"]["message"] == "AssertionError: Process the text"
    assert [b["path"] for b in pt["01_02"]["blocks"]] == [
        "exercises/pt/solution_01_02.py", "exercises/pt/test_01_02.py"]
    assert data["ok"] is False
    junit = (tmp_path / "j.xml").read_text("utf-8")
    assert re.search(r'<testcase classname="exercises/pt/solution_01_03.py" '
                     r'name="exercise 01_03" file="exercises/pt/solution_01_03.py" line="7"',
                     junit)
    assert "::error file=exercises/pt/test_01_02.py,line=2,title=slideproof%3A failed::" \
        in done.stdout
    assert "::warning file=exercises/en/exc_01_04.py,line=1,title=slideproof%3A exercise::" \
        in done.stdout
    assert re.search(r"en +│ +4 │ +3 │ +1 │", done.stderr)  # exercises per language


def test_pytest_has_an_item_per_exercise_and_per_general_test(tmp_path):
    write_course(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pytest", "--slideproof", "chapters",
                           "-p", "no:cacheprovider", "-rA", "--slideproof-no-cache",
                           "-W", "default"], cwd=tmp_path, capture_output=True, text=True,
                          env=ENV, timeout=600)
    out = done.stdout
    assert done.returncode == 1, out[-3000:]
    for name in ("PASSED chapters/en/chapter1.md::exercise 01_02",
                 "FAILED chapters/en/chapter1.md::exercise 01_03",
                 "PASSED chapters/en/chapter1.md::exercise 01_05",
                 "PASSED chapters/en/chapter1.md::test_general.py::test_blank_has_no_components",
                 "FAILED chapters/en/chapter1.md::test_general.py::test_two_tokens",
                 "FAILED chapters/pt/chapter1.md::exercise 01_03",
                 "PASSED chapters/en/slides/chapter1_01_tokens.md::L15"):
        assert name in out, name
    assert "exercises/en/solution_01_03.py:7: failed" in out
    assert "[SP608] the exercise is already solved" in out
    assert re.search(r"3 failed, 7 passed", out), out[-500:]


def test_the_cache_key_has_the_data_files_an_exercise_opens(tmp_path):
    write_course(tmp_path)

    def check() -> dict:
        done = run_cli("check", ".", "--json", "r.json", "-q", cwd=tmp_path)
        assert "Traceback" not in done.stderr
        data = json.loads((tmp_path / "r.json").read_text("utf-8"))
        return {(d["kind"], d.get("lang"), d.get("id") or d["path"]): d["cached"]
                for d in data["decks"]}

    first = check()
    assert not any(first.values())
    page = tmp_path / "chapters" / "en" / "chapter1.md"
    page.write_text(page.read_text("utf-8").replace("Read the words", "Read all the words"))
    assert all(check().values())  # prose is not in any key
    (tmp_path / "exercises" / "en" / "words.json").write_text('["tree", "wombat"]\n')
    third = check()
    assert [key for key, cached in third.items() if not cached] == [("exercise", "en", "01_05")]


def test_fix_rewrites_the_solution_file_and_not_the_test(tmp_path):
    write_course(tmp_path)
    solution = tmp_path / "exercises" / "en" / "solution_01_03.py"
    test = tmp_path / "exercises" / "en" / "test_01_03.py"
    before = test.read_bytes()
    done = run_cli("fix", "chapters/en", "--write", "--no-cache", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    assert 'matcher.add("WORD", [pattern])' in solution.read_text("utf-8")
    assert test.read_bytes() == before
    assert "--- exercises/en/solution_01_03.py" in done.stdout
    check = run_cli("check", "chapters/en", "--no-cache", "--json", "r.json", "-q",
                    cwd=tmp_path)
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    fixed = next(d for d in data["decks"] if d.get("id") == "01_03")
    assert fixed["status"] == "passed", check.stderr


def test_an_exercise_reads_its_course_folder_and_cannot_write_it(tmp_path):
    write_course(tmp_path)
    solution = tmp_path / "exercises" / "en" / "solution_01_02.py"
    solution.write_text(solution.read_text("utf-8") + "open('exercises/en/new.txt', 'w')\n")
    run_cli("check", "chapters/en", "--no-cache", "--json", "r.json", "-q", cwd=tmp_path)
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    written = next(d for d in data["decks"] if d.get("id") == "01_02")
    assert written["status"] == "failed"
    assert re.search(r"(Read-only file system|Permission denied)", written["message"])
    assert written["where"] == f"exercises/en/solution_01_02.py:{line_of(solution, 'new.txt')}"
    assert not (tmp_path / "exercises" / "en" / "new.txt").exists()


def test_shards_cover_the_course_once_and_merge(tmp_path):
    write_course(tmp_path)
    for k in (1, 2):
        done = run_cli("check", ".", "--no-cache", "-q", "--shard", f"{k}/2", "--json",
                       f"s{k}.json", cwd=tmp_path)
        assert "Traceback" not in done.stderr, done.stderr
    merged = run_cli("report", "merge", "s1.json", "s2.json", "-o", "all.json", cwd=tmp_path)
    assert merged.returncode == 1, merged.stderr  # the course has failures; nothing is lost
    items = json.loads((tmp_path / "all.json").read_text("utf-8"))["decks"]
    assert sorted((d["kind"], d.get("lang"), d.get("id") or d["path"]) for d in items) == [
        ("deck", "en", "chapters/en/slides/chapter1_01_tokens.md"),
        ("deck", "pt", "chapters/pt/slides/chapter1_01_tokens.md"),
        ("exercise", "en", "01_02"), ("exercise", "en", "01_03"), ("exercise", "en", "01_04"),
        ("exercise", "en", "01_05"), ("exercise", "pt", "01_02"), ("exercise", "pt", "01_03"),
        ("tests", "en", "exercises/en/test_general.py")]


def test_the_served_view_shows_what_went_wrong(tmp_path):
    """``mkdocs serve`` (show_all) shows a failing solution with its status, file:line and
    traceback, and what the skeleton says, in place."""
    write_course(tmp_path)
    assert run_cli("init", ".", cwd=tmp_path).returncode == 0
    config = tmp_path / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace(
        "- slideproof:\n", "- slideproof:\n    show_all: true\n    cache: false\n"), "utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path,
                          capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    page = (tmp_path / "site" / "chapter1" / "index.html").read_text("utf-8")
    broken = code_of(section(page, "exercise-3"))
    assert 'matcher.add("WORD", None, pattern)' in broken  # shown, not withheld
    assert "failed — exercises/en/solution_01_03.py:7" in broken
    assert 'File "' in broken and "TypeError: add() takes exactly 2" in broken
    solved = code_of(section(page, "exercise-4"))
    assert "passed — exercises/en/solution_01_04.py:1" in solved
    assert "[SP608] the exercise is already solved" in solved
