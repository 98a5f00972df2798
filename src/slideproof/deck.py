"""Text → Deck: front matter, slides, titles, notes and fenced blocks with their deck lines.

The format is the one real courses use: YAML front matter, slides separated by a
line ``---``, speaker notes from a line starting ``Notes:`` to the end of the slide, and
fenced code. Fences are tracked line by line, so ``---``, ``Notes:`` or ``# comment`` inside
code stay code. Every part keeps the line it starts on *in the deck file* (front matter
included), which is what authors, MkDocs warnings and CI annotations point at.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import DeckError, Errors, shorten

PYTHON_LANGS = frozenset({"python", "py", "python3"})
OUTPUT_LANG = "out"

# Attributes an author may put on a python fence; the value kind is checked below.
RUN_ATTRS = {
    "setup": "flag",
    "hide": "flag",
    "skip": "optional",
    "raises": "required",
    "isolated": "flag",
    "timeout": "number",
    "requires": "required",
}
# Display attributes understood by pymdownx.superfences / Material, passed through as they are.
DISPLAY_ATTRS = frozenset({"title", "hl_lines", "linenums", "linenums_style"})

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
_NOTES = re.compile(r"^Notes:[ \t]?")
_SEPARATOR = re.compile(r"^---[ \t]*$")
MAX_TIMEOUT = 1_000_000.0  # seconds; more does not fit the timers (and is not a timeout)
# Folder names and file suffixes ('intro.pt.md') read as a deck's language.
LANG_CODES = frozenset({"en", "pt", "es", "de", "fr", "it", "nl", "ja", "zh", "ru", "ko", "pl",
                        "ca", "da", "el", "fi", "sv", "tr", "uk", "xx"})


def _is_timeout(value: object) -> bool:
    """A positive, finite number of seconds (not a bool, not NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return 0 < float(value) <= MAX_TIMEOUT
    except OverflowError:
        return False


@dataclass
class Text:
    """A run of Markdown lines (slide content or notes) starting at deck line ``line``."""

    text: str
    line: int


@dataclass
class Block:
    """A fenced code block. ``line`` is the opening fence's line in the deck file."""

    lang: str
    code: str
    line: int
    end_line: int
    info: str = ""
    attrs: dict[str, object] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    fence: str = "```"
    indent: str = ""
    in_notes: bool = False
    expected: Block | None = None
    slide: int = 0
    attached: bool = False  # an ``out`` block that belongs to the python block before it
    # The file the code is in, as shown, when it is not its deck's (an exercise's test): a
    # block of another file is reported there, and never rewritten in its deck's file.
    file: str = ""

    @property
    def is_python(self) -> bool:
        return self.lang in PYTHON_LANGS

    @property
    def runs(self) -> bool:
        """Python code in slide content runs; code in the notes is narrative and is shown."""
        return self.is_python and not self.in_notes

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    @property
    def shown(self) -> bool:
        return not (self.attrs.get("hide") or self.attrs.get("setup"))


@dataclass
class Slide:
    number: int
    line: int
    title: str | None = None
    title_line: int | None = None
    parts: list[Text | Block] = field(default_factory=list)
    notes: list[Text | Block] = field(default_factory=list)
    notes_line: int | None = None

    @property
    def blocks(self) -> list[Block]:
        return [p for p in self.parts + self.notes if isinstance(p, Block)]


@dataclass
class Deck:
    path: str  # as a person is shown it: docs-relative on a site, as given on the command line
    meta: dict
    slides: list[Slide]
    body_line: int  # deck line where the body starts (after the front matter)
    lang: str | None = None  # decided once, when the deck is loaded (``load_deck``)
    source: str = ""  # the file's absolute path: what runs, and what tracebacks name

    @property
    def file(self) -> str:
        """The deck's file, absolute (its examples are compiled with it)."""
        return self.source or os.path.abspath(self.path)

    @property
    def language(self) -> str | None:
        """Front matter ``lang``, else the language ``load_deck`` found for it."""
        if isinstance(self.meta.get("lang"), str):
            return self.meta["lang"]
        return self.lang

    @property
    def written_title(self) -> str | None:
        """Front matter ``title``, else the first slide's title as plain text (its Markdown
        and HTML taken out, as MkDocs does for a page's title), else None."""
        if isinstance(self.meta.get("title"), str):
            return self.meta["title"]
        heading = next((slide.title for slide in self.slides if slide.title), None)
        return plain_text(heading) or None if heading else None

    @property
    def title(self) -> str:
        return self.written_title or Path(self.path).stem

    @property
    def blocks(self) -> list[Block]:
        return [b for s in self.slides for b in s.blocks]

    @property
    def python_blocks(self) -> list[Block]:
        """Blocks that run, setup fences first (they run before the deck), then in order."""
        runnable = [b for b in self.blocks if b.runs]
        return [b for b in runnable if b.attrs.get("setup")] + [
            b for b in runnable if not b.attrs.get("setup")
        ]

    @property
    def setup_code(self) -> str:
        return self.meta.get("setup") or ""


_TAG = re.compile(r"</?[A-Za-z!][^>]*>")
_INLINE_MARKS = re.compile(r"(\*\*|__|`+|(?<!\w)[*_]|[*_](?!\w))")


def plain_text(markdown: str) -> str:
    """A heading's text without its HTML tags, emphasis and code marks, entities read:
    ``Basics <img src=x onerror=…> of `Doc` `` → ``Basics of Doc``."""
    text = _INLINE_MARKS.sub("", _TAG.sub("", markdown))
    text = _TAG.sub("", html.unescape(text))  # an escaped tag is no tag either
    return " ".join(text.split())


def language_of_path(path: str) -> str | None:
    for part in reversed(re.split(r"[/\\.]", str(path))[:-1]):
        if part.lower() in LANG_CODES:
            return part.lower()
    return None


def decode(data: bytes, path: str) -> str:
    """Bytes → text with LF line ends; a BOM is dropped, CRLF and lone CR become LF."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[:err.start]  # lines end with LF, CRLF or a lone CR
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        column = err.start - max(before.rfind(b"\n"), before.rfind(b"\r"))
        raise DeckError(path, line, Errors.SP002.format(byte=f"0x{data[err.start]:02x}",
                                                       column=column)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


DECK_SIZE_LIMIT = 4 << 20  # bytes; a deck is text, this is generous
HEAD_SIZE = 4096  # what is read of a file to decide whether it is a deck

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _open_regular(path: str) -> tuple[int, int]:
    """(fd, size) of ``path`` if it is (or a symlink resolves to) a regular file. Opened
    non-blocking, so a FIFO or a device never blocks the check; checked after opening, so
    what is read is what was checked."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as err:
        raise DeckError(path, 1, Errors.SP107.format(reason=err.strerror or err)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
        raise DeckError(path, 1, Errors.SP102.format(kind=kind))
    return fd, info.st_size


def _read_at_most(fd: int, limit: int) -> bytes:
    parts, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def read_source(path: str | Path, limit: int = DECK_SIZE_LIMIT) -> bytes:
    """The bytes of a deck file: a regular file of at most ``limit`` bytes, or a DeckError."""
    path = str(path)
    fd, size = _open_regular(path)
    try:
        data = _read_at_most(fd, limit + 1)
    except OSError as err:
        raise DeckError(path, 1, Errors.SP107.format(reason=err.strerror or err)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise DeckError(path, 1, Errors.SP103.format(size=max(size, len(data)), limit=limit))
    return data


def load_deck(file: str | Path, shown: str | None = None, root: str | Path | None = None,
              default_lang: str | None = None, limit: int = DECK_SIZE_LIMIT,
              data: bytes | None = None) -> Deck:
    """The deck in ``file``, shown as ``shown`` (default: the path as given), its language
    decided once: front matter ``lang``, else a language folder or a ``.pt.md`` suffix in its
    path inside the course folder ``root`` (never above it: a folder named ``ca`` above the
    course does not make its decks Catalan), else ``default_lang``. A DeckError names it as
    shown."""
    shown = str(file) if shown is None else shown
    if data is None:  # (``data``: the file's bytes, when the caller read them already)
        try:
            data = read_source(file, limit)
        except DeckError as err:
            raise DeckError(shown, err.line, err.message) from None
    deck = parse_deck(decode(data, shown), shown)
    deck.source = os.path.abspath(file)
    inside = Path(deck.source).name
    if root is not None:
        try:
            inside = Path(deck.source).relative_to(Path(root).absolute()).as_posix()
        except ValueError:
            pass
    deck.lang = language_of_path(inside) or default_lang
    return deck


def read_deck(path: str | Path, limit: int = DECK_SIZE_LIMIT) -> Deck:
    """The deck in ``path``, in the course folder ``course_root`` finds for it."""
    return load_deck(path, root=course_root(Path(path)), limit=limit)


_DOCS_DIR = re.compile(r"^docs_dir\s*:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(#.*)?$", re.MULTILINE)


def docs_folder(file: Path) -> Path | None:
    """The docs folder (``docs_dir``) of the nearest mkdocs.yml above ``file``, when it holds
    ``file``; else None."""
    file = file.absolute()
    for folder in file.parents:
        config = folder / "mkdocs.yml"
        if config.is_file():
            try:
                found = _DOCS_DIR.search(config.read_text("utf-8", errors="replace"))
            except OSError:
                return None
            docs = (folder / (found.group(1).strip() if found else "docs")).absolute()
            return docs if docs in file.parents else None
    return None


def course_root(file: Path, given: Path | None = None) -> Path:
    """The folder a deck's language is read inside: the docs folder of the nearest
    mkdocs.yml above it that holds it; else the folder above ``given`` (a folder named on
    the command line: ``slideproof check en`` names English decks), when it holds the deck;
    else the deck's folder and the one above it count (``en/slides/intro.md`` is English).
    Never higher: a folder named ``ca`` above the course does not make its decks Catalan."""
    file = file.absolute()
    docs = docs_folder(file)
    if docs is not None:
        return docs
    if given is not None and given.absolute() in file.parents:
        return given.absolute().parent
    return file.parents[2] if len(file.parents) > 2 else file.parents[-1]


MAX_DEPTH = 32  # levels of nested mappings and lists in front matter


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML without aliases and with a depth limit: a few hundred bytes of aliases can
    expand to gigabytes (a "billion laughs"), and deep nesting is slow or crashes."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, Errors.SP104.format(alias=f"*{shorten(event.anchor, 40)}"),
                event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, Errors.SP105.format(depth=MAX_DEPTH),
                                              self.peek_event().start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def split_front_matter(text: str, path: str) -> tuple[dict, int]:
    """Return (meta, index of the first body line) for ``text``'s lines."""
    lines = text.split("\n")
    if not lines or not _SEPARATOR.match(lines[0]):
        return {}, 0
    for end in range(1, len(lines)):
        if re.match(r"^(---|\.\.\.)[ \t]*$", lines[end]):
            break
    else:
        raise DeckError(path, 1, Errors.SP003.format(start=1))
    source = "\n".join(lines[1:end])
    if _flow_depth(source) > MAX_FLOW_DEPTH:  # PyYAML is quadratic (libyaml crashes) on these
        raise DeckError(path, 2, Errors.SP004.format(problem="it is nested too deeply"))
    try:
        meta = yaml.load(source, Loader=_FrontMatterLoader) if source.strip() else {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if problem.startswith("[SP"):  # ours, complete: not wrapped in SP004
            raise DeckError(path, min(line, end + 1), problem) from None
        raise DeckError(path, min(line, end + 1),
                        Errors.SP004.format(problem=shorten(problem, 200))) from None
    except RecursionError:
        raise DeckError(path, 2, Errors.SP004.format(problem="it is nested too deeply")) from None
    except (ValueError, TypeError, OverflowError) as err:  # e.g. a date like 2001-13-45
        raise DeckError(path, 2, Errors.SP004.format(
            problem=shorten(str(err), 200) or type(err).__name__)) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DeckError(path, 2, Errors.SP005.format(kind=type(meta).__name__))
    meta = {str(k): v for k, v in meta.items()}
    _check_meta(meta, path)
    return meta, end + 1


MAX_FLOW_DEPTH = 64


def _flow_depth(source: str) -> int:
    """How deep ``[``/``{`` nest in the front matter (quotes ignored: an upper bound)."""
    depth = deepest = 0
    for match in re.finditer(r"[\[\]{}]", source):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


class _Short:
    """A value shown with ``{x!r}`` in a message, cut to a readable length."""

    def __init__(self, value: object):
        self.value = value

    def __repr__(self) -> str:
        return shorten(repr(self.value))


_DURATION = re.compile(r"^\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h)?"
                       r"\s*(?:(?P<m>\d+(?:\.\d+)?)\s*(?:m|min|minutes?)?)?\s*$", re.IGNORECASE)


def duration_minutes(value: object) -> float | None:
    """A talk length from front matter (``45``, ``"45 min"``, ``"1h30m"``) in minutes, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        minutes = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)) and (
            match["h"] or match["m"]):
        minutes = float(match["h"] or 0) * 60 + float(match["m"] or 0)
    else:
        return None
    return minutes if 0 < minutes <= 24 * 60 else None


NAVIGATION = ("click", "wheel")  # besides keys and swipes, what may move a presentation on


def navigation_modes(value: object) -> list[str] | None:
    """Front matter ``navigation`` (``click``, ``[click, wheel]``, ``"click wheel"``, ``none``
    or ``[]``) as a list of NAVIGATION names, or None when it names something else."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    names = [v.strip().lower() for v in value]
    names = [] if names == ["none"] else names
    return names if all(name in NAVIGATION for name in names) else None


def _check_meta(meta: dict, path: str) -> None:
    def wrong(key: str, expected: str) -> DeckError:
        return DeckError(path, 2, Errors.SP012.format(key=key, expected=expected,
                                                     got=_Short(meta[key])))

    if "setup" in meta and not isinstance(meta["setup"], str):
        raise wrong("setup", "a block of Python code (use 'setup: |')")
    if "models" in meta and not (isinstance(meta["models"], dict)
                                 and all(isinstance(v, str) for v in meta["models"].values())):
        raise wrong("models", "a mapping of model names to packages or paths")
    if "timeout" in meta and not _is_timeout(meta["timeout"]):
        raise wrong("timeout", f"a positive number of seconds (at most {MAX_TIMEOUT:g})")
    if "requires" in meta:
        if isinstance(meta["requires"], str):
            meta["requires"] = [meta["requires"]]
        if not (isinstance(meta["requires"], list)
                and all(isinstance(v, str) for v in meta["requires"])):
            raise wrong("requires", "a list of model or package names")
    for key in ("title", "lang"):
        if key in meta and not isinstance(meta[key], str):
            raise wrong(key, "a string")
    if "incremental" in meta and not isinstance(meta["incremental"], bool):
        raise wrong("incremental", "true or false")
    if "duration" in meta and duration_minutes(meta["duration"]) is None:
        raise wrong("duration", "the talk's length in minutes, e.g. 'duration: 45' or '1h30m'")
    if "navigation" in meta and navigation_modes(meta["navigation"]) is None:
        raise wrong("navigation", "'click', 'wheel', both ('click wheel') or 'none'")


def parse_attrs(info: str, path: str, line: int) -> tuple[str, dict, dict, list[str]]:
    """Info string → (language, run attributes, display attributes, classes).

    The one syntax: ``python {hide timeout=5 raises=ValueError skip="needs a GPU"}``;
    the pymdownx form ``{.python title="x"}`` is read too.
    """
    lang, tokens = _info_tokens(info, path, line)
    attrs: dict[str, object] = {}
    display: dict[str, str] = {}
    classes: list[str] = []
    for token in tokens:
        if token.startswith("."):
            if not lang:
                lang = token[1:]
            else:
                classes.append(token[1:])
            continue
        if token.startswith("#"):
            display["id"] = token[1:]
            continue
        name, has_value, value = token.partition("=")
        if name in DISPLAY_ATTRS or name.startswith("data-") or \
                lang.lower() not in PYTHON_LANGS:  # other languages are only shown, as written
            display[name] = value
            continue
        attrs[name] = _run_attr(name, value if has_value else None, path, line)
    return lang.lower(), attrs, display, classes


def _info_tokens(info: str, path: str, line: int) -> tuple[str, list[str]]:
    """(the language, the tokens of its attribute list) of a fence's info string."""
    lang, _, rest = info.partition(" ")
    rest = rest.strip()
    if lang.startswith("{"):
        lang, rest = "", info
    if rest and not (rest.startswith("{") and rest.endswith("}")):
        # A plain info string after the language ("python title") is not an attribute list.
        rest = ""
    inner = rest[1:-1].strip() if rest else ""
    try:
        return lang, shlex.split(inner, posix=True) if inner else []
    except ValueError as err:
        raise DeckError(path, line, Errors.SP008.format(attrs=rest, problem=err)) from None


def _run_attr(name: str, value: str | None, path: str, line: int) -> object:
    """The value of a python fence's run attribute ``name`` (``value``: as written, None
    when written alone), or a DeckError saying what it must be."""
    kind = RUN_ATTRS.get(name)
    if kind is None:
        known = ", ".join(sorted(RUN_ATTRS) + sorted(DISPLAY_ATTRS))
        raise DeckError(path, line, Errors.SP009.format(name=name, known=known))
    if kind == "flag":
        if value is not None and value.lower() not in ("true", "1", "yes"):
            raise DeckError(path, line, Errors.SP011.format(
                name=name, value=value, expected="written alone, without a value"))
        return True
    if kind == "optional":
        return value or True
    if kind == "required":
        if not value:
            example = "ValueError" if name == "raises" else "en_core_web_sm"
            raise DeckError(path, line, Errors.SP010.format(name=name, example=example))
        return [v.strip() for v in value.split(",") if v.strip()] if name == "requires" \
            else value
    try:  # a number of seconds
        number = float(value or "")
    except ValueError:
        number = -1.0
    if not _is_timeout(number):
        raise DeckError(path, line, Errors.SP011.format(name=name, value=value,
            expected=f"a positive number of seconds (at most {MAX_TIMEOUT:g})"))
    return number


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_deck(text: str, path: str = "<deck>") -> Deck:
    """Parse decoded deck text (see ``decode``) into a Deck, or raise DeckError."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DeckError(path, 1, Errors.SP001)
    meta, start = split_front_matter(text, path)
    slides = _SlideReader(_lines(text), path).read(start)
    return Deck(path=path, meta=meta, slides=slides, body_line=start + 1)


class _SlideReader:
    """The body of a deck, line by line, into slides: separators, fences (a ```` ```out ````
    attached to the python block right before it), ``Notes:``, the slide's title."""

    def __init__(self, lines: list[str], path: str):
        self.lines, self.path = lines, path
        self.slides: list[Slide] = []
        self.slide = Slide(number=1, line=0)
        self.pending: list[tuple[int, str]] = []  # text lines not yet flushed into a Text
        self.in_notes = False

    def read(self, start: int) -> list[Slide]:
        self.slide.line = start + 1
        i = start
        while i < len(self.lines):
            i = self.take(i)
        self.close_slide()
        for n, slide in enumerate(self.slides, start=1):
            slide.number = n
            for block in slide.blocks:
                block.slide = n
        return self.slides

    def take(self, i: int) -> int:
        """Read the line at ``i`` (and, for a fence, the lines up to its end); the next
        line to read."""
        number, raw = i + 1, self.lines[i]
        if _SEPARATOR.match(raw):
            self.close_slide()
            return i + 1
        slide = self.slide
        if not slide.line or (not slide.parts and not slide.notes and not self.pending):
            slide.line = number
        opening = _FENCE_OPEN.match(raw)
        if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
            return self.take_fence(i, opening)
        if not self.in_notes and (notes := _NOTES.match(raw)):
            self.flush()
            if not slide.parts:
                raise DeckError(self.path, number, Errors.SP007)
            self.in_notes = True
            slide.notes_line = number
            raw = raw[notes.end():]
        elif not self.in_notes and slide.title is None and not any(
                isinstance(p, Block) for p in slide.parts):
            heading = _HEADING.match(raw)
            if heading:
                slide.title, slide.title_line = heading["title"], number
        self.pending.append((number, raw))
        return i + 1

    def take_fence(self, i: int, opening: re.Match) -> int:
        self.flush()
        block, after = _read_fence(self.lines, i, opening, self.path)
        block.in_notes = self.in_notes
        block.slide = len(self.slides) + 1
        target = self.slide.notes if self.in_notes else self.slide.parts
        previous = next((p for p in reversed(target) if isinstance(p, Block)), None)
        if (block.lang == OUTPUT_LANG and previous is not None and previous.is_python
                and previous.expected is None and target and target[-1] is previous):
            previous.expected = block
            block.attached = True
        target.append(block)
        return after

    def flush(self) -> None:
        if self.pending:
            chunk = "\n".join(t for _, t in self.pending)
            if chunk.strip():
                target = self.slide.notes if self.in_notes else self.slide.parts
                target.append(Text(chunk, self.pending[0][0]))
            self.pending = []

    def close_slide(self) -> None:
        self.flush()
        if self.slide.parts or self.slide.notes:
            self.slides.append(self.slide)
        self.in_notes = False
        self.slide = Slide(number=len(self.slides) + 1, line=0)


def _read_fence(lines: list[str], i: int, opening: re.Match, path: str) -> tuple[Block, int]:
    fence, indent, info = opening["fence"], opening["indent"], opening["info"]
    lang, attrs, display, classes = parse_attrs(info, path, i + 1)
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for j in range(i + 1, len(lines)):
        if closing.match(lines[j]):
            code_lines = [_dedent(line, indent) for line in lines[i + 1:j]]
            block = Block(lang=lang, code="\n".join(code_lines), line=i + 1, end_line=j + 1,
                          info=info, attrs=attrs, display=display, classes=classes,
                          fence=fence, indent=indent)
            return block, j + 1
    raise DeckError(path, i + 1, Errors.SP006.format(fence=fence))


def _dedent(line: str, indent: str) -> str:
    """Strip the fence's own indentation (as CommonMark does), never more."""
    k = 0
    while k < len(indent) and k < len(line) and line[k] in " \t":
        k += 1
    return line[k:]


def iter_deck_files(paths: Sequence[str | Path], only_marked: bool = True) -> Iterator[Path]:
    """Markdown files under ``paths``: folders are searched for ``*.md`` whose front matter
    says ``type: slides``; a file named explicitly is taken as a deck. A ``*.md`` in a
    folder that is not a regular file (a FIFO, a device, a dangling link) is yielded too,
    so that reading it gives its error rather than a silent skip or a hang."""
    for given in paths:
        p = Path(given)
        if p.is_dir():
            for md in sorted(p.rglob("*.md")):
                try:
                    regular = stat.S_ISREG(md.stat().st_mode)
                except OSError:
                    regular = False
                if not regular or not only_marked or looks_like_deck(md):
                    yield md
        else:
            yield p


def page_type(path: Path) -> str | None:
    """Cheap check of the front matter alone (the first 4 KB of a regular file): the
    ``type:`` it says (``slides`` for a deck, ``chapter`` for a chapter page), or None."""
    try:
        fd, _ = _open_regular(str(path))
    except DeckError:
        return None
    try:
        head = _read_at_most(fd, HEAD_SIZE).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    head = head.lstrip("\ufeff").replace("\r\n", "\n")
    if not head.startswith("---"):
        return None
    found = re.search(r"(?m)^type:[ \t]*['\"]?([A-Za-z_-]+)['\"]?[ \t]*$", head)
    return found.group(1) if found else None


def looks_like_deck(path: Path) -> bool:
    """Does its front matter say ``type: slides``?"""
    return page_type(path) == "slides"
