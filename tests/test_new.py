"""`slideproof new DIR`: a course in the spaCy course's layout that builds with
`mkdocs build --strict` as it is, and checks."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

from conftest import bare_env

ENV = bare_env()


def new(cwd, *args):
    return subprocess.run([sys.executable, "-m", "slideproof.cli", "new", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_new_bilingual_course_builds_strict_and_checks(tmp_path):
    done = new(tmp_path, "course", "--lang", "en,pt")
    assert done.returncode == 0, done.stderr
    course = tmp_path / "course"
    for rel in ("mkdocs.yml", "pyproject.toml", ".github/workflows/course.yml",
                "chapters/en/index.md", "chapters/en/chapter1.md",
                "chapters/pt/slides/01-first-steps.md", "exercises/pt/exc_01_02.py",
                "exercises/pt/solution_01_02.py", "exercises/pt/test_01_02.py"):
        assert (course / rel).is_file(), rel
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=course,
                           capture_output=True, text=True, env=ENV)
    assert build.returncode == 0, build.stderr
    assert "2 decks and 2 exercises verified" in build.stderr
    pt = (course / "site" / "pt" / "slides" / "01-first-steps" / "index.html").read_text()
    assert "<title>Primeiros passos" in pt
    assert re.search(r"Olá.*mundo", pt) and 'data-status="passed"' in pt
    chapter = html.unescape((course / "site" / "pt" / "chapter1" / "index.html").read_text())
    assert "Capítulo 1: Primeiros passos" in chapter
    for piece in ('class="sp-embed"', 'data-exercise-id="01_02" data-status="passed"',
                  'type="radio"', "Escolha uma resposta", "Solução"):
        assert piece in chapter, piece
    # each language's report page covers the whole site, as its JSON does, and the
    # language built second uses the first one's run: nothing comes "from the cache"
    for prefix in ("", "pt/"):
        report = html.unescape((course / "site" / prefix / "slideproof-report" /
                                "index.html").read_text("utf-8"))
        assert "en/slides/01-first-steps.md" in report and \
            "pt/slides/01-first-steps.md" in report
        assert re.search(r"2 (of 2|de 2)|All 2|Todos os 2", report)
        data = json.loads((course / "site" / prefix / "slideproof-report.json").read_text())
        kinds = sorted(d["kind"] for d in data["decks"])
        assert kinds == ["deck", "deck", "exercise", "exercise"] and data["seconds"] > 0
        assert not any(d["cached"] for d in data["decks"])
    check = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", ".", "-q"],
                           cwd=course, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_new_refuses_to_overwrite_and_bad_languages(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: mine\n")
    done = new(tmp_path, ".")
    assert done.returncode == 2
    assert "[SP230]" in done.stderr and "already exists" in done.stderr
    assert (tmp_path / "mkdocs.yml").read_text() == "site_name: mine\n"
    assert not (tmp_path / "chapters").exists()  # nothing written
    done = new(tmp_path, "other", "--lang", "en,Portuguese")
    assert done.returncode == 2 and "[SP231] 'Portuguese' is not a language code" in done.stderr
    assert "Traceback" not in done.stderr
