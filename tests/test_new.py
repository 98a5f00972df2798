"""`slideproof new DIR`: a course that builds with `mkdocs build --strict` as it is."""

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
                "docs/en/01-first-steps.md", "docs/pt/01-first-steps.md"):
        assert (course / rel).is_file(), rel
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=course,
                           capture_output=True, text=True, env=ENV)
    assert build.returncode == 0, build.stderr
    pt = (course / "site" / "pt" / "01-first-steps" / "index.html").read_text("utf-8")
    assert "<title>Primeiros passos" in pt
    assert re.search(r"Olá.*mundo", pt) and 'data-status="passed"' in pt
    # each language's report page covers the whole site, as its JSON does, and the
    # language built second uses the first one's run: nothing comes "from the cache"
    for prefix in ("", "pt/"):
        report = html.unescape((course / "site" / prefix / "slideproof-report" /
                                "index.html").read_text("utf-8"))
        assert "en/01-first-steps.md" in report and "pt/01-first-steps.md" in report
        assert re.search(r"2 (of 2|de 2)|All 2|Todos os 2", report)
        data = json.loads((course / "site" / prefix / "slideproof-report.json").read_text())
        assert len(data["decks"]) == 2 and data["seconds"] > 0
        assert not any(d["cached"] for d in data["decks"])
    check = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", "docs", "-q"],
                           cwd=course, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_new_refuses_to_overwrite_and_bad_languages(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: mine\n")
    done = new(tmp_path, ".")
    assert done.returncode == 2
    assert "[SP230]" in done.stderr and "mkdocs.yml already exists" in done.stderr
    assert (tmp_path / "mkdocs.yml").read_text() == "site_name: mine\n"
    assert not (tmp_path / "docs").exists()  # nothing written
    done = new(tmp_path, "other", "--lang", "en,Portuguese")
    assert done.returncode == 2 and "[SP231] 'Portuguese' is not a language code" in done.stderr
    assert "Traceback" not in done.stderr
