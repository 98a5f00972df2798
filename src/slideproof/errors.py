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

    # -- slideproof export (SP500-SP549) --------------------------------------------------
    SP500 = ("Cannot read the site configuration {path}: {problem}. Pass the course's "
             "mkdocs.yml with -f.")
    SP501 = ("{path}:{line}: the site configuration is not valid YAML: {problem}. "
             "Fix the YAML.")
    SP502 = ("{path}: the site configuration must be a mapping of keys to values, "
             "not {kind}.")
    SP503 = ("{path}: 'INHERIT' is not supported by export. Merge the parent "
             "configuration into this file and export again.")
    SP504 = ("{path}: unknown slideproof plugin option '{key}'. Known options: {known}.")
    SP505 = "{path}: the slideproof plugin option '{key}' must be {expected}, not {got!r}."
    SP506 = ("{path}: the docs folder {docs} does not exist. Set docs_dir to the folder "
             "of the course's pages.")
    SP507 = ("The output folder {out} overlaps the docs folder {docs}. Export to a folder "
             "outside the course's pages, e.g. -o build.")
    SP508 = ("The output folder {out} is not empty and was not written by slideproof "
             "export. Choose a new or empty folder, or delete this one.")
    SP509 = ("{path}: a symbolic link to {target}, outside the docs folder, is not "
             "exported. Copy the file into the docs folder if the site needs it.")
    SP510 = ("{path}: export supports mkdocs-static-i18n with 'docs_structure: folder' "
             "only, not '{structure}'. Move each language into its own folder.")
    SP511 = "{path}: the plugin list must be a list or a mapping of plugin names, not {kind}."
    SP512 = "Cannot write the export to {out}: {problem}."
    SP513 = ("{path}: the slideproof plugin's options must be a mapping of option names "
             "to values, not {kind}.")


class DeckError(Exception):
    """The one error type for malformed input: a file, a line in it, and what to do."""

    def __init__(self, path: str, line: int, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{self.line}: {message}")


class ConfigError(Exception):
    """A bad option given on the command line or in mkdocs.yml."""
