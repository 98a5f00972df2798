"""Shared fixtures: the corpus (someone else's decks, read in place, never copied into the
repository) and a helper that verifies decks through the real engine."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from slideproof.cache import Cache
from slideproof.deck import read_deck
from slideproof.run import Options
from slideproof.verify import Verifier

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SLIDEPROOF_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture
def corpus() -> Path:
    if not (CORPUS / "spacy-course").is_dir():
        pytest.skip(f"the corpus is not here ({CORPUS}); set SLIDEPROOF_CORPUS to run this test")
    return CORPUS


def write_deck(folder: Path, name: str, body: str, front: str = "type: slides\n") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}---\n\n" + textwrap.dedent(body).lstrip("\n"), "utf-8")
    return path


@pytest.fixture
def verify(tmp_path):
    """verify(*paths, **options) → list[DeckResult], through a real warm worker."""
    verifiers = []

    def run(*paths, cache_dir=None, **options):
        verifier = Verifier(Options(**{"jobs": 2, **options}),
                            Cache(cache_dir or tmp_path / "cache", enabled=cache_dir is not None))
        verifiers.append(verifier)
        try:
            return verifier.verify([read_deck(p) for p in paths])
        finally:
            verifier.close()

    yield run
    for v in verifiers:
        v.close()
