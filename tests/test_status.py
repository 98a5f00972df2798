"""What each status means: one table, read by the report, the site, the CLI and CI formats."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from slideproof import ci_formats
from slideproof.judge import Policy, Status, problem_code, summary

# status: (fails, publishes, shows) under the default policy, written out by hand. Only a
# block that ran is published (with its verified output); a block that did not run and is
# let pass (skipped, unverified) is shown under a "not run" label.
DEFAULT = {
    "passed": (False, True, True),
    "expected-error": (False, True, True),
    "skipped": (False, False, True),
    "output-differs": (True, False, False),
    "deprecated": (False, True, True),
    "unverified": (False, False, True),
    "failed": (True, False, False),
    "timed-out": (True, False, False),
    "crashed": (True, False, False),
    "blocked": (True, False, False),
}


def test_every_status_is_in_the_table():
    assert {s.value for s in Status} == set(DEFAULT)


@pytest.mark.parametrize("status", sorted(DEFAULT))
def test_default_policy(status):
    policy = Policy()
    assert (policy.fails(status), policy.publishes(status), policy.shows(status)) == \
        DEFAULT[status]


@pytest.mark.parametrize(("setting", "status"), [
    ("fail_on_output_differs", "output-differs"),
    ("fail_on_deprecated", "deprecated"),
    ("fail_on_unverified", "unverified"),
])
def test_each_setting_moves_only_its_status(setting, status):
    lenient = Policy(**{setting: False})
    strict = Policy(**{setting: True})
    assert not lenient.fails(status) and lenient.shows(status) and lenient.warns(status)
    assert lenient.publishes(status) == (status != "unverified")  # nothing unrun is verified
    assert strict.fails(status) and not strict.publishes(status) and not strict.shows(status)
    assert not strict.warns(status)
    others = [s for s in DEFAULT if s != status]
    assert [strict.fails(s) for s in others] == [lenient.fails(s) for s in others]


@pytest.mark.parametrize("status", ["failed", "crashed", "skipped", "passed"])
def test_no_setting_makes_a_hard_status_pass_or_others_fail(status):
    everything = Policy(fail_on_output_differs=True, fail_on_deprecated=True,
                        fail_on_unverified=True)
    nothing = Policy(fail_on_output_differs=False)
    assert everything.fails(status) == nothing.fails(status) == DEFAULT[status][0]


def test_a_status_from_a_newer_report_fails_nothing_and_is_counted():
    policy = Policy()
    assert not policy.fails("retried") and not policy.publishes("retried")
    assert not policy.shows("retried") and not policy.warns("retried")
    counts = summary(["passed", "retried", "passed"])
    assert counts["passed"] == 2 and counts["retried"] == 1 and counts["failed"] == 0


def test_summary_is_the_report_format():
    counts = summary([Status.FAILED, "skipped"])
    assert json.loads(json.dumps(counts)) == {
        "passed": 0, "output-differs": 0, "deprecated": 0, "failed": 1, "timed-out": 0,
        "crashed": 0, "blocked": 0, "unverified": 0, "skipped": 1, "expected-error": 0}
    assert list(json.loads(json.dumps(counts))) == [
        "passed", "output-differs", "deprecated", "failed", "timed-out", "crashed", "blocked",
        "unverified", "skipped", "expected-error"]


def test_a_status_is_its_value():
    assert Status.OUTPUT_DIFFERS == "output-differs"
    assert f"{Status.TIMED_OUT}" == "timed-out"
    assert json.dumps({"status": Status.EXPECTED_ERROR}) == '{"status": "expected-error"}'
    assert Status("blocked") is Status.BLOCKED


@pytest.mark.parametrize(("error", "warnings", "code"), [
    ({"code": "E050"}, [{"code": "W108"}], "E050"),
    ({"code": None}, [{"code": None}, {"code": "W108"}, {"code": "W036"}], "W108"),
    (None, [{"message": "no code"}], ""),
    (None, [], ""),
])
def test_problem_code(error, warnings, code):
    assert problem_code(error, warnings) == code
    block = {"status": "failed", "line": 3, "error": error, "warnings": warnings}
    assert ci_formats.block_code(block) == code


def test_every_status_has_a_report_page_style():
    css = (resources.files("slideproof") / "theme" / "assets" / "slideproof"
           / "slides.css").read_text(encoding="utf-8")
    missing = [s.value for s in Status if f".sp-status--{s.value} " not in css
               and f".sp-status--{s.value}," not in css]
    assert not missing
