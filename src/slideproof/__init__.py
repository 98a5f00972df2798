"""slideproof: slide decks in Markdown, published as a course whose every example runs.

The code follows the data: ``deck`` (parse) → ``run`` (execute) → ``judge`` (statuses)
→ ``render`` (Markdown) → adapters (MkDocs plugin, CLI, pytest plugin).
"""

__version__ = "0.1.0"
