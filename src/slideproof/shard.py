"""Sharding (``--shard K/N``): N CI jobs each check a deterministic part of the decks.

The jobs' reports are joined again by ``report.merge_reports``.
"""

from __future__ import annotations

import os
from pathlib import PurePath


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` → (2, 3); raises ValueError with a message a person can act on."""
    k, sep, n = text.partition("/")
    try:
        k_i, n_i = int(k), int(n)
    except ValueError:
        k_i = n_i = 0
    if not sep or n_i < 1 or not 1 <= k_i <= n_i:
        raise ValueError(f"'{text}' is not K/N with 1 ≤ K ≤ N (e.g. --shard 2/3)")
    return k_i, n_i


def shard_key(path: str) -> tuple:
    """Sort key of a deck path: its parts, like ``sorted(Path.rglob(...))``."""
    return PurePath(str(path).replace(os.sep, "/")).parts


def select_shard(paths: list[str], k: int, n: int) -> list[str]:
    """The decks of shard ``k`` of ``n``: round-robin over the sorted paths.

    Every job of a matrix sees the same files, so the split needs no coordination; every deck
    lands in exactly one shard, and the shards differ in size by at most one deck. The
    result keeps the order of ``paths`` (the order a single run would use).
    """
    ranked = sorted(dict.fromkeys(str(p) for p in paths), key=shard_key)
    mine = {p for i, p in enumerate(ranked) if i % n == k - 1}
    return [str(p) for p in paths if str(p) in mine]
