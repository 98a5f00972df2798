"""Text from decks and examples, made inert for a terminal or a CI log.

An example's error message, a deck's path or a block's attribute may hold escape sequences
(erase the line, move the cursor, set the window title, write the clipboard with OSC 52,
OSC 8 links), bidirectional overrides, or square brackets that rich would read as markup.
Everything the command line and the CI formats print goes through ``inert`` (and ``say``,
which also keeps rich from reading markup), so it is shown, never acted on. A deck's path
is shown relative to the current folder (``display_path``), as editors and CI logs find it.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich loads when something is printed: ``check`` starts its runner first
    from rich.console import Console
    from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls (8-bit CSI and OSC among them), and the
# invisible characters that reorder or hide text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                      "\ufeff]")


def _shown(match: re.Match) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text: object) -> str:
    """``text`` with every control character written out as an escape (``\\x1b``)."""
    return _CONTROL.sub(_shown, str(text))


def say(console: Console, *parts: object, style: str = "") -> None:
    """Print ``parts`` (strings, or (string, style) pairs) as plain, inert text: no markup,
    no highlighting, no escape sequence of theirs reaches the terminal."""
    from rich.text import Text

    line = Text(style=style)
    for part in parts:
        if isinstance(part, tuple):
            line.append(inert(part[0]), style=part[1])
        else:
            line.append(inert(part))
    console.print(line, soft_wrap=True, highlight=False)


def cell(text: object, style: str = "") -> Text:
    """A table cell of inert text."""
    from rich.text import Text

    return Text(inert(text), style=style)


def console(stderr: bool = False, **options) -> Console:
    """A rich console (on standard error with ``stderr``)."""
    from rich.console import Console

    return Console(stderr=stderr, **options)


def display_path(path: str) -> str:
    """``path`` relative to the current folder, if it can be (else as given)."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return path
