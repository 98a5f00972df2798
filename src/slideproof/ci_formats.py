"""The JSON report (``report.to_json``) → the formats CI systems read.

- JUnit XML (``--junit``): one ``<testcase>`` per python block, ``classname`` the deck's path
  and ``name`` ``L<line>`` (a general test: its name), and one per coding exercise
  (``exercise ID``, at the file and line where it went wrong), which GitLab, Jenkins and
  most CI dashboards display;
- GitHub workflow commands (``--github``): ``::error file=…,line=…,title=…::message``, which
  GitHub Actions turns into annotations on the deck's lines.

Everything here reads the JSON report, not live results, so a merged report gets the same
JUnit file as a single run. Nothing here runs code or imports spaCy.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .atomic import write_atomic
from .judge import Policy, Status, problem_code
from .terminal import inert


# -- problems, shared by JUnit and GitHub --------------------------------------------------
def block_text(block: dict) -> str:
    """A block's message with what a person needs to fix it (the diff, the failing line)."""
    parts = [block.get("message") or block["status"]]
    error = block.get("error") or {}
    if error.get("line") and error["line"] != block["line"]:
        parts.append(f"at line {error['line']} (the block starts at line {block['line']})")
    if block.get("diff"):
        parts.append(block["diff"])
    return "\n".join(parts)


def block_code(block: dict) -> str:
    """The spaCy error or warning code of a block's problem, if any."""
    return problem_code(block.get("error"), block.get("warnings") or [])


def annotation_line(block: dict) -> int:
    return (block.get("error") or {}).get("line") or block["line"]


def cases(item: dict):
    """(file, case name, block) for each thing a report item checked: a deck's or a
    general test file's blocks (named ``L<line>``, or the test's name), or an exercise as one
    case, at the file and line where it went wrong (its solution's or its test's)."""
    if item.get("kind") != "exercise":
        for b in item["blocks"]:
            yield item["path"], b.get("name") or f"L{b['line']}", b
        return
    path, _, line = str(item.get("where") or item["path"]).rpartition(":")
    problem = next((b for b in item["blocks"] if b["status"] == item["status"]), None) or {}
    yield path or item["path"], f"exercise {item.get('id')}", {
        "line": int(line) if line.isdigit() else 1, "status": item["status"],
        "message": item.get("message") or "", "seconds": item.get("seconds"),
        "error": None, "warnings": problem.get("warnings") or [],
        "code": block_code(problem) if problem else ""}


# -- JUnit XML -----------------------------------------------------------------------------
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text) -> str:
    """Text XML 1.0 may contain, inert: control characters (ANSI colours…) become visible
    escapes."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", inert(text))


def _time(seconds) -> str:
    """A JUnit time: a finite number of seconds (a report read back may say otherwise)."""
    try:
        value = float(seconds or 0.0)
    except (TypeError, ValueError):
        value = 0.0
    return f"{value if math.isfinite(value) and value >= 0 else 0.0:.3f}"


def junit_xml(data: dict, policy: Policy | None = None) -> str:
    policy = policy or Policy()
    env = data.get("environment") or {}
    root = ET.Element("testsuites", name="slideproof")
    totals = dict(tests=0, failures=0, errors=0, skipped=0)

    def suite_for(path: str, seconds: float) -> ET.Element:
        suite = ET.SubElement(root, "testsuite", name=_xml(path), time=_time(seconds))
        props = ET.SubElement(suite, "properties")
        for key in ("python", "spacy", "thinc", "sandbox", "walls", "slideproof"):
            if env.get(key):
                ET.SubElement(props, "property", name=key, value=_xml(env[key]))
        return suite

    def close(suite: ET.Element, counts: dict) -> None:
        for key, n in counts.items():
            suite.set(key, str(n))
            totals[key] += n

    for e in data.get("errors") or []:
        suite = suite_for(e["path"], 0.0)
        case = ET.SubElement(suite, "testcase", classname=_xml(e["path"]),
                             name=f"L{e.get('line') or 1}", file=_xml(e["path"]),
                             line=str(e.get("line") or 1), time="0.000")
        err = ET.SubElement(case, "error", message=_xml(e["message"]), type="invalid file")
        err.text = _xml(f"{e['path']}:{e.get('line')}: {e['message']}")
        close(suite, dict(tests=1, failures=0, errors=1, skipped=0))
    for d in data.get("decks") or []:
        suite = suite_for(d["path"], d.get("seconds"))
        counts = dict(tests=0, failures=0, errors=0, skipped=0)
        for path, name, b in cases(d):
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=_xml(d["path"]),
                                 name=_xml(name), file=_xml(path), line=str(b["line"]),
                                 time=_time(b.get("seconds")))
            status, text = b["status"], block_text(b)
            code = b.get("code", block_code(b))
            headline = (b.get("message") or status).split("\n", 1)[0]
            if policy.fails(status):
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", message=_xml(headline),
                                        type=_xml(status + (f" {code}" if code else "")))
                failure.text = _xml(f"{path}:{annotation_line(b)}: {status}"
                                    f"{f' [{code}]' if code else ''}\n{text}")
            elif status in (Status.SKIPPED, Status.UNVERIFIED):
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_xml(f"{status}: {headline}"))
            else:
                notes = ([f"{status}: {text}"] if policy.warns(status) else []) + \
                    list(d.get("warnings") or [])  # an exercise's skeleton
                if notes:
                    ET.SubElement(case, "system-out").text = _xml("\n".join(notes))
        close(suite, counts)
    for key, n in totals.items():
        root.set(key, str(n))
    root.set("time", _time(data.get("seconds")))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(data: dict, path: str | Path, policy: Policy | None = None) -> None:
    """Written atomically, like the JSON report: a CI step reads a whole file or none."""
    write_atomic(path, junit_xml(data, policy))


# -- GitHub workflow commands --------------------------------------------------------------
def escape_data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_path(path: str) -> str:
    """Annotations need the path from the repository root (the working directory in CI)."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            pass
    return p.as_posix()


def command(level: str, path: str, line: int, title: str, message: str) -> str:
    props = ",".join(f"{k}={escape_property(inert(v))}" for k, v in
                     (("file", _github_path(path)), ("line", line), ("title", title)))
    return f"::{level} {props}::{escape_data(inert(message))}"


def github_commands(data: dict, policy: Policy | None = None) -> list[str]:
    """``::error``/``::warning``/``::notice`` lines for every problem, at its deck line.

    Failing statuses are errors; output-differs and deprecated that the policy lets pass
    are warnings; unverified blocks (a model or package missing here) are notices.
    """
    policy = policy or Policy()
    lines = []
    for e in data.get("errors") or []:
        lines.append(command("error", e["path"], e.get("line") or 1,
                             "slideproof: invalid file", e["message"]))
    for d in data.get("decks") or []:
        for warning in d.get("warnings") or []:  # an exercise's skeleton: file:line: message
            path, line, message = [*warning.split(":", 2), "", ""][:3]
            lines.append(command("warning", path, int(line) if line.isdigit() else 1,
                                 "slideproof: exercise", message.strip() or warning))
        for path, _, b in cases(d):
            status = b["status"]
            if policy.fails(status):
                level = "error"
            elif status == Status.UNVERIFIED:
                level = "notice"
            elif policy.warns(status):
                level = "warning"
            else:
                continue
            code = b.get("code", block_code(b))
            title = f"slideproof: {status}" + (f" {code}" if code else "")
            lines.append(command(level, path, annotation_line(b), title, block_text(b)))
    if data.get("incomplete"):
        lines.append("::error title=slideproof::the check did not finish; "
                     "the report is incomplete")
    return lines
