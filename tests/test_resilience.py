"""The cache and the report survive faults: torn writes, leftovers of a killed check, a cache
folder that cannot be written, a check killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from slideproof import atomic as atomic_mod
from slideproof import report, sandbox
from slideproof.cache import Cache
from slideproof.deck import read_deck
from slideproof.options import Options
from slideproof.run import plan_for

from conftest import check_env, cli_argv, run_cli, survivors, write_deck

DECK = '''
    # Cached

    ```python
    print("one")
    ```
    '''


def _plan(tmp_path: Path) -> dict:
    return plan_for(read_deck(write_deck(tmp_path, "a.md", DECK)), Options())


def _raw(output: str) -> dict:
    return {"events": [{"event": "block", "index": 0, "output": output, "display": None,
                        "warnings": [], "error": None, "seconds": 0.0}],
            "done": {"event": "deck-done", "seconds": 0.1, "exit_code": 0}}


def test_entries_are_written_to_a_temp_file_then_renamed(tmp_path, monkeypatch):
    plan, key = _plan(tmp_path), "ab" + "0" * 62
    cache = Cache(tmp_path / "cache")
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(atomic_mod.os, "replace",
                        lambda src, dst: (renames.append((src, dst)), real_replace(src, dst)))
    cache.put(key, plan, _raw("one\n"))
    [(src, dst)] = renames
    assert Path(src).name.startswith(".tmp-") and Path(src).parent == Path(dst).parent
    assert Path(dst) == cache._path(key) and not Path(src).exists()
    assert cache.get(key, plan)["events"][0]["output"] == "one\n"


def test_a_write_interrupted_half_way_leaves_the_old_entry_and_no_temp_file(tmp_path,
                                                                            monkeypatch):
    plan, key = _plan(tmp_path), "cd" + "1" * 62
    cache = Cache(tmp_path / "cache")
    cache.put(key, plan, _raw("old\n"))

    def interrupted(fd):
        raise KeyboardInterrupt  # Ctrl-C (or a kill) after part of the entry was written

    monkeypatch.setattr(atomic_mod.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.put(key, plan, _raw("new\n"))
    monkeypatch.undo()
    assert cache.get(key, plan)["events"][0]["output"] == "old\n"
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


def test_a_leftover_temp_file_is_never_read(tmp_path):
    """What SIGKILL leaves mid-write is a complete-looking ``.tmp-*`` file: never trusted."""
    plan, key = _plan(tmp_path), "ef" + "2" * 62
    cache = Cache(tmp_path / "cache")
    cache.put(key, plan, _raw("forged\n"))
    entry = cache._path(key)
    entry.rename(entry.with_name(f".tmp-{key}.json"))  # as if os.replace never happened
    (entry.parent / ".tmp-partial.json").write_text('{"key": "')
    assert cache.get(key, plan) is None
    cache.put(key, plan, _raw("one\n"))
    assert cache.get(key, plan)["events"][0]["output"] == "one\n"


@pytest.mark.parametrize("damage", ["truncated", "empty", "not-json", "wrong-key", "binary"])
def test_a_damaged_entry_is_ignored(tmp_path, damage):
    plan, key = _plan(tmp_path), "a1" + "3" * 62
    cache = Cache(tmp_path / "cache")
    cache.put(key, plan, _raw("one\n"))
    entry = cache._path(key)
    text = entry.read_text()
    entry.write_bytes({
        "truncated": text[: len(text) // 2].encode(),
        "empty": b"",
        "not-json": b"[1, 2, 3]",
        "wrong-key": text.replace(key, "b2" + "4" * 62).encode(),
        "binary": b"\xff\xfe\x00garbage",
    }[damage])
    assert cache.get(key, plan) is None


def test_the_report_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    report.write_json({"ok": True, "decks": []}, target)

    real_fdopen = os.fdopen

    class FullDisk:
        """The temp file takes a few bytes, then the disk is full."""

        def __init__(self, fd, *args, **kwargs):
            self.file = real_fdopen(fd, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, text):
            self.file.write(text[:9])
            self.file.flush()
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_mod.os, "fdopen", FullDisk)
    with pytest.raises(OSError):
        report.write_json({"ok": False, "decks": [1]}, target)
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"ok": True, "decks": []}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_an_unwritable_cache_folder_means_no_cache_and_a_warning(tmp_path):
    # Root ignores permissions, so the folder is made impossible instead: its parent is a file.
    deck = write_deck(tmp_path / "decks", "a.md", DECK)
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where a folder is needed")
    out = tmp_path / "report.json"
    done = run_cli("check", str(deck), "--cache-dir", str(blocker / "cache"), "--json", str(out),
                   "-q")
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    [warning] = data["warnings"]
    assert "cannot be written" in warning and "running without cache" in warning
    assert "cannot be written" in done.stderr and "Traceback" not in done.stderr
    assert [b["status"] for d in data["decks"] for b in d["blocks"]] == ["passed"]
    assert blocker.read_text() == "a regular file where a folder is needed"


def test_a_check_killed_with_sigkill_leaves_a_usable_cache(tmp_path):
    marker = f"spkill{uuid.uuid4().hex[:12]}"
    decks = tmp_path / "decks"
    write_deck(decks, "a.md", DECK)
    write_deck(decks, "b.md", f'''
        # Sleeps

        ```python
        import subprocess, time
        subprocess.Popen(["{marker}", "1000"], executable="/bin/sleep")
        time.sleep(1000)
        ```
        ''')
    cache_dir = tmp_path / "cache"
    killed = subprocess.Popen(cli_argv("check", str(decks), "--cache-dir", str(cache_dir),
                                       "-q", "-j", "1"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=check_env(tmp_path / "tmp"))  # what SIGKILL leaves: ours
    try:
        for _ in range(1200):  # until b.md sleeps and a.md's result is in the cache
            if (survivors(marker) and list(cache_dir.rglob("[!.]*.json"))) \
                    or killed.poll() is not None:
                break
            time.sleep(0.1)
        assert survivors(marker), "the sleeping deck never started"
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
    for _ in range(100):  # the sandbox's PID namespace dies with the check
        if not survivors(marker):
            break
        time.sleep(0.1)
    left = list(survivors(marker))
    for pid in left:  # without bubblewrap, what a deck started can outlive a SIGKILLed check
        os.kill(pid, signal.SIGKILL)
    if sandbox.choose("auto") == "bwrap":
        assert left == []
    (decks / "b.md").unlink()
    out = tmp_path / "report.json"
    done = run_cli("check", str(decks), "--cache-dir", str(cache_dir), "--json", str(out), "-q")
    assert done.returncode == 0, done.stderr
    [a] = json.loads(out.read_text())["decks"]
    assert a["cached"] is True and a["blocks"][0]["output"] == "one\n"
