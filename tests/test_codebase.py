"""The codebase stays one a newcomer can read: no function past a cyclomatic complexity of
25 (radon's measure), so each can be held in mind at once."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

SRC = Path(__file__).resolve().parents[1] / "src" / "slideproof"
LIMIT = 25


def test_no_function_is_more_complex_than_the_limit():
    over = []
    for path in sorted(SRC.rglob("*.py")):
        for block in cc_visit(path.read_text("utf-8")):
            if block.complexity > LIMIT:
                over.append(f"{path.relative_to(SRC)}:{block.lineno} {block.fullname} "
                            f"({block.complexity})")
    assert not over, over
