"""The JSON report (``report.to_json``) → the formats CI systems read.

- JUnit XML (``--junit``): one ``<testcase>`` per python block, ``classname`` the deck's path
  and ``name`` ``L<line>``, which GitLab, Jenkins and most CI dashboards display;
- GitHub workflow commands (``--github``): ``::error file=…,line=…,title=…::message``, which
  GitHub Actions turns into annotations on the deck's lines;
- sharding (``--shard K/N``): N CI jobs each check a deterministic part of the decks;
- ``merge``: shard reports → one report, the same as a single run's.

Everything here reads the JSON report, not live results, so a merged report gets the same
JUnit file as a single run. Nothing here runs code or imports spaCy.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePath

from .judge import Policy, Status, problem_code, summary

TIMING = ("seconds",)


# -- sharding ------------------------------------------------------------------------------
def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` → (2, 3); raises ValueError with a message a person can act on."""
    k, sep, n = text.partition("/")
    try:
        k_i, n_i = int(k), int(n)
    except ValueError:
        k_i = n_i = 0
    if not sep or n_i < 1 or not 1 <= k_i <= n_i:
        raise ValueError(f"'{text}' is not K/N with 1 ≤ K ≤ N (e.g. --shard 2/3)")
    return k_i, n_i


def shard_key(path: str) -> tuple:
    """Sort key of a deck path: its parts, like ``sorted(Path.rglob(...))``."""
    return PurePath(str(path).replace(os.sep, "/")).parts


def select_shard(paths: list[str], k: int, n: int) -> list[str]:
    """The decks of shard ``k`` of ``n``: round-robin over the sorted paths.

    Every job of a matrix sees the same files, so the split needs no coordination; every deck
    lands in exactly one shard, and the shards differ in size by at most one deck. The
    result keeps the order of ``paths`` (the order a single run would use).
    """
    ranked = sorted(dict.fromkeys(str(p) for p in paths), key=shard_key)
    mine = {p for i, p in enumerate(ranked) if i % n == k - 1}
    return [str(p) for p in paths if str(p) in mine]


# -- merging shard reports -----------------------------------------------------------------
class MergeError(ValueError):
    pass


def merge_reports(parts: list[dict], policy: Policy | None = None) -> dict:
    """Join reports of shard runs (or of runs on different folders) into one report.

    Decks and invalid decks come in the order a single run would list them (the shard
    reports carry that order); without shard information, in the order of ``parts``.
    ``summary`` and ``ok`` are recomputed; the result is ``incomplete`` if any part is, or
    if a shard of the matrix is missing.
    """
    if not parts:
        raise MergeError("nothing to merge")
    for i, part in enumerate(parts):
        if not isinstance(part, dict) or not isinstance(part.get("decks"), list):
            raise MergeError(f"report {i + 1} is not a slideproof JSON report")
    policy = policy or Policy()
    warnings: list[str] = []
    incomplete = any(bool(p.get("incomplete")) for p in parts)
    order: dict[str, int] = {}
    shards = [p.get("shard") for p in parts]
    if all(isinstance(s, dict) for s in shards):
        counts = {s.get("count") for s in shards}
        lists = {tuple(s.get("paths") or ()) for s in shards}
        if len(counts) != 1 or len(lists) != 1:
            raise MergeError("the reports come from different shard matrices "
                             "(a different --shard N or a different set of decks)")
        count = counts.pop()
        seen: dict[int, int] = {}
        for i, s in enumerate(shards):
            if s.get("index") in seen:
                raise MergeError(f"shard {s.get('index')}/{count} is given twice "
                                 f"(reports {seen[s.get('index')] + 1} and {i + 1})")
            seen[s.get("index")] = i
        missing = [k for k in range(1, count + 1) if k not in seen]
        if missing:
            incomplete = True
            warnings.append("missing shard report(s): "
                            + ", ".join(f"{k}/{count}" for k in missing))
        order = {path: i for i, path in enumerate(lists.pop())}
    elif any(isinstance(s, dict) for s in shards):
        raise MergeError("some reports are shard reports (--shard) and some are not")

    def position(path: str, fallback: int) -> tuple:
        return (order.get(path, len(order)), fallback)

    decks, errors = [], []
    for p in parts:
        decks.extend(p["decks"])
        errors.extend(p.get("errors") or [])
    seen_paths: set[str] = set()
    for d in decks:
        if d["path"] in seen_paths:
            raise MergeError(f"the deck {d['path']} is in more than one report")
        seen_paths.add(d["path"])
    decks = [d for _, d in sorted(((position(d["path"], i), d) for i, d in enumerate(decks)),
                                  key=lambda t: t[0])]
    errors = [e for _, e in sorted(((position(e["path"], i), e) for i, e in enumerate(errors)),
                                   key=lambda t: t[0])]
    environment = parts[0].get("environment") or {}
    for p in parts[1:]:
        env = p.get("environment") or {}
        for key in ("python", "spacy", "thinc", "models"):
            if env.get(key) != environment.get(key):
                warnings.append(f"the reports were made in different environments "
                                f"({key}: {environment.get(key)} and {env.get(key)})")
                break
    for p in parts:
        for w in p.get("warnings") or []:
            if w not in warnings:
                warnings.append(w)
    ok = (not incomplete and not errors and all(p.get("ok") for p in parts)
          and all(not d.get("error") and not any(policy.fails(b["status"]) for b in d["blocks"])
                  for d in decks))
    merged = {
        "environment": environment,
        "incomplete": incomplete,
        "seconds": max((float(p.get("seconds") or 0.0) for p in parts), default=0.0),
        "summary": summary(b["status"] for d in decks for b in d["blocks"]),
        "ok": ok,
        "errors": errors,
        "warnings": warnings,
        "decks": decks,
    }
    # Keep any key a newer report has that this merge does not know, from the first part.
    for key, value in parts[0].items():
        if key not in merged and key != "shard":
            merged[key] = value
    return merged


def without_timing(data: dict) -> dict:
    """A report with its timing fields and ``cached`` flags dropped, for comparisons."""
    out = {k: v for k, v in data.items() if k not in TIMING and k != "shard"}
    out["decks"] = [{**{k: v for k, v in d.items() if k not in TIMING and k != "cached"},
                     "blocks": [{k: v for k, v in b.items() if k not in TIMING}
                                for b in d["blocks"]]} for d in data["decks"]]
    return out


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


# -- JUnit XML -----------------------------------------------------------------------------
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text) -> str:
    """Text XML 1.0 may contain: control characters (ANSI colours…) become visible escapes."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def junit_xml(data: dict, policy: Policy | None = None) -> str:
    policy = policy or Policy()
    env = data.get("environment") or {}
    root = ET.Element("testsuites", name="slideproof")
    totals = dict(tests=0, failures=0, errors=0, skipped=0)

    def suite_for(path: str, seconds: float) -> ET.Element:
        suite = ET.SubElement(root, "testsuite", name=_xml(path), time=f"{seconds:.3f}")
        props = ET.SubElement(suite, "properties")
        for key in ("python", "spacy", "thinc", "sandbox", "slideproof"):
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
        err = ET.SubElement(case, "error", message=_xml(e["message"]), type="invalid deck")
        err.text = _xml(f"{e['path']}:{e.get('line')}: {e['message']}")
        close(suite, dict(tests=1, failures=0, errors=1, skipped=0))
    for d in data.get("decks") or []:
        suite = suite_for(d["path"], float(d.get("seconds") or 0.0))
        counts = dict(tests=0, failures=0, errors=0, skipped=0)
        for b in d["blocks"]:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=_xml(d["path"]),
                                 name=f"L{b['line']}", file=_xml(d["path"]),
                                 line=str(b["line"]),
                                 time=f"{float(b.get('seconds') or 0.0):.3f}")
            status, text = b["status"], block_text(b)
            code = block_code(b)
            headline = (b.get("message") or status).split("\n", 1)[0]
            if policy.fails(status):
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", message=_xml(headline),
                                        type=_xml(status + (f" {code}" if code else "")))
                failure.text = _xml(f"{d['path']}:{annotation_line(b)}: {status}"
                                    f"{f' [{code}]' if code else ''}\n{text}")
            elif status in (Status.SKIPPED, Status.UNVERIFIED):
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_xml(f"{status}: {headline}"))
            elif policy.warns(status):
                out = ET.SubElement(case, "system-out")
                out.text = _xml(f"{status}: {text}")
        close(suite, counts)
    for key, n in totals.items():
        root.set(key, str(n))
    root.set("time", f"{float(data.get('seconds') or 0.0):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(data: dict, path: str | Path, policy: Policy | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(junit_xml(data, policy), encoding="utf-8")
    os.replace(tmp, path)


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
    props = ",".join(f"{k}={escape_property(v)}" for k, v in
                     (("file", _github_path(path)), ("line", line), ("title", title)))
    return f"::{level} {props}::{escape_data(message)}"


def github_commands(data: dict, policy: Policy | None = None) -> list[str]:
    """``::error``/``::warning``/``::notice`` lines for every problem, at its deck line.

    Failing statuses are errors; output-differs and deprecated that the policy lets pass
    are warnings; unverified blocks (a model or package missing here) are notices.
    """
    policy = policy or Policy()
    lines = []
    for e in data.get("errors") or []:
        lines.append(command("error", e["path"], e.get("line") or 1,
                             "slideproof: invalid deck", e["message"]))
    for d in data.get("decks") or []:
        for b in d["blocks"]:
            status = b["status"]
            if policy.fails(status):
                level = "error"
            elif status == Status.UNVERIFIED:
                level = "notice"
            elif policy.warns(status):
                level = "warning"
            else:
                continue
            code = block_code(b)
            title = f"slideproof: {status}" + (f" {code}" if code else "")
            lines.append(command(level, d["path"], annotation_line(b), title, block_text(b)))
    if data.get("incomplete"):
        lines.append("::error title=slideproof::the check did not finish; "
                     "the report is incomplete")
    return lines
