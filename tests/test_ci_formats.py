"""`slideproof check` for CI: --junit, --github, --shard K/N and `slideproof report merge`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from slideproof import ci_formats
from slideproof.cli import build_parser, main
from slideproof.judge import Policy
from slideproof.report import MergeError, merge_reports
from slideproof.shard import parse_shard, select_shard

from conftest import SEED_SHIFT, line_of, run_cli, seed_copy, without_timing, write_deck


# -- the seed deck, in every format --------------------------------------------------------
def test_seed_deck_junit_and_github(tmp_path):
    seed = seed_copy(tmp_path / "course" / "seed.md")
    done = run_cli("check", "-q", "--no-cache", "course", "--junit", "out/junit.xml", "--github",
                   "--json", "out/report.json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    data = json.loads((tmp_path / "out/report.json").read_text("utf-8"))
    fences = [b["line"] for b in data["decks"][0]["blocks"]]
    assert fences == [72 + SEED_SHIFT, 79 + SEED_SHIFT, 140 + SEED_SHIFT]

    root = ET.parse(tmp_path / "out/junit.xml").getroot()  # valid XML
    assert root.tag == "testsuites"
    cases = root.findall(".//testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == \
        [("course/seed.md", f"L{n}") for n in fences]
    assert cases[0].find("failure") is None
    assert cases[1].find("failure") is not None
    failure = cases[2].find("failure")
    assert "E966" in failure.get("message") and "E966" in failure.get("type")
    assert (root.get("tests"), root.get("failures")) == ("3", "2")

    lines = done.stdout.strip().split("\n")
    assert len(lines) == 2 and all(line.startswith("::error file=course/seed.md,line=")
                                   for line in lines)
    pipeline_line = line_of(seed, "nlp.add_pipe(ner)")
    assert lines[1].startswith(f"::error file=course/seed.md,line={pipeline_line},"
                               "title=slideproof%3A failed E966::ValueError: [E966]")
    loop = data["decks"][0]["blocks"][1]["error"]["line"]
    assert seed.read_text("utf-8").split("\n")[loop - 1].strip() in (
        "for batch in spacy.util.minibatch(TRAINING_DATA):", "nlp.update(texts, annotations)")
    assert lines[0].startswith(f"::error file=course/seed.md,line={loop},")
    assert "\n" not in lines[1] and "%0A" in lines[1]


# -- GitHub workflow commands --------------------------------------------------------------
def test_github_escaping():
    assert ci_formats.escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert ci_formats.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = ci_formats.command("error", "d/x, y.md", 7, "slideproof: failed", "bad: 50%\nok")
    assert line == "::error file=d/x%2C y.md,line=7,title=slideproof%3A failed::bad: 50%25%0Aok"


def report(decks, errors=(), **extra) -> dict:
    data = {"environment": {"python": "3.11", "spacy": "3.8"}, "incomplete": False,
            "seconds": 1.0, "summary": {}, "ok": True, "errors": list(errors), "warnings": [],
            "decks": decks}
    data.update(extra)
    return data


def block(line, status, message="", **extra) -> dict:
    return {"line": line, "slide": 1, "status": status, "message": message, "seconds": 0.1,
            "output": "", "display": None, "expected": None, "expected_line": None,
            "diff": None, "error": None, "warnings": [], "blocked_by": None, **extra}


def sample() -> dict:
    return report([{"path": "docs/a.md", "title": "A", "cached": False, "seconds": 0.5,
                    "error": None, "blocks": [
                        block(5, "passed"),
                        block(9, "failed", "ValueError: [E966] bad \x1b[31mred\x00",
                              error={"type": "ValueError", "message": "[E966] bad",
                                     "code": "E966", "line": 11}),
                        block(15, "output-differs", "the output differs",
                              diff="--- expected\n+++ actual\n-a\n+b"),
                        block(20, "deprecated", "DeprecationWarning [W123]: old",
                              warnings=[{"category": "DeprecationWarning", "message": "old",
                                         "code": "W123"}]),
                        block(25, "unverified", "needs en_core_web_sm"),
                        block(30, "skipped", "needs a GPU"),
                    ]}],
                  errors=[{"path": "docs/bad.md", "line": 3, "message": "Unknown fence <x>"}])


def test_github_levels_follow_the_policy():
    lines = ci_formats.github_commands(sample(), Policy())
    assert [line.split(" ", 1)[0] for line in lines] == \
        ["::error", "::error", "::error", "::warning", "::notice"]
    assert lines[0].startswith("::error file=docs/bad.md,line=3,")
    assert lines[1].startswith("::error file=docs/a.md,line=11,title=slideproof%3A failed E966::")
    assert "%0A-a%0A+b" in lines[2]
    assert lines[3].startswith("::warning file=docs/a.md,line=20,"
                               "title=slideproof%3A deprecated W123::")
    relaxed = ci_formats.github_commands(sample(), Policy(fail_on_output_differs=False,
                                                          fail_on_deprecated=True))
    assert [line.split(" ", 1)[0] for line in relaxed] == \
        ["::error", "::error", "::warning", "::error", "::notice"]


# -- JUnit ---------------------------------------------------------------------------------
def test_junit_is_valid_xml_with_one_testcase_per_block():
    text = ci_formats.junit_xml(sample(), Policy())
    root = ET.fromstring(text.encode("utf-8"))
    cases = root.findall(".//testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("docs/bad.md", "L3"), ("docs/a.md", "L5"), ("docs/a.md", "L9"), ("docs/a.md", "L15"),
        ("docs/a.md", "L20"), ("docs/a.md", "L25"), ("docs/a.md", "L30")]
    kinds = [[child.tag for child in c] for c in cases]
    assert kinds == [["error"], [], ["failure"], ["failure"], ["system-out"], ["skipped"],
                     ["skipped"]]
    assert cases[2].find("failure").get("message").startswith("ValueError: [E966] bad")
    assert "\\x1b" in cases[2].find("failure").get("message")  # escaped, not raw
    assert "+b" in cases[3].find("failure").text
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("7", "2", "1", "2")


# -- sharding and merging ------------------------------------------------------------------
def test_shard_argument():
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/2"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["check", "docs", "--shard", "4/3"])


@pytest.mark.parametrize("count", [1, 2, 3, 7, 20])
def test_shards_cover_every_deck_once_and_keep_the_order(count):
    paths = [f"docs/{c}/{i}.md" for c in ("a", "a-b", "b") for i in range(count)]
    for n in (1, 2, 3, 5):
        parts = [select_shard(paths, k, n) for k in range(1, n + 1)]
        assert sorted(p for part in parts for p in part) == sorted(paths)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
        for part in parts:
            assert part == [p for p in paths if p in part]
    assert select_shard(paths, 2, 3) == select_shard(list(paths), 2, 3)


def test_merge_refuses_mixed_or_repeated_shards_and_marks_missing_ones():
    every = ["a.md", "b.md"]
    one = report([], shard={"index": 1, "count": 2, "paths": every})
    two = report([], shard={"index": 2, "count": 2, "paths": every})
    assert merge_reports([one, two])["ok"] is True
    partial = merge_reports([one])
    assert partial["incomplete"] is True and partial["ok"] is False
    assert "2/2" in partial["warnings"][0]
    with pytest.raises(MergeError):
        merge_reports([one, one])
    with pytest.raises(MergeError):
        merge_reports([one, report([])])
    with pytest.raises(MergeError):
        merge_reports([one, report([], shard={"index": 2, "count": 3,
                                              "paths": every})])
    for count in (None, "2", 0):  # a report edited by hand: refused, not a crash
        with pytest.raises(MergeError, match="no number of shards"):
            merge_reports([report([], shard={"index": 1, "count": count, "paths": every})])


def deck(path: str, *statuses: str) -> dict:
    return {"path": path, "title": path, "cached": False, "seconds": 0.2, "error": None,
            "blocks": [block(3 + 4 * i, status) for i, status in enumerate(statuses)]}


def test_reports_of_different_folders_merge_in_their_order_with_every_warning_once():
    first = report([deck("b.md", "passed")], warnings=["cache read-only"], newer={"x": 1})
    second = report([deck("a.md", "failed", "passed")], ok=False, seconds=3.5,
                    errors=[{"path": "bad.md", "line": 1, "message": "not a deck"}],
                    environment={"python": "3.11", "spacy": "3.7"},
                    warnings=["cache read-only", "weaker sandbox", "weaker sandbox"])
    merged = merge_reports([first, second])
    assert [d["path"] for d in merged["decks"]] == ["b.md", "a.md"]  # not sorted: as given
    assert [e["path"] for e in merged["errors"]] == ["bad.md"]
    assert merged["warnings"] == ["the reports were made in different environments "
                                  "(spacy: 3.8 and 3.7)", "cache read-only", "weaker sandbox"]
    assert merged["environment"] == first["environment"]
    assert merged["summary"]["passed"] == 2 and merged["summary"]["failed"] == 1
    assert merged["ok"] is False and merged["incomplete"] is False
    assert merged["seconds"] == 3.5 and merged["newer"] == {"x": 1}  # unknown keys kept
    # what fails is the policy's: an output that differs passes when it allows it
    differs = report([deck("c.md", "output-differs")])
    assert merge_reports([differs])["ok"] is False
    assert merge_reports([differs], Policy(fail_on_output_differs=False))["ok"] is True
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_reports([])
    with pytest.raises(MergeError, match="report 2 is not"):
        merge_reports([first, {"decks": "x"}])
    with pytest.raises(MergeError, match=r"b\.md is in more than one report"):
        merge_reports([first, first])


def make_course(folder: Path) -> None:
    simple = "# {0}\n\n```python\nx = {1}\nx * 2\n```\n"
    for i, name in enumerate(["a/one.md", "a/two.md", "a-b/three.md", "b/four.md",
                              "b/c/five.md", "six.md", "z/seven.md"]):
        write_deck(folder, name, simple.format(name, i))
    write_deck(folder, "a/broken.md", "# Broken\n\n```python\nraise ValueError('no')\n```\n")
    write_deck(folder, "b/bad.md", "# Bad\n\n```python {colour=red}\nx = 1\n```\n")  # invalid
    write_deck(folder, "a/notes.md", "# Not a deck\n", front="title: notes\n")


def test_sharded_runs_merge_into_the_single_run_report(tmp_path, monkeypatch):
    make_course(tmp_path / "course")
    whole = run_cli("check", "-q", "--no-cache", "course", "--json", "whole.json",
                    "--shard", "1/1", cwd=tmp_path)
    assert whole.returncode == 1, whole.stderr  # one failing deck, one invalid deck
    single = run_cli("check", "-q", "--no-cache", "course", "--json", "single.json",
                     cwd=tmp_path)
    assert single.returncode == 1, single.stderr
    for k in (1, 2, 3):
        done = run_cli("check", "-q", "--no-cache", "course", "--json", f"shard{k}.json",
                       "--shard", f"{k}/3", cwd=tmp_path)
        assert done.returncode in (0, 1), done.stderr
    shards = [json.loads((tmp_path / f"shard{k}.json").read_text("utf-8")) for k in (1, 2, 3)]
    single_data = json.loads((tmp_path / "single.json").read_text("utf-8"))

    covered = [d["path"] for s in shards for d in s["decks"]] + \
        [e["path"] for s in shards for e in s["errors"]]
    expected = [d["path"] for d in single_data["decks"]] + \
        [e["path"] for e in single_data["errors"]]
    assert sorted(covered) == sorted(expected) and len(expected) == 9
    assert all(s["decks"] or s["errors"] for s in shards)

    monkeypatch.chdir(tmp_path)  # merge runs in-process (it runs no deck)
    code = main(["report", "merge", "shard3.json", "shard1.json", "shard2.json",
                 "-o", "merged.json", "--junit", "merged.xml", "-q"])
    assert code == 1
    merged = json.loads((tmp_path / "merged.json").read_text("utf-8"))
    assert without_timing(merged) == without_timing(single_data)
    assert merged["ok"] is False and merged["incomplete"] is False
    assert merged["summary"]["passed"] == 7 and merged["summary"]["failed"] == 1
    assert len(ET.parse(tmp_path / "merged.xml").getroot().findall(".//testcase")) == 9
    whole_data = json.loads((tmp_path / "whole.json").read_text("utf-8"))
    assert without_timing(whole_data) == without_timing(single_data)

    # A missing shard: the merged report says it is incomplete.
    assert main(["report", "merge", "shard1.json", "shard2.json", "-o", "part.json",
                 "-q"]) == 1
    part = json.loads((tmp_path / "part.json").read_text("utf-8"))
    assert part["incomplete"] is True and "3/3" in " ".join(part["warnings"])
