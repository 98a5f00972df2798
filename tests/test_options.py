"""One configuration for every entry point: [tool.slideproof] in pyproject.toml, read by
`slideproof check`, `pytest --slideproof` and the MkDocs plugin, under their own flags and
options; a prelude per language."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slideproof import options
from slideproof.errors import ConfigError

from conftest import bare_env, write_deck

ENV = bare_env()

# A deck per language; each prints what its prelude defined.
PRINT_WHO = """\
    # Who

    ```python
    print(who)
    ```
    """


def course(folder: Path, pyproject: str) -> Path:
    """A course folder: pyproject.toml, preludes, an English deck (language folder) and a
    Portuguese one (.pt.md suffix), both printing the name their prelude defines."""
    (folder / "pyproject.toml").write_text(textwrap.dedent(pyproject), "utf-8")
    (folder / "prelude").mkdir(exist_ok=True)
    (folder / "prelude" / "pt.py").write_text("who = 'pt file'\n", "utf-8")
    (folder / "prelude" / "flag.py").write_text("who = 'flag'\n", "utf-8")
    write_deck(folder / "docs" / "en", "intro.md", PRINT_WHO)
    write_deck(folder / "docs", "intro.pt.md", PRINT_WHO)
    return folder


PYPROJECT = """\
    [project]
    name = "a-course"

    [tool.slideproof]
    timeout = 30
    cache = false

    [tool.slideproof.prelude]
    en = "who = 'en code'"
    pt = "prelude/pt.py"
    """


def check(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    done = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", "docs", "-q",
                           "--json", "report.json", "-j", "2", *args],
                          cwd=folder, capture_output=True, text=True)
    report = folder / "report.json"
    data = json.loads(report.read_text("utf-8")) if report.is_file() else {}
    return done, data


def outputs(data: dict) -> dict[str, str]:
    return {Path(d["path"]).as_posix(): d["blocks"][0]["output"].strip()
            for d in data["decks"]}


def test_per_language_prelude_from_pyproject_and_a_flag_overrides_it(tmp_path):
    course(tmp_path, PYPROJECT)
    sub = tmp_path / "docs" / "en"  # found by walking up from the current folder
    done = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", ".", "-q",
                           "--json", "../../report.json"], cwd=sub, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert outputs(data) == {"intro.md": "en code"}

    done, data = check(tmp_path)
    assert done.returncode == 0, done.stderr
    assert outputs(data) == {"docs/en/intro.md": "en code", "docs/intro.pt.md": "pt file"}

    done, data = check(tmp_path, "--prelude", "pt=prelude/flag.py")
    assert done.returncode == 0, done.stderr
    assert outputs(data) == {"docs/en/intro.md": "en code", "docs/intro.pt.md": "flag"}


def test_unknown_key_names_it_the_file_line_and_the_known_keys(tmp_path):
    course(tmp_path, PYPROJECT.replace("timeout = 30", "timeout = 30\ntimout = 5"))
    done, _ = check(tmp_path)
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "pyproject.toml:6: [SP200] Unknown option 'timout'" in err
    assert "Known options:" in err and "fail_on_unverified" in err
    assert "Traceback" not in done.stderr


def test_wrong_type_says_which_key_and_what_it_expects(tmp_path):
    course(tmp_path, PYPROJECT.replace("timeout = 30", 'timeout = "long"'))
    done, _ = check(tmp_path)
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "pyproject.toml:5: [SP201] The option 'timeout' must be a number of seconds" in err
    course(tmp_path, PYPROJECT.replace('pt = "prelude/pt.py"', "pt = 3"))
    done, _ = check(tmp_path)
    assert "pyproject.toml:10: [SP201] The option 'prelude.pt' must be" in \
        " ".join(done.stderr.split())
    done, _ = check(tmp_path.parent / tmp_path.name, "--jobs", "0")
    assert done.returncode == 2


def test_bad_values_from_each_layer():
    layer = options.Layer({}, "here", Path("."), flag_prefix="--")
    with pytest.raises(ConfigError, match=r"\[SP201\] The option 'jobs' must be a whole"):
        options.resolve(options.Layer({"jobs": 0}, "cli", Path("."), flag_prefix="--"))
    with pytest.raises(ConfigError, match="one of auto, bwrap, unshare, none"):
        options.check("sandbox", "docker", layer)
    with pytest.raises(ConfigError, match=r"'models\.en_core_web_sm' must be a package"):
        options.check("models", {"en_core_web_sm": 3}, layer)
    for bad in (float("nan"), float("inf"), -1, 0, True, 2e6):
        with pytest.raises(ConfigError, match="timeout"):
            options.check("timeout", bad, layer)
    with pytest.raises(ConfigError, match=r"\[SP204\] The prelude file"):
        options.check("prelude", {"en": "missing.py"}, layer)
    settings = options.resolve()
    assert settings["timeout"] == 60.0 and settings["sandbox"] == "auto"


def test_invalid_toml_points_at_its_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.slideproof]\ntimeout = = 3\n")
    with pytest.raises(ConfigError) as err:
        options.load(start=tmp_path)
    assert "pyproject.toml:2" in str(err.value) and "[SP202]" in str(err.value)


def test_pytest_plugin_reads_pyproject_and_its_flags_override(tmp_path):
    course(tmp_path, PYPROJECT)
    # A pyproject.toml with [tool.slideproof] is also where pytest looks for its ini.
    argv = [sys.executable, "-m", "pytest", "--slideproof", "docs", "-p", "no:cacheprovider",
            "-q", "-rA", "--slideproof-cache-dir", str(tmp_path / "c"), "-s"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    done = subprocess.run([*argv, "--slideproof-timeout", "0"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "--slideproof-timeout: [SP201]" in " ".join(done.stderr.split())
    bad = PYPROJECT.replace("cache = false", "cache = false\nsandbx = 'none'")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(bad), "utf-8")
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "[SP200] Unknown option 'sandbx'" in done.stderr


def test_mkdocs_plugin_reads_pyproject_under_its_own_options(tmp_path):
    course(tmp_path, PYPROJECT)
    (tmp_path / "docs" / "index.md").write_text("# Home\n", "utf-8")
    yml = textwrap.dedent("""\
        site_name: Test
        theme: material
        plugins:
          - slideproof:
              cache: false
        """)
    (tmp_path / "mkdocs.yml").write_text(yml, "utf-8")
    argv = [sys.executable, "-m", "mkdocs", "build", "-d", str(tmp_path / "site")]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "site" / "slideproof-report.json").read_text("utf-8"))
    assert outputs(report) == {"en/intro.md": "en code", "intro.pt.md": "pt file"}
    # The plugin's option wins over the file, language by language.
    (tmp_path / "mkdocs.yml").write_text(yml + "      prelude:\n        en: who = 'yml'\n")
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "site" / "slideproof-report.json").read_text("utf-8"))
    assert outputs(report) == {"en/intro.md": "yml", "intro.pt.md": "pt file"}
    (tmp_path / "mkdocs.yml").write_text(yml + "      timeout: -3\n")
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert done.returncode != 0
    assert "mkdocs.yml:6: [SP201] The option 'timeout'" in " ".join(done.stderr.split())


CORPUS_DECKS = ["en/slides/chapter1_01_introduction-to-spacy.md",
                "en/slides/chapter2_01_data-structures-1.md",
                "pt/slides/chapter2_01_data-structures-1.md"]


def test_corpus_decks_same_statuses_from_check_pytest_and_mkdocs(corpus, tmp_path):
    """Real decks, read in place, with a per-language prelude and model aliases (tiny blank
    pipelines saved here, not downloaded models) in [tool.slideproof]."""
    import spacy

    for lang in ("en", "pt"):
        spacy.blank(lang).to_disk(tmp_path / f"{lang}_blank")
    course_dir = corpus / "spacy-course"
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [tool.slideproof]
        cache = false
        jobs = 2

        [tool.slideproof.models]
        en_core_web_sm = "{tmp_path / 'en_blank'}"
        pt_core_news_sm = "{tmp_path / 'pt_blank'}"

        [tool.slideproof.prelude]
        en = "import spacy\\nnlp = spacy.load('en_core_web_sm')"
        pt = "import spacy\\nnlp = spacy.load('pt_core_news_sm')"
        """), "utf-8")
    paths = [str(course_dir / d) for d in CORPUS_DECKS]
    done = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", *paths, "-q",
                           "--json", "check.json"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode in (0, 1), done.stderr
    checked = json.loads((tmp_path / "check.json").read_text("utf-8"))

    def statuses(data):
        return {(Path(d["path"]).parts[-3], Path(d["path"]).name, b["line"]): b["status"]
                for d in data["decks"] for b in d["blocks"]}

    by_check = statuses(checked)
    assert len(by_check) > 5
    assert not any("'nlp' is not defined" in b["message"] for d in checked["decks"]
                   for b in d["blocks"])  # the prelude of each language ran

    keep = "\n".join(f"  !{d}" for d in CORPUS_DECKS)
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: Corpus\ndocs_dir: {course_dir}\nsite_dir: {tmp_path / 'site'}\n"
        f"theme: material\nplugins:\n  - slideproof\nexclude_docs: |\n  *.md\n{keep}\n",
        "utf-8")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path,
                           capture_output=True, text=True, env=ENV)
    assert built.returncode == 0, built.stderr
    site = json.loads((tmp_path / "site" / "slideproof-report.json").read_text("utf-8"))
    assert statuses(site) == by_check

    ran = subprocess.run([sys.executable, "-m", "pytest", "--slideproof", *paths, "-q",
                          "-p", "no:cacheprovider", "--junitxml", "pytest.xml"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    import xml.etree.ElementTree as ET

    outcome = {}
    for case in ET.parse(tmp_path / "pytest.xml").getroot().iter("testcase"):
        parts = case.get("classname").split(".")
        key = (parts[-4], f"{parts[-2]}.md", int(case.get("name")[1:]))
        outcome[key] = ("failed" if case.find("failure") is not None else
                        "skipped" if case.find("skipped") is not None else "passed")
    fold = {"passed": "passed", "expected-error": "passed", "unverified": "skipped",
            "skipped": "skipped"}
    assert outcome == {k: fold.get(v, "failed") for k, v in by_check.items()}


def test_a_model_path_is_relative_to_the_file_that_names_it(tmp_path):
    """Decks run in a temporary folder: a model alias written as a path in pyproject.toml
    is found next to that file, wherever the check is started."""
    import spacy

    (tmp_path / "models").mkdir()
    spacy.blank("pt").to_disk(tmp_path / "models" / "pt_blank")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.slideproof]
        cache = false
        [tool.slideproof.models]
        pt_core_news_sm = "models/pt_blank"
        """), "utf-8")
    write_deck(tmp_path / "docs", "deck.md", """\
        # Load

        ```python
        import spacy
        print(spacy.load("pt_core_news_sm").lang)
        ```
        """)
    (tmp_path / "docs" / "sub").mkdir()
    done = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", "..", "-q",
                           "--json", "r.json"], cwd=tmp_path / "docs" / "sub",
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "docs" / "sub" / "r.json").read_text("utf-8"))
    assert [b["output"].strip() for b in data["decks"][0]["blocks"]] == ["pt"]


def test_every_flagged_option_is_a_flag_of_the_command_line_and_of_pytest():
    """The flags are made from the option table: none is missing from either adapter."""
    from slideproof.cli import build_parser

    cli = build_parser().parse_args(["check", "x"])
    pytest_help = subprocess.run([sys.executable, "-m", "pytest", "--help"],
                                 capture_output=True, text=True, env=ENV).stdout
    for key in options.OPTION_TABLE:
        name = options.flag_name(key)
        if name is None:
            continue
        assert hasattr(cli, key), key
        assert f"--slideproof-{name}" in pytest_help, key


def test_the_deck_size_limit_of_pyproject_holds_for_the_cli_and_pytest(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.slideproof]\nmax_deck_size = 1\n")
    write_deck(tmp_path, "big.md", "# Big\n\n" + "text\n" * 300_000)
    check = subprocess.run([sys.executable, "-m", "slideproof.cli", "check", "big.md",
                            "--no-cache", "--json", "r.json"], cwd=tmp_path,
                           capture_output=True, text=True, env=ENV, timeout=600)
    assert check.returncode == 1
    [error] = json.loads((tmp_path / "r.json").read_text())["errors"]
    assert error["message"].startswith("[SP103] The file is 1500029 bytes")
    done = subprocess.run([sys.executable, "-m", "pytest", "--slideproof", "big.md",
                           "-p", "no:cacheprovider", "-q", "--slideproof-no-cache"],
                          cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 1
    assert "[SP103] The file is 1500029 bytes" in done.stdout, done.stdout[-2000:]
