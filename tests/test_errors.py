"""The message catalogue: every code is documented, used, and shown with its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slideproof.deck import parse_deck
from slideproof.errors import DeckError, Errors

ROOT = Path(__file__).resolve().parents[1]
CODES = sorted(name for name in vars(Errors) if not name.startswith("_"))


def test_every_code_is_sp_and_three_digits():
    assert CODES and all(re.fullmatch(r"SP\d{3}", code) for code in CODES), CODES


def test_the_docs_list_exactly_the_codes_errors_defines():
    page = (ROOT / "docs" / "project" / "errors.md").read_text("utf-8")
    listed = re.findall(r"^\| `(SP\d{3})` \|", page, flags=re.M)
    assert sorted(listed) == CODES
    assert len(listed) == len(set(listed))


def test_every_code_is_used_by_the_code():
    sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "src" / "slideproof").rglob("*.py")
                        if p.name != "errors.py")
    unused = [code for code in CODES if not re.search(rf"\b{code}\b", sources)]
    assert not unused


def test_a_deck_error_shows_file_line_and_code():
    with pytest.raises(DeckError) as info:
        parse_deck("# Title\n\n```python\nx = 1\n", "deck.md")
    assert str(info.value).startswith("deck.md:3: [SP006] The code fence")


def test_a_code_read_off_errors_reads_with_its_code_and_fills_its_fields():
    assert Errors.SP010.format(name="timeout", example="5") == \
        "[SP010] The attribute 'timeout' needs a value, e.g. 'timeout=5'."


def test_a_mistyped_code_is_an_attribute_error():
    with pytest.raises(AttributeError):
        Errors.SP999  # noqa: B018
