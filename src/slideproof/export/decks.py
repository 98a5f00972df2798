"""The course's decks: each page that is a deck loaded once (a language's fallback copy of
a page shares its source's deck), shown docs-relative, its language decided inside the docs
folder, and verified as ``mkdocs build`` verifies it (the same options, cache and policy).
"""

from __future__ import annotations

from collections.abc import Callable

from ..deck import Deck, load_deck, looks_like_deck
from ..errors import DeckError
from ..judge import DeckResult
from ..verify import Verifier
from .config import Course
from .files import Entry


def read_decks(course: Course,
               entries: list[Entry]) -> tuple[dict[str, Deck], dict[str, DeckError]]:
    """src_uri → deck, and src_uri → why it cannot be read, for every page that is a deck."""
    decks: dict[str, Deck] = {}
    errors: dict[str, DeckError] = {}
    for e in entries:
        if e.src_uri in decks or e.src_uri in errors or not e.src_uri.endswith(".md") \
                or not looks_like_deck(e.source):
            continue
        try:  # shown docs-relative, its language (its prelude) found once
            deck = load_deck(e.source, e.src_uri, course.docs, e.lang or course.site_lang,
                             limit=course.settings["max_deck_size"] << 20)
        except DeckError as err:
            errors[e.src_uri] = err
            continue
        decks[e.src_uri] = deck
    return decks, errors


def verify_decks(course: Course, decks: dict[str, Deck],
                 on_deck: Callable[[DeckResult], None] | None
                 ) -> tuple[dict[str, DeckResult], dict, list[str]]:
    """src_uri → result of every deck, the environment they ran in, and the decks that ran
    (not taken from the cache); nothing when the site does not execute its examples."""
    if not course.settings["execute"] or not decks:
        return {}, {}, []
    verifier = Verifier(course.run, course.cache)
    try:
        verified = verifier.verify(list(decks.values()), on_deck=on_deck)
        environment = verifier.environment()
        ran = list(verifier.ran)
    finally:
        verifier.close()
    return dict(zip(decks, verified)), environment, ran
