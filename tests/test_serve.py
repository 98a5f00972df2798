"""`mkdocs serve`: prose edits re-run nothing, a block edit re-runs that deck alone, and the
runner's warm pool survives rebuilds. A real `mkdocs serve` process, real file edits."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import bare_env, write_deck

CHANGED = re.compile(r"Detected file changes")
VERIFIED = re.compile(r"slideproof: (\d+) decks verified \((\d+) run, (\d+) from cache\).*?"
                      r"(?:runner pids ([\d, ]+))?$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    def __init__(self, folder):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{_free_port()}"],
            cwd=folder, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env=bare_env())
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern, limit: float = 120,
                 fail: bool = True) -> re.Match | None:
        end = time.monotonic() + limit
        seen = []
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            match = pattern.search(line)
            if match:
                return match
        if not fail:
            return None
        pytest.fail(f"mkdocs serve never logged {pattern.pattern!r}:\n" + "\n".join(seen[-30:]))

    def next_build(self) -> tuple[int, int, set[str]]:
        """Counts of the next build, once it is served (the watcher runs from the first
        "Serving on" to the end)."""
        match = self.wait_for(VERIFIED)
        self.wait_for(re.compile(r"Serving on|Reloading browsers"))
        return int(match[2]), int(match[3]), set((match[4] or "").split(", ")) - {""}

    def edit(self, path, old: str, new: str) -> None:
        """Change ``path`` and wait until the server has seen the change. The watcher polls
        the files; should a change slip past it, touching the file again is seen."""
        path.write_text(path.read_text().replace(old, new))
        for _ in range(12):
            if self.wait_for(CHANGED, limit=5, fail=False):
                return
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        pytest.fail(f"mkdocs serve never saw the change to {path.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


DECK = '''
    # Deck {n}

    ```python
    value = {n}
    print(value)
    ```

    Notes: the first wording of deck {n}.
    '''


def test_serve_reruns_only_what_changed_and_keeps_its_pool(tmp_path):
    docs = tmp_path / "docs"
    decks = [write_deck(docs, f"deck{n}.md", DECK.format(n=n)) for n in (1, 2)]
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Serve
        theme: material
        plugins: [search, slideproof]
        """))
    serve = Serve(tmp_path)
    try:
        ran, cached, pids = serve.next_build()
        assert (ran, cached) == (2, 0) and pids
        serve.edit(decks[0], "first wording", "second, longer\n\nwording")
        assert serve.next_build()[:2] == (0, 2)
        serve.edit(decks[1], "value = 2", "value = 20")
        ran, cached, same_pids = serve.next_build()
        assert (ran, cached) == (1, 1)
        assert same_pids == pids  # the same warm runners
    finally:
        serve.stop()
