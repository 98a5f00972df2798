"""Every message slideproof shows for bad input, numbered, in one place.

Like spaCy's ``Errors``, each entry is a template; ``DeckError`` carries the file and the
line it applies to, so every adapter (MkDocs, CLI, pytest) can point the author at it.
"""

from __future__ import annotations


class Errors:
    E001 = "The file is empty. A deck needs at least one slide, e.g. a line '# Title'."
    E002 = ("The file is not valid UTF-8 (byte {byte} at column {column}). "
            "Save it as UTF-8.")
    E003 = ("The front matter opened on line {start} is never closed. "
            "Add a line '---' after the last front matter key.")
    E004 = "The front matter is not valid YAML: {problem}. Fix the YAML or remove the block."
    E005 = ("The front matter must be a mapping of keys to values (e.g. 'type: slides'), "
            "not {kind}.")
    E006 = ("The code fence opened here with '{fence}' is never closed. "
            "Add a closing line '{fence}' after the code.")
    E007 = ("'Notes:' appears before any slide content. Put the notes under a slide "
            "(after its title), or remove the line.")
    E008 = ("The fence attributes '{attrs}' cannot be read: {problem}. "
            "Write them as '{{flag key=value key=\"quoted value\"}}'.")
    E009 = ("Unknown fence attribute '{name}'. Known attributes: {known}.")
    E010 = "The attribute '{name}' needs a value, e.g. '{name}={example}'."
    E011 = "The attribute '{name}={value}' must be {expected}."
    E012 = "The front matter key '{key}' must be {expected}, not {got!r}."
    E013 = ("This 'out' block does not follow a python block. Put it right after the "
            "python block whose output it shows, or use another language tag.")
    E014 = ("The file contains a NUL byte. Decks are text files: remove it or save "
            "the file as UTF-8 text.")

    # -- the reader's site: theme, report page, notebooks (SP400-SP449) ---------------------
    SP400 = ("The theme '{theme}' has no presentation mode: decks are built as ordinary "
             "pages, without the toolbar, presentation mode or speaker view. Set "
             "'theme: material' in mkdocs.yml to present them.")


class DeckError(Exception):
    """The one error type for malformed input: a file, a line in it, and what to do."""

    def __init__(self, path: str, line: int, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{self.line}: {message}")


class ConfigError(Exception):
    """A bad option given on the command line or in mkdocs.yml."""
