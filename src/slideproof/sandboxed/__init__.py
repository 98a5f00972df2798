"""What runs inside the sandbox: the warm worker, each deck's process and walls, and the
session that runs its blocks.

Nothing here is trusted with more than one deck, and nothing here imports slideproof's
trusted side: only ``slideproof.protocol`` (the messages) and ``slideproof.errors`` (the
words) — a contract ``lint-imports`` checks.
"""
