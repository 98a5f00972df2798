"""The model holder: a fork of the warm worker that loads the models and runs the decks that use
them, while the worker goes on forking the decks that use none.

A model takes half a second to load, and a deck is forked from the process that holds what it
is handed. Loaded in the worker, the load stops the worker's loop: no other deck starts, and
every deck forked afterwards copies the model's page tables too. Loaded in the holder, the
load runs beside the decks that need no model, and those stay forked from the smaller worker.

The holder is forked as the worker starts, and loads the models the check's decks are handed
(``WorkerConfig.handouts``) while the worker forks the decks that need none in every slot.
The worker stays the only scheduler: once the holder is ready it hands it a request when a
slot of the check is free (a request handed over holds its slot until the holder says the deck
is done), the decks that are handed a model first (the longest). A request whose models the
holder does not have yet (a deck added later, under ``mkdocs serve``) makes it load them
first: nothing more is handed over until that deck starts. The holder speaks the worker's own
protocol on a pipe of its own; the worker passes each of its messages on unchanged, whole,
and learns from them which slots are free again.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable

from ..protocol import RunRequest


class Holder:
    """The worker's side of the holder: its process, the pipe requests go down, the pipe its
    messages come up, and the requests handed over and not yet done."""

    def __init__(self, pid: int, requests: int, messages: int, building: list[str]):
        self.pid, self.requests, self.messages = pid, requests, messages
        os.set_blocking(requests, False)
        self.unsent = b""  # requests the pipe had no room for yet
        self.buffer = b""
        self.handed: dict[str, list[str]] = {}  # deck id → its handouts, until it is done
        self.ready = False  # it has loaded ``building``, the models the check's decks are handed
        self.built: set[str] = set(building)  # models it has (once ready), or will have
        self.waiting_for: set[str] = set()  # decks whose models it is loading
        self.closed = False

    @property
    def building(self) -> bool:
        return not self.ready or bool(self.waiting_for)

    def hand(self, request: RunRequest, keys: list[str]) -> None:
        self.handed[request["id"]] = keys
        if not set(keys) <= self.built:
            self.waiting_for.add(request["id"])
        self.unsent += json.dumps(request).encode() + b"\n"
        self.send()

    def send(self) -> None:
        """Write what the pipe takes, never waiting: a plan may be larger than the pipe, and
        the holder, writing its messages, may be waiting for the worker to read them."""
        while self.unsent and not self.closed:
            try:
                self.unsent = self.unsent[os.write(self.requests, self.unsent):]
            except BlockingIOError:
                return

    def close_requests(self) -> None:
        """No more requests: the holder ends once its decks are done."""
        if not self.closed:
            self.closed = True
            os.close(self.requests)

    def read(self, forward: Callable[[bytes], None]) -> bool:
        """Pass on every whole message the holder has written; False once it is gone."""
        data = os.read(self.messages, 1 << 20)
        if not data:
            return False
        self.buffer += data
        while b"\n" in self.buffer:
            line = self.buffer[:self.buffer.index(b"\n")]
            message = json.loads(line)
            size = len(line) + 1
            if message.get("event") == "deck-line":  # a deck's bytes follow the header
                size += int(message["bytes"]) + 1
                if len(self.buffer) < size:
                    break
            elif message.get("event") == "holder-ready":
                self.ready = True
                self.buffer = self.buffer[size:]
                continue  # for the worker alone
            elif message.get("event") == "deck-start":
                self.built.update(self.handed.get(message["id"]) or [])
                self.waiting_for.discard(message["id"])
            elif message.get("event") == "deck-done":
                self.handed.pop(message["id"], None)
                self.waiting_for.discard(message["id"])
            frame, self.buffer = self.buffer[:size], self.buffer[size:]
            forward(frame)
        return True

    def gone(self) -> str:
        """Why the holder ended without being told to (a model whose load crashed it): it is
        reaped, and the reason is said for each deck it held."""
        self.close_requests()
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.messages)
        how = (f"signal {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status)
               else f"exit code {os.WEXITSTATUS(status)}")
        return f"the process that loads the decks' models ended ({how}) while it held this deck"

    def end(self) -> None:
        """No more requests: the holder ends once its decks are done (it has none left when
        the worker ends), or is killed if it does not within a second; then it is reaped."""
        self.close_requests()
        for _ in range(100):
            try:
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.01)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.messages)
