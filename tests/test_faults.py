"""Hostile examples: every fault in tests/faults/ runs through the real engine (``slideproof
check`` as a subprocess, with ``--json``), and each test asserts the status, the message,
and that the rest of the build went on (a later block, or the healthy ``ok.md`` deck).

The decks carry placeholders the test fills in: ``__MARKER__`` (a unique word put in the
argv of every process a deck starts, so the test can scan ``/proc`` for survivors),
``__PORT__`` (a listener this test opens on 127.0.0.1) and ``__DOCS__`` (the absolute path of
the ``docs/`` folder of a throw-away copy of a repository).

One check runs all the decks once per sandbox kind; its outcome is shared between the tests
(and between pytest-xdist workers, through a file lock), so the suite stays quick.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from slideproof import sandbox

from conftest import (
    SECRET,
    check_env,
    cli_argv,
    once_per_run,
    run_cli,
    signals_scoped,
    survivors,
    write_deck,
)

pytestmark = pytest.mark.slow  # whole checks and site builds: not the inner loop

FAULTS = Path(__file__).resolve().parent / "faults"
# Decks of the trust boundary: a check of their own (placeholders of their own, a cache).
# In this order, with two jobs: neighbour.md starts while victim.md sleeps, in the other
# runner, and leftovers.md follows neighbour.md in its runner.
TRUST = ["forge.md", "victim.md", "neighbour.md", "leftovers.md", "privileges.md",
         "fs-view.md", "tmp-quota.md", "threads.md", "fork-bomb.md", "memory-fan.md", "ok.md"]
# The walls of each deck (tests/test_walls.py): checks of their own.
WALLS = ["wide-models.md", "many-models.md", "forged-field.md", "result-flood.md",
         "hidden-memory.md", "escapes.md", "signal-runner.md", "markup-title.md"]
SEPARATE = {"interrupt-sleep.md", "cpu-limit.md", "kill-runner.md", "freeze-runner.md",
            "bomb.md", *TRUST, *WALLS} - {"ok.md"}  # a check of their own
EVERY_DECK = sorted(p.name for p in FAULTS.glob("*.md") if p.name not in SEPARATE)
# The decks that depend on the sandbox kind, run under every kind available here.
SANDBOX_DECKS = ["ok.md", "alarm-blocked.md", "background.md", "secret-env.md", "network.md",
                 "write-docs.md"]


# -- running a check --------------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def materialise(names: list[str], folder: Path, marker: str, port: int, docs: Path,
                **more: str) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        text = (FAULTS / name).read_text("utf-8").replace("__MARKER__", marker).replace(
            "__PORT__", str(port)).replace("__DOCS__", str(docs))
        for key, value in more.items():
            text = text.replace(f"__{key}__", value)
        (folder / name).write_text(text, "utf-8")
        paths.append(str(folder / name))
    return paths


def repo_copy(root: Path) -> Path:
    """A repository-like folder whose docs/ the decks try to deface."""
    (root / "docs" / "guide").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n")
    (root / "docs" / "guide" / "page.md").write_text("# A page\n\nText.\n")
    (root / "mkdocs.yml").write_text("site_name: test\n")
    return root / "docs"


def run_check(work: Path, kind: str, names: list[str], *options: str) -> dict:
    marker = f"spfault{uuid.uuid4().hex[:12]}"
    docs = repo_copy(work / "repo")
    before = snapshot(docs)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    paths = materialise(names, work / "decks", marker, port, docs)
    report = work / "report.json"
    try:
        done = run_cli("check", *paths, "--json", str(report), "--no-cache", "-q", "-j", "2",
                       "--sandbox", kind, *options, env=check_env(work / "tmp"))
        accepted = 0
        while True:
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                break
            conn.close()
            accepted += 1
    finally:
        listener.close()
    return {"returncode": done.returncode, "stderr": done.stderr[-4000:],
            "report": json.loads(report.read_text()) if report.exists() else None,
            "survivors": list(survivors(marker).values()), "docs_before": before,
            "docs_after": snapshot(docs), "accepted": accepted}


def shared(tmp_path_factory, name: str, compute) -> dict:
    """``compute(folder)`` once per test session, even across pytest-xdist workers."""
    root = once_per_run(tmp_path_factory, name, lambda folder: (
        folder / "result.json").write_text(json.dumps(compute(folder))))
    return json.loads((root / "result.json").read_text())


@pytest.fixture(scope="module")
def faults(tmp_path_factory) -> dict:
    """Every fault deck, under the strongest sandbox available (``--sandbox auto``)."""
    return shared(tmp_path_factory, "faults-auto",
                  lambda work: run_check(work, "auto", EVERY_DECK))


def deck(run: dict, name: str) -> list[dict]:
    assert run["report"] is not None, run["stderr"]
    for d in run["report"]["decks"]:
        if Path(d["path"]).name == name:
            return d["blocks"]
    raise AssertionError(f"{name} is not in the report: {run['stderr']}")


def statuses(run: dict, name: str) -> list[str]:
    return [b["status"] for b in deck(run, name)]


def build_went_on(run: dict) -> None:
    [block] = deck(run, "ok.md")
    assert block["status"] == "passed" and block["output"] == "the rest of the build went on\n"
    assert run["report"]["incomplete"] is False
    assert run["returncode"] == 1  # the faults fail the check; they do not break it
    assert "Traceback" not in run["stderr"]


# -- checks of their own (first in the file: with pytest -n, a worker starts on these while
# -- another runs the shared check)
@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> dict:
    """Decks that need their own check: -j 1 (so only the culprit runs when a deck kills the
    runner) and a CPU-time limit of 1 s."""
    return shared(tmp_path_factory, "faults-alone", lambda work: run_check(
        work, "auto", ["cpu-limit.md", "kill-runner.md", "ok.md"], "-j", "1",
        "--cpu-limit", "1"))


def test_the_cpu_time_limit_ends_the_deck(alone):
    blocks = deck(alone, "cpu-limit.md")
    assert [b["status"] for b in blocks] == ["crashed", "blocked"]
    assert blocks[0]["message"] == "[SP053] the process used up its CPU-time limit"
    build_went_on(alone)


def test_a_deck_that_kills_the_runner_does_not_take_the_other_decks_down(alone):
    [block] = deck(alone, "kill-runner.md")
    env = alone["report"]["environment"]
    if signals_scoped():  # its Landlock domain keeps its signals to itself
        assert block["status"] == "failed"
        assert block["message"] == "PermissionError: [Errno 1] Operation not permitted"
    elif env.get("walls") == "deck" or env["sandbox"] in ("bwrap", "unshare"):
        # its parent is the init of its own PID namespace (or the runner is the init of the
        # sandbox's): a kill from inside is void
        assert block["status"] == "passed"
    else:
        assert block["status"] == "crashed"
        assert block["message"] == ("[SP025] the example runner itself died: it ended while this "
                                    "deck ran")
    build_went_on(alone)  # ok.md, queued after it, ran (in a fresh runner if need be)


def test_an_explicit_sandbox_that_is_missing_is_an_error_not_a_fallback(tmp_path):
    # With only Python's own folder on PATH, neither bwrap nor unshare can be found.
    env = {**check_env(), "PATH": str(Path(sys.executable).parent)}
    done = run_cli("check", str(FAULTS / "ok.md"), "--no-cache", "-q", "--sandbox", "bwrap",
                   env=env)
    assert done.returncode == 2
    assert "sandbox 'bwrap' is not available here" in done.stderr
    assert "Traceback" not in done.stderr


# -- Ctrl-C -------------------------------------------------------------------------------
def test_ctrl_c_writes_an_incomplete_report_and_leaves_no_process(tmp_path):
    marker = f"spfault{uuid.uuid4().hex[:12]}"
    paths = materialise(["ok.md", "interrupt-sleep.md"], tmp_path / "decks", marker, 0,
                        tmp_path / "docs")
    report = tmp_path / "report.json"
    check = subprocess.Popen(cli_argv("check", *paths, "--json", str(report), "--no-cache",
                                      "-j", "1"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=check_env(tmp_path / "tmp"))
    try:
        for _ in range(1200):  # wait until the deck sleeps (its child is visible)
            if survivors(marker) or check.poll() is not None:
                break
            time.sleep(0.1)
        assert survivors(marker), "the sleeping deck never started"
        check.send_signal(signal.SIGINT)
        _, stderr = check.communicate(timeout=120)
    finally:
        if check.poll() is None:
            check.kill()
            check.wait()
    assert check.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    # the summary counts the decks it has: one, run; the interrupted one is in neither count
    assert re.search(r"\b1 decks \(1 run, 0 cached\)", stderr), stderr
    data = json.loads(report.read_text())
    assert data["incomplete"] is True and data["ok"] is False
    # the deck that finished before Ctrl-C is in the report; the sleeping one is not
    assert [Path(d["path"]).name for d in data["decks"]] == ["ok.md"]
    assert data["decks"][0]["blocks"][0]["status"] == "passed"
    assert survivors(marker) == {}

# -- every sandbox kind this machine has ----------------------------------------------------
@pytest.mark.parametrize("kind", sandbox.KINDS[::-1])  # the one shared with 'faults' last
def test_each_sandbox_kind_contains_the_faults(kind, tmp_path_factory):
    if kind not in sandbox.available():
        pytest.skip(f"sandbox '{kind}' is not available here")
    if kind == sandbox.available()[0]:  # the kind --sandbox auto picks: that run has it all
        run = shared(tmp_path_factory, "faults-auto",
                     lambda work: run_check(work, "auto", EVERY_DECK))
    else:
        run = shared(tmp_path_factory, f"faults-{kind}",
                     lambda work: run_check(work, kind, SANDBOX_DECKS))
    env = run["report"]["environment"]
    assert env["sandbox"] == kind
    build_went_on(run)
    assert statuses(run, "alarm-blocked.md") == ["timed-out", "blocked"]  # the hard kill
    assert statuses(run, "background.md") == ["passed"] * 3
    assert run["survivors"] == []
    assert deck(run, "secret-env.md")[0]["output"] == "None\n"
    walled = kind == "bwrap" or env.get("landlock")  # each deck's Landlock domain
    network = deck(run, "network.md")[0]
    if kind != "none" or walled:
        assert network["status"] == "failed" and run["accepted"] == 0
        assert network["message"].startswith(NO_NETWORK)
    if walled:
        assert statuses(run, "write-docs.md") == ["failed", "failed", "failed", "passed"]
        assert run["docs_after"] == run["docs_before"]
        assert deck(run, "secret-env.md")[1]["output"] == "[]\n"


# -- the faults ---------------------------------------------------------------------------
# What a deck that connects anywhere gets: no route (its own network namespace), refused,
# or denied (Landlock, ABI >= 4).
NO_NETWORK = ("ConnectionRefusedError", "OSError", "PermissionError")


def test_the_strongest_sandbox_is_used(faults):
    expected = sandbox.available()[0]
    assert faults["report"]["environment"]["sandbox"] == expected
    if "bwrap" in sandbox.available():
        assert expected == "bwrap"  # bubblewrap works here: it must be the one used
    assert sorted(Path(d["path"]).name for d in faults["report"]["decks"]) == EVERY_DECK
    build_went_on(faults)


def test_infinite_loop_times_out_and_the_deck_goes_on(faults):
    blocks = deck(faults, "infinite-loop.md")
    assert [b["status"] for b in blocks] == ["timed-out", "timed-out", "passed"]
    assert blocks[0]["message"] == "[SP067] the block ran longer than its timeout of 2 s"
    # the second block swallowed the timeout twice (it repeats), then ended by itself: it
    # still ran too long
    assert blocks[1]["message"] == "[SP067] the block ran longer than its timeout of 2 s"
    assert blocks[1]["output"] == "swallowed 2\n"
    assert blocks[2]["output"] == "after the loop\n"
    build_went_on(faults)


def test_a_hang_that_blocks_or_ignores_sigalrm_is_killed(faults):
    blocked = deck(faults, "alarm-blocked.md")
    assert [b["status"] for b in blocked] == ["timed-out", "blocked"]
    assert "did not finish within its timeout" in blocked[0]["message"]
    assert "process group was killed" in blocked[0]["message"]
    assert blocked[1]["message"] == "[SP023] not run: the deck's session ended at line 10"
    [ignored] = deck(faults, "alarm-ignored.md")
    assert ignored["status"] == "timed-out" and "killed" in ignored["message"]
    build_went_on(faults)


def test_infinite_recursion_fails_the_block_only(faults):
    blocks = deck(faults, "recursion.md")
    assert [b["status"] for b in blocks] == ["failed", "passed"]
    assert blocks[0]["message"].startswith("RecursionError: maximum recursion depth exceeded")
    assert "([SP062] infinite recursion?)" in blocks[0]["message"]
    assert blocks[0]["error"]["line"] == 9  # the line that recursed, in the deck file
    build_went_on(faults)


def test_segfault_crashes_the_deck_not_the_build(faults):
    blocks = deck(faults, "segfault.md")
    assert [b["status"] for b in blocks] == ["passed", "crashed", "blocked"]
    assert blocks[1]["message"] == "[SP050] the process crashed with a segmentation fault"
    assert blocks[2]["message"] == "[SP023] not run: the deck's session ended at line 11"
    build_went_on(faults)


def test_os_exit_crashes_the_deck_not_the_build(faults):
    blocks = deck(faults, "os-exit.md")
    assert [b["status"] for b in blocks] == ["crashed", "blocked"]
    assert "exited with status 3" in blocks[0]["message"]
    build_went_on(faults)


def test_sys_exit_fails_the_block_and_the_deck_goes_on(faults):
    blocks = deck(faults, "sys-exit.md")
    assert [b["status"] for b in blocks] == ["failed", "failed", "passed"]
    assert blocks[0]["message"] == ("SystemExit: [SP060] the example called sys.exit(None), "
                                    "which would end the session")
    assert "sys.exit(2)" in blocks[1]["message"]
    assert blocks[2]["output"] == "after sys.exit\n"
    build_went_on(faults)


def test_keyboard_interrupt_is_contained(faults):
    blocks = deck(faults, "keyboard-interrupt.md")
    assert [b["status"] for b in blocks] == ["failed", "failed", "passed"]
    for b in blocks[:2]:  # raised, and sent as a real SIGINT to the deck's own process
        assert b["message"] == "KeyboardInterrupt: [SP061] the example raised KeyboardInterrupt"
    assert blocks[2]["output"] == "after the interrupts\n"
    build_went_on(faults)


def test_huge_output_is_stopped_by_the_output_cap(faults):
    blocks = deck(faults, "huge-output.md")
    assert [b["status"] for b in blocks] == ["failed", "failed", "failed", "passed"]
    cap = 1_000_000
    for b in blocks[:2]:  # print("x" * 10**9), and printing forever
        assert b["message"] == (f"OutputLimit: [SP068] the block printed more than the "
                                f"output limit of {cap} characters")
        assert b["output"].endswith("[… output cut at the limit …]")
        assert len(b["output"]) < cap + 100
    # writing to the file descriptor itself, under Python's stdout: the file-size limit
    assert blocks[2]["message"].startswith("OSError: [Errno 27] File too large")
    assert "file-size limit of 256 MiB" in blocks[2]["message"]
    assert len(blocks[2]["output"]) < cap + 100
    assert blocks[3]["output"] == "after the floods\n"  # the next block's output is its own
    build_went_on(faults)


def test_allocating_past_the_memory_limit_fails_with_a_clear_message(faults):
    blocks = deck(faults, "memory.md")
    assert [b["status"] for b in blocks] == ["failed", "failed", "passed"]
    for b in blocks[:2]:  # one huge allocation, and many that add up
        assert b["message"] == ("MemoryError: [SP064] the example ran out of memory (the limit is "
                                "4 GiB of address space per deck)")
    assert blocks[2]["output"] == "after the allocations\n"
    build_went_on(faults)


def test_no_background_process_survives_the_check(faults):
    blocks = deck(faults, "background.md")
    # a Popen child and a setsid double-fork daemon, both alive while the deck ran…
    assert [b["status"] for b in blocks] == ["passed"] * 3
    assert blocks[2]["output"] == "the first one is alive while the deck runs\n"
    # …and gone after it (the ctrl-c test below checks the same for an interrupted check)
    assert faults["survivors"] == []
    build_went_on(faults)


def test_the_parents_environment_is_not_visible(faults):
    blocks = deck(faults, "secret-env.md")
    assert blocks[0]["status"] == "passed" and blocks[0]["output"] == "None\n"
    env = faults["report"]["environment"]
    if env["sandbox"] == "bwrap" or env.get("landlock"):
        # nor through /proc: the deck sees no other process there
        assert blocks[1]["output"] == "[]\n"
    build_went_on(faults)


def test_the_network_is_unreachable(faults):
    blocks = deck(faults, "network.md")
    env = faults["report"]["environment"]
    if env["sandbox"] == "none" and env.get("walls") != "deck" and env.get("landlock", 0) < 4:
        pytest.skip("no network sandbox on this machine (sandbox: none)")
    assert blocks[0]["status"] == "failed"
    assert blocks[0]["message"].startswith(NO_NETWORK)
    assert faults["accepted"] == 0
    assert blocks[1]["status"] == "passed"
    build_went_on(faults)


def test_the_sites_sources_cannot_be_written(faults):
    blocks = deck(faults, "write-docs.md")
    env = faults["report"]["environment"]
    if env["sandbox"] != "bwrap" and not env.get("landlock"):
        pytest.skip("neither bubblewrap nor Landlock is usable here")
    assert [b["status"] for b in blocks] == ["failed", "failed", "failed", "passed"]
    for b in blocks[:3]:  # overwrite, delete, create: a folder the sandbox does not show,
        # or that the deck's Landlock domain does not let it touch (one it shows, the decks'
        # own, is read-only: test_the_sandbox_shows_only_what…)
        assert b["message"].startswith(("FileNotFoundError: [Errno 2] No such file",
                                        "PermissionError: [Errno 13]"))
    assert blocks[3]["output"] == "fine\n"  # the deck's own working folder is writable
    assert faults["docs_after"] == faults["docs_before"]
    build_went_on(faults)


def test_closing_stdout_does_not_lose_later_output(faults):
    blocks = deck(faults, "close-stdout.md")
    assert [b["status"] for b in blocks] == ["passed"] * 6
    assert blocks[1]["output"] == "print works again\n"  # after sys.stdout.close()
    # after os.close(1) and os.close(2): both print and a subprocess's output are recorded
    assert sorted(blocks[3]["output"].splitlines()) == ["and print too",
                                                        "shell output is recorded"]
    assert blocks[5]["output"] == "still recorded\n"  # after sys.__stdout__.close()
    build_went_on(faults)


def test_output_that_is_not_valid_unicode_does_not_break_the_report(faults):
    blocks = deck(faults, "surrogates.md")  # the report was written and read back: it is JSON
    assert [b["status"] for b in blocks] == ["passed", "failed", "passed"]
    assert blocks[0]["output"] == "bad ? text\n?\n"  # lone surrogates become '?'
    assert blocks[1]["message"] == "ValueError: bad ? message"
    assert blocks[2]["output"] == "after the surrogates\n"
    build_went_on(faults)


# -- the trust boundary: hostile decks against other decks, the host and the check ---------
def bwrap_needed() -> None:
    if "bwrap" not in sandbox.available():
        pytest.skip("bubblewrap cannot run here: the trust boundary is bubblewrap's")


def cli_check(paths: list[str], *options: str, env: dict | None = None,
              watch_memory: bool = False) -> dict:
    """``slideproof check`` as a subprocess: its exit code, stderr, JSON report (when asked
    for with --json) and, with ``watch_memory``, its peak resident memory read from /proc."""
    proc = subprocess.Popen([sys.executable, "-m", "slideproof.cli", "check", *paths, "-q",
                             *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env or check_env())
    peak = 0
    if watch_memory:  # VmHWM is the high-water mark: the last reading is the peak so far
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                peak = max(peak, int(status.split("VmHWM:")[1].split()[0]) * 1024)
            except (OSError, IndexError, ValueError):
                pass
            time.sleep(0.02)
    _, stderr = proc.communicate(timeout=600)
    report = next((Path(options[i + 1]) for i, o in enumerate(options) if o == "--json"), None)
    return {"returncode": proc.returncode, "stderr": stderr, "peak": peak,
            "report": json.loads(report.read_text()) if report and report.exists() else None}


def run_hostile(work: Path) -> dict:
    """The hostile decks next to a victim and a healthy deck, under bubblewrap, with a cache;
    then the victim alone again, from that cache."""
    decks = work / "decks"
    (decks / ".git").mkdir(parents=True)
    (decks / ".git" / "config").write_text("[http]\n\textraheader = AUTHORIZATION: basic "
                                           f"{SECRET}\n")
    (decks / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (decks / "data.txt").write_text("course data")
    host = Path(tempfile.mkdtemp(prefix="spfault-host-"))  # the host's temp folder
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(host / "agent.sock"))
    listener.listen()
    listener.setblocking(False)
    paths = materialise(TRUST, decks, "unused", 0, work / "docs", VICTIM=str(decks / "victim.md"),
                        DECKS=str(decks), HOSTSOCK=str(host / "agent.sock"))
    cache = ["--cache-dir", str(work / "cache")]
    try:
        limits = ["--tmp-limit", "16", "--memory-limit", "1024"]  # part of the cache key
        first = cli_check(paths, "--json", str(work / "report.json"), "-j", "2", *limits,
                          *cache, env=check_env(work / "tmp"))
        again = cli_check([str(decks / "victim.md")], "--json", str(work / "again.json"),
                          *limits, *cache, env=check_env(work / "tmp"))
        try:
            listener.accept()[0].close()
            reached = True
        except BlockingIOError:
            reached = False
    finally:
        listener.close()
        shutil.rmtree(host, ignore_errors=True)
    return {**first, "again": again["report"], "socket_reached": reached}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    bwrap_needed()
    return shared(tmp_path_factory, "faults-hostile", run_hostile)


def test_a_deck_cannot_speak_for_another_deck(hostile):
    forge = deck(hostile, "forge.md")
    # no descriptor of the runner, of the parent or of another deck can be opened
    assert forge[0]["status"] == "passed"
    assert forge[0]["output"] == "0 descriptors of other processes opened\n"
    # its own channel, with the victim's id inside: taken as its own, out of order
    assert forge[1]["status"] == "crashed"
    assert forge[1]["message"] == ("[SP022] the deck broke the result protocol: a 'block' "
                                   "event with an unknown field 'id'")
    [victim] = deck(hostile, "victim.md")
    assert victim["status"] == "failed"
    assert victim["message"] == "ValueError: this example is broken"
    # and the cache holds the victim's own verdict, not a forged one
    [again] = hostile["again"]["decks"][0]["blocks"]
    assert hostile["again"]["decks"][0]["cached"] is True
    assert again["status"] == "failed" and again["message"] == victim["message"]
    assert hostile["returncode"] == 1 and "Traceback" not in hostile["stderr"]


def test_a_deck_cannot_reach_the_decks_beside_it_or_after_it(hostile):
    """Each deck runs alone in its runner's sandbox: the decks running beside it are in
    other PID namespaces, and what it leaves behind (files, a daemon) is gone before the
    next deck of its runner starts."""
    [neighbour] = deck(hostile, "neighbour.md")
    assert neighbour["status"] == "passed"
    assert neighbour["output"] == "0 other processes seen\n"
    [victim] = deck(hostile, "victim.md")  # it slept while neighbour.md was killing
    assert victim["status"] == "failed"
    assert victim["message"] == "ValueError: this example is broken"
    [leftovers] = deck(hostile, "leftovers.md")
    assert leftovers["status"] == "passed"
    assert leftovers["output"] == "nothing left\n"


def test_a_fork_bomb_is_ended_by_the_runner(hostile):
    """The process rlimit does not hold for a uid mapped onto root; the runner, init of the
    sandbox's PID namespace, counts the deck's processes and ends them all past the limit."""
    blocks = deck(hostile, "fork-bomb.md")
    assert [b["status"] for b in blocks] == ["crashed", "blocked"]
    assert blocks[0]["message"] == ("[SP058] the deck had more than 256 processes at once (a "
                                    "fork bomb?): the runner killed them all")
    [ok] = deck(hostile, "ok.md")
    assert ok["status"] == "passed"


def test_memory_spread_over_processes_counts_together(hostile):
    [block] = deck(hostile, "memory-fan.md")
    assert block["status"] == "crashed"
    assert block["message"] == ("[SP059] the deck's processes held more than 2 GiB of memory "
                                "together: the runner killed them all")


def test_no_privileges_inside_the_sandbox(hostile):
    [block] = deck(hostile, "privileges.md")
    assert block["status"] == "passed"
    assert block["output"] == ("mount EPERM\numount EPERM\nunshare EPERM\nptrace EPERM\n"
                               "chroot EPERM\nraw socket EPERM\n"
                               "capabilities 0000000000000000\n")


def test_the_sandbox_shows_only_what_examples_need(hostile):
    blocks = deck(hostile, "fs-view.md")
    # /etc/shadow, /root/.ssh, /etc/ssh, /run, the docker socket, the course's .git (its
    # HEAD, its config with a token: .git is an empty folder), a UNIX socket in the host's
    # temp folder
    assert blocks[0]["output"] == "hidden\n" * 8
    assert blocks[1]["status"] == "failed"
    assert blocks[1]["message"].startswith("FileNotFoundError")
    assert hostile["socket_reached"] is False
    assert blocks[2]["status"] == "passed" and blocks[2]["output"] == "course data\n"
    assert blocks[3]["status"] == "failed"
    assert blocks[3]["message"].startswith("OSError: [Errno 30] Read-only file system")
    assert SECRET not in json.dumps(hostile["report"])


def test_the_temp_folder_has_a_quota(hostile):
    blocks = deck(hostile, "tmp-quota.md")
    assert [b["status"] for b in blocks] == ["failed", "passed"]
    assert blocks[0]["message"] == (
        "OSError: [Errno 28] No space left on device ([SP066] the deck's temporary folder, the "
        "only writable place, holds at most 16 MiB)")
    assert blocks[1]["output"] == "space again\n"


def test_output_belongs_to_the_block_that_printed_it(hostile):
    blocks = deck(hostile, "threads.md")
    assert [b["status"] for b in blocks] == ["passed"] * 3
    assert [w["message"] for w in blocks[0]["warnings"]] == [
        "[SP069] a thread started here is still running (chatter); what it prints after "
        "this block is not recorded"]
    assert blocks[1]["output"] == "the second block\n"  # nothing of the thread's
    assert blocks[2]["output"] == "one\ntwo\nthree\n"  # os.write keeps its place
    [ok] = deck(hostile, "ok.md")
    assert ok["status"] == "passed"


def test_a_deck_cannot_speak_for_another_deck_under_unshare(tmp_path):
    if "unshare" not in sandbox.available():
        pytest.skip("sandbox 'unshare' is not available here")
    decks = tmp_path / "decks"
    paths = materialise(["forge.md", "victim.md"], decks, "unused", 0, tmp_path / "docs",
                        VICTIM=str(decks / "victim.md"))
    run = cli_check(paths, "--json", str(tmp_path / "report.json"), "--no-cache", "-j", "2",
                    "--sandbox", "unshare", env=check_env(tmp_path / "tmp"))
    forge = deck(run, "forge.md")
    assert forge[0]["output"] == "0 descriptors of other processes opened\n"
    assert forge[1]["status"] == "crashed"
    assert [b["status"] for b in deck(run, "victim.md")] == ["failed"]


@pytest.mark.parametrize("kind", ["none", "bwrap"])
def test_a_stopped_runner_does_not_stop_the_check(kind, tmp_path):
    if kind not in sandbox.available():
        pytest.skip(f"sandbox '{kind}' is not available here")
    paths = materialise(["freeze-runner.md", "ok.md"], tmp_path / "decks", "unused", 0,
                        tmp_path / "docs")
    run = cli_check(paths, "--json", str(tmp_path / "report.json"), "--no-cache", "-j", "1",
                    "--sandbox", kind, env=check_env(tmp_path / "tmp"))
    blocks = deck(run, "freeze-runner.md")
    if signals_scoped():  # refused: its Landlock domain keeps its signals to itself
        assert [b["status"] for b in blocks] == ["failed", "passed"]
        assert blocks[0]["message"] == "PermissionError: [Errno 1] Operation not permitted"
    elif kind == "bwrap" or run["report"]["environment"].get("walls") == "deck":
        # its parent is the init of a PID namespace (the deck's own, or the sandbox's, where
        # the runner is init): SIGSTOP from inside is void
        assert [b["status"] for b in blocks] == ["passed", "passed"]
    else:  # the runner stops; the parent's watchdog kills it at the deck's deadline
        assert [b["status"] for b in blocks] == ["timed-out", "blocked"]
        assert blocks[0]["message"] == (
            "[SP073] the deck did not finish within its deadline of 21 s (its blocks' "
            "timeouts plus a grace); the example runner was stopped and killed")
    [ok] = deck(run, "ok.md")
    assert ok["status"] == "passed"  # in a fresh runner
    assert run["report"]["incomplete"] is False and "Traceback" not in run["stderr"]


def test_hostile_files_are_one_error_each_and_the_check_stays_small(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    shutil.copy(FAULTS / "ok.md", folder / "ok.md")
    shutil.copy(FAULTS / "bomb.md", folder / "bomb.md")
    os.mkfifo(folder / "fifo.md")
    (folder / "zero.md").symlink_to("/dev/zero")
    (folder / "big.md").write_text("---\ntype: slides\n---\n\n# Big\n\n" + "text\n" * 300_000)
    run = cli_check([str(folder)], "--json", str(tmp_path / "report.json"), "--no-cache",
                    "--max-deck-size", "1", watch_memory=True)
    assert run["returncode"] == 1 and "Traceback" not in run["stderr"]
    errors = {Path(e["path"]).name: (e["line"], e["message"]) for e in run["report"]["errors"]}
    assert errors["bomb.md"] == (4, "[SP104] The front matter uses a YAML alias (*a). Aliases "
                                    "are not allowed in front matter: write the value out.")
    assert errors["fifo.md"][1].startswith("[SP102] This is not a regular file (a FIFO)")
    assert errors["zero.md"][1].startswith("[SP102] This is not a regular file (a character "
                                           "device)")
    assert errors["big.md"][1].startswith("[SP103] The file is 1500029 bytes, more than the "
                                          "deck size limit of 1048576 bytes")
    assert len(errors) == 4
    [ok] = deck(run, "ok.md")
    assert ok["status"] == "passed"
    # the alias bomb expands to gigabytes when anything renders it; refused, it costs nothing
    assert 0 < run["peak"] < 300 << 20


def test_what_is_not_a_deck_and_where_a_report_cannot_go_are_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("# Not a deck\n")
    run = cli_check([str(empty)])
    assert run["returncode"] == 2
    assert f"[SP100] No decks found under {empty}." in " ".join(run["stderr"].split())
    run = cli_check([str(empty / "readme.md")], "--json", str(tmp_path / "r.json"),
                    "--no-cache")
    assert run["returncode"] == 1
    [error] = run["report"]["errors"]
    assert error["message"].startswith("[SP101] This file is not a deck")
    (tmp_path / "a-file").write_text("")  # a missing folder is made; under a file it cannot be
    for option, target in (("--json", tmp_path / "a-file" / "r.json"), ("--junit", empty)):
        run = cli_check([str(FAULTS / "ok.md")], option, str(target), "--no-cache")
        assert run["returncode"] == 2 and "Traceback" not in run["stderr"]
        assert f"[SP106] Cannot write the report to {target}" in " ".join(
            run["stderr"].split())
        assert not target.is_file()


def test_a_deck_that_reports_its_own_block_twice_is_a_broken_deck(tmp_path, verify):
    # Its own channel, its own block: a lie about itself, told twice (the real result
    # follows the forged one). The block's first word stands, the deck is not ok.
    path = write_deck(tmp_path, "twice.md", """
        # Twice

        ```python
        import json, os
        line = json.dumps({"event": "block", "index": 0, "output": "forged\\n"}) + "\\n"
        for fd in range(3, 256):
            try:
                os.write(fd, line.encode())
            except OSError:
                pass
        ```
        """)
    [result] = verify(path)
    assert result.error == ("[SP022] the deck broke the result protocol: a result for block 0: "
                            "a duplicate (every block was reported)")


def test_the_temp_folder_on_the_import_path_does_not_hide_the_sandboxs_own(tmp_path):
    """PYTHONPATH=/tmp (or "/") is not shown read-only over the fresh temp folder decks
    write to: the deck still runs."""
    bwrap_needed()
    [path] = materialise(["ok.md"], tmp_path / "decks", "unused", 0, tmp_path / "docs")
    env = {**check_env(tmp_path / "tmp"), "PYTHONPATH": os.pathsep.join(["/tmp", "/"])}
    run = cli_check([path], "--json", str(tmp_path / "report.json"), "--no-cache",
                    "--sandbox", "bwrap", env=env)
    assert statuses(run, "ok.md") == ["passed"], run["stderr"]
