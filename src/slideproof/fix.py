"""Verified fixes: rewrite failing (or warning) blocks with ``rules`` and offer a rewrite only
after the deck has run with it.

A rewritten deck runs through the same ``Verifier`` as ``check`` (same options, sandbox,
session semantics and cache), so a proposal costs one deck run, cached like a check. A
rewrite is kept when its block then runs (passed, or output-differs) and no other block of
the deck gets worse than it was; blocks that pass cleanly and ``{raises=…}`` blocks are never
rewritten. Rounds repeat because a repaired block can let a later block run (and fail on
another API change).

A rewrite that removes the block's spaCy problem, after which the block stops only on its
context (a name the deck never defines, a model, package or pipeline component this
machine lacks), is kept as a *partial* fix: it fixes the spaCy 3 API, and says what the
block still needs. It is offered apart from the verified ones, and never makes a block worse.

A module spaCy 3 moved (``spacy.gold``) fails to import like any submodule missing from an
installed package: the block is failed (a broken example), not unverified (which is kept for
what this machine lacks), so it is fixable like any failure.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import judge
from .atomic import write_atomic
from .deck import Block, Deck, decode
from .errors import Errors
from .exercise import Exercise, ExerciseRun, GeneralRun
from .judge import BlockResult, DeckResult, used_names
from .verify import Verifier

REPAIR, MODERNISATION = "repair", "modernisation"  # a fix of a failing block; of a warning
MAX_ROUNDS = 4
_BADNESS = {judge.PASSED: 0, judge.EXPECTED_ERROR: 0, judge.SKIPPED: 0,
            judge.OUTPUT_DIFFERS: 1, judge.DEPRECATED: 2, judge.UNVERIFIED: 3}
OUTCOMES = {judge.PASSED: "now passes", judge.OUTPUT_DIFFERS: "now runs, output differs"}
PARTIAL = "partial"  # the outcome of a fix after which the block stops only on its context


def _badness(status: str) -> int:
    known = judge.Status.of(status)
    return _BADNESS.get(known, 4) if known else 4


def _warned(r: BlockResult) -> int:
    return sum(1 for w in r.warnings if w.get("code") or w.get("deprecation"))


def fixable(r: BlockResult) -> bool:
    """Failing or warning blocks; never a clean pass, a declared raise, or a block that did
    not run for reasons a rewrite cannot address (blocked, skipped, missing model, killed)."""
    if r.block.attrs.get("raises") or r.block.file:  # (another file's code: an exercise's test)
        return False
    if r.status in (judge.FAILED, judge.DEPRECATED):
        return True
    return r.status in (judge.PASSED, judge.OUTPUT_DIFFERS) and _warned(r) > 0


def improved(old: BlockResult, new: BlockResult) -> bool:
    if new.status not in OUTCOMES or (new.status == judge.OUTPUT_DIFFERS
                                      and old.status == judge.PASSED):
        return False
    return (_badness(new.status), _warned(new)) < (_badness(old.status), _warned(old))


def _problem(r: BlockResult) -> tuple:
    """What stopped a block (its exception, without the parts that vary from run to run)."""
    error = r.error or {}
    message = re.sub(r"0x[0-9a-f]+", "0x", error.get("message") or "")
    return error.get("type"), error.get("code"), error.get("name"), message


def _warning_codes(r: BlockResult) -> set:
    return {w.get("code") or w.get("message") for w in r.warnings
            if w.get("code") or w.get("deprecation")}


def still_needs(old: BlockResult, new: BlockResult, original: str,
                defined: set[str]) -> str | None:
    """What a rewritten block still needs, if the rewrite is a partial fix: it removed the
    block's spaCy problem (its error, or the warnings the rules answer) and the block now
    stops only on its context. A name the block never used (one the rewrite brought in)
    is not context, nor is the same stop before and after (the rewritten code never ran)."""
    needs = judge.needed_context(new, defined)
    if needs is None or (new.error or {}).get("name") not in (None, *used_names(original)):
        return None
    if _badness(new.status) > _badness(old.status):
        return None
    if _problem(new) != _problem(old):  # the old error is gone; this one is context
        return needs
    # the same stop: partial only if the spaCy warnings the rewrite answers are gone
    return needs if _warning_codes(new) < _warning_codes(old) else None


def cause(r: BlockResult) -> str:
    """What was wrong, as the author saw it: the spaCy code first, else the exception."""
    if r.error and r.status in (judge.FAILED, judge.UNVERIFIED):
        code = f"[{r.error['code']}] " if r.error.get("code") else ""
        message = (r.error.get("message") or "").split("\n")[0]
        if code and message.startswith(code.strip()):
            message = message[len(code.strip()):].strip()
        if len(message) > 100:
            message = message[:100].rsplit(" ", 1)[0] + " …"
        return f"{code}{r.error.get('type', 'Error')}: {message}"
    codes = sorted({w["code"] for w in r.warnings if w.get("code")})
    return ("warning " + ", ".join(codes)) if codes else r.status


@dataclass
class Fix:
    block: Block
    code: str
    rules: list[str]  # the names of the rules that rewrote it
    before: BlockResult
    after: BlockResult
    needs: str | None = None  # a partial fix: what the block still needs (its context)

    @property
    def kind(self) -> str:
        return REPAIR if self.before.status in (judge.FAILED, judge.UNVERIFIED) \
            else MODERNISATION

    @property
    def partial(self) -> bool:
        return self.needs is not None

    @property
    def outcome(self) -> str:
        return PARTIAL if self.partial else OUTCOMES[self.after.status]

    @property
    def said(self) -> str:
        """The outcome as the diff and the served view say it."""
        return Errors.SP310.format(needs=self.needs) if self.partial else self.outcome


@dataclass
class DeckFix:
    result: DeckResult  # the deck as written
    fixes: list[Fix] = field(default_factory=list)
    after: DeckResult | None = None  # the deck with every fix applied
    # python block index → (rule names, result, why it cannot be verified or None) of a
    # rewrite that ran and was not offered
    tried: dict[int, tuple[list[str], BlockResult, str | None]] = field(
        default_factory=dict)


def variant(deck: Deck, codes: dict[int, str]) -> Deck:
    """The deck with the python blocks at these indexes (in ``python_blocks`` order) replaced."""
    new = copy.deepcopy(deck)
    for index, block in enumerate(new.python_blocks):
        if index in codes:
            block.code = codes[index]
    return new


@functools.cache
def _rules_source() -> str:
    """The rules' own source, by its hash: a change to any rule re-computes every rewrite."""
    return hashlib.sha256(Path(__file__).with_name("rules.py").read_bytes()).hexdigest()


# Rewrites computed in this process (key → code, rule names): ``prepare`` fills it while the
# runner starts, also where the cache is off.
_REWRITES: dict[str, tuple[str, list[str]]] = {}


def prepare(verifier: Verifier, decks: list[Deck]) -> None:
    """Compute the rules' rewrites of every block a rule could change, before the decks have
    run: meant for a thread while the runner imports spaCy (a core the check would leave
    idle), so that the search for fixes after the run finds them ready."""
    for deck in decks:
        codes = [b.code for b in deck.python_blocks]
        for index in range(len(codes)):
            _rewrite(verifier, codes, index)


def _rewrite(verifier: Verifier, codes: list[str], index: int) -> tuple[str, list[str]]:
    """The rules' rewrite of block ``index`` in the context of the blocks up to it, and the
    names of the rules used. It depends on that code and on the rules alone, so it is kept
    in the cache: a check of an unchanged course neither parses its failing blocks again
    nor imports libcst."""
    key = hashlib.sha256(json.dumps(["rewrite", _rules_source(), codes[:index + 1]])
                         .encode()).hexdigest()
    if key in _REWRITES:
        return _REWRITES[key]
    known = verifier.cache.recall(key)
    if isinstance(known, dict) and isinstance(known.get("code"), str) and isinstance(
            known.get("rules"), list) and all(isinstance(n, str) for n in known["rules"]):
        return known["code"], known["rules"]
    from . import rules  # libcst, imported only when a rewrite is computed

    code, names = codes[index], []
    if rules.may_apply(code):  # else none of the APIs the rules rewrite is there
        code, used = rules.rewrite(code, rules.deck_context(codes[:index + 1]))
        names = [rule.name for rule in used]
    verifier.cache.remember(key, {"code": code, "rules": names})
    _REWRITES[key] = (code, names)
    return code, names


@dataclass
class _Search:
    """The search for one deck's fixes, round after round: the rewrites accepted so far (and
    the partial ones among them), the ones rejected, and why those that ran were not kept."""

    base: DeckResult  # the deck as written
    codes: list[str]  # its python blocks' code
    defined: set[str]  # what the deck itself defines: a name outside it is context
    current: DeckResult  # the deck with the accepted rewrites
    accepted: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    partial: dict[int, str] = field(default_factory=dict)  # index → what it still needs
    rejected: set[tuple[int, str]] = field(default_factory=set)
    tried: dict[int, tuple[list[str], BlockResult, str | None]] = field(default_factory=dict)
    rounds: int = 0  # trials run (or running) so far

    @classmethod
    def of(cls, result: DeckResult) -> _Search:
        codes = [b.code for b in result.deck.python_blocks]
        defined = set().union(judge.defined_names(result.deck.setup_code or ""),
                              *(judge.defined_names(code) for code in codes))
        return cls(result, codes, defined, result)

    def rewrites(self, verifier: Verifier) -> dict[int, tuple[str, list[str]]]:
        """The rewrites to try this round: of each fixable block not fixed yet, unless the
        same rewrite was rejected before."""
        found = {}
        for index, r in enumerate(self.current.blocks):
            if index in self.accepted or not fixable(r):
                continue
            code, used = _rewrite(verifier, self.codes, index)
            if used and (index, code) not in self.rejected:
                found[index] = (code, used)
        return found

    def trial(self, tries: dict[int, tuple[str, list[str]]]) -> Deck:
        """The deck with the accepted rewrites and ``tries``."""
        codes = {i: c for i, (c, _) in self.accepted.items()}
        codes.update({i: c for i, (c, _) in tries.items()})
        return variant(self.base.deck, codes)

    def weigh(self, tries: dict[int, tuple[str, list[str]]], trial: DeckResult) -> None:
        """Keep this round's rewrites if each made its block run (or a partial fix) and no
        other block got worse; else drop what did not run (or everything, if another block
        got worse): what ran is tried again without the others in the next round."""
        good = {i for i in tries if improved(self.current.blocks[i], trial.blocks[i])}
        partial = {i: needs for i in set(tries) - good if (needs := still_needs(
            self.current.blocks[i], trial.blocks[i], self.codes[i], self.defined))}
        fine = not trial.error and all(
            _badness(new.status) <= _badness(old.status)
            for i, (old, new) in enumerate(zip(self.base.blocks, trial.blocks))
            if i not in tries and i not in self.accepted)
        if good | set(partial) == set(tries) and fine:
            self.accepted.update(tries)
            self.partial.update(partial)
            self.current = trial
            return
        drop = set(tries) if not fine else set(tries) - good - set(partial)
        self.rejected |= {(i, tries[i][0]) for i in drop}
        for i in drop:
            self.tried[i] = (tries[i][1], trial.blocks[i], _unverifiable(
                self.current.blocks[i], trial.blocks[i], tries[i][1], self.defined))

    def deck_fix(self) -> DeckFix | None:
        """What the search found: the accepted fixes, and the rewrites that ran and were not
        kept; None if neither."""
        fixes = [Fix(self.base.blocks[i].block, code, used, self.base.blocks[i],
                     self.current.blocks[i], self.partial.get(i))
                 for i, (code, used) in sorted(self.accepted.items())]
        tried = {i: t for i, t in self.tried.items() if i not in self.accepted}
        if not fixes and not tried:
            return None
        return DeckFix(self.base, fixes, self.current if fixes else None, tried)


class Search:
    """The search for fixes of many decks, each deck's round after round as the runs end:
    given as ``follow_up`` to ``Verifier.verify``, it hears of each deck's result and names
    the deck with the rewrites to try (a trial), then hears of that trial's result. The
    trials then run beside the decks still running, instead of after the last of them."""

    def __init__(self, verifier: Verifier):
        self.verifier = verifier
        self.searches: dict[str, _Search] = {}  # deck path → its search
        # id of a trial deck → (that deck, its search, the rewrites it tries)
        self.trials: dict[int, tuple[Deck, _Search, dict[int, tuple[str, list[str]]]]] = {}

    def follow_up(self, result: DeckResult) -> list[Deck]:
        """The next trial of the deck whose run (or trial) gave ``result``, if any."""
        trial = self.trials.pop(id(result.deck), None)
        if trial is not None and trial[0] is result.deck:
            _, search, tries = trial
            search.weigh(tries, result)
        elif searchable(result) and result.deck.path not in self.searches:
            search = self.searches[result.deck.path] = _Search.of(result)
        else:
            return []
        if search.rounds == MAX_ROUNDS:
            return []
        tries = search.rewrites(self.verifier)
        if not tries:
            return []
        search.rounds += 1
        deck = search.trial(tries)
        self.trials[id(deck)] = (deck, search, tries)
        return [deck]

    def found(self) -> dict[str, DeckFix]:
        """What the searches found (path → DeckFix), for the decks with any."""
        return {path: deck_fix for path, search in self.searches.items()
                if (deck_fix := search.deck_fix()) is not None}


def searchable(result: DeckResult) -> bool:
    """A deck (or an exercise's solution) that ran, with a block a rule may fix."""
    if isinstance(result.deck, GeneralRun) or (
            isinstance(result.deck, ExerciseRun) and result.deck.role != "solution"):
        return False
    return not result.error and any(fixable(r) for r in result.blocks)


def propose(verifier: Verifier, results: list[DeckResult]) -> dict[str, DeckFix]:
    """Verified fixes for every deck of ``results`` (which have run) with a fixable block a
    rule matches (path → DeckFix)."""
    search = Search(verifier)
    trials: list[Deck | Exercise] = [deck for result in results
                                     for deck in search.follow_up(result)]
    if trials:
        verifier.verify(trials, follow_up=search.follow_up)
    return search.found()


def _unverifiable(old: BlockResult, new: BlockResult, used: list[str],
                  defined: set[str]) -> str | None:
    """Why a rewrite cannot be verified, when the block stops on the same missing context
    as written and rewritten (the rewritten code never ran), or None."""
    needs = judge.needed_context(new, defined)
    if needs is None or _problem(new) != _problem(old):
        return None
    return Errors.SP314.format(needs=needs, rules=", ".join(used))


# -- the deck file: edits confined to fences -------------------------------------------------
@dataclass
class Edit:
    start: int  # first deck line replaced (1-based)
    old: list[str]  # the deck lines replaced
    new: list[str]
    note: str  # shown before the hunk


def _code_edit(block: Block, lines: list[str], code: str, note: str) -> Edit:
    """Replace the code between ``block``'s fences, keeping every unchanged line as it is
    in the file (its indentation included)."""
    old = lines[block.line:block.end_line - 1]
    old_code = block.code.split("\n") if block.code else []
    new_code = code.split("\n") if code else []
    new: list[str] = []
    matcher = difflib.SequenceMatcher(a=old_code, b=new_code, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal" and len(old) == len(old_code):
            new += old[a0:a1]
        else:
            new += [block.indent + line if line else line for line in new_code[b0:b1]]
    return Edit(block.line + 1, old, new, note)


def chosen(deck_fix: DeckFix, partial: bool = True) -> list[Fix]:
    """The fixes to offer: every one, or the verified ones only."""
    return [f for f in deck_fix.fixes if partial or not f.partial]


def renewed_outputs(deck_fix: DeckFix, partial: bool = True) -> list[BlockResult]:
    """The blocks whose output now differs from their ```out block because of the fixes:
    a fixed block, or one that did not run to its output before them (when every fix is
    applied: else it may run for a fix left out)."""
    if deck_fix.after is None:
        return []
    fixes = chosen(deck_fix, partial)
    fixed = {f.block.line for f in fixes}
    every = len(fixes) == len(deck_fix.fixes)
    return [new for old, new in zip(deck_fix.result.blocks, deck_fix.after.blocks)
            if new.block.expected is not None and new.status == judge.OUTPUT_DIFFERS and (
                new.block.line in fixed or (every and _badness(old.status) >
                                            _badness(judge.OUTPUT_DIFFERS)))]


def edits_for(deck_fix: DeckFix, lines: list[str], update_output: bool,
              partial: bool = True) -> list[Edit]:
    """The deck's edits: each fix's code and, with ``update_output``, the ```out block of
    every block whose output now differs because of the fixes, replaced by its real output."""
    edits = []
    for f in chosen(deck_fix, partial):
        note = (f"line {f.block.line}: {cause(f.before)} → {', '.join(f.rules)}"
                f" ({f.kind}): {f.said}")
        edits.append(_code_edit(f.block, lines, f.code,
                                f"partial fix, {note}" if f.partial else note))
    for r in renewed_outputs(deck_fix, partial) if update_output else []:
        expected = r.block.expected
        assert expected is not None  # renewed_outputs has only blocks with one
        edits.append(_code_edit(expected, lines, r.shown_output,
                                f"line {expected.line}: the ```out block of line "
                                f"{r.block.line}, replaced by the real output"))
    return sorted(edits, key=lambda e: e.start)


def unified(path: str, edits: list[Edit], context: int = 2) -> str:
    """One diff for the deck, with deck line numbers, each hunk preceded by its note."""
    out = [f"--- {path}", f"+++ {path}"]
    shift = 0
    for edit in edits:
        matcher = difflib.SequenceMatcher(a=edit.old, b=edit.new, autojunk=False)
        out.append(f"# {edit.note}")
        for group in matcher.get_grouped_opcodes(context):
            a0, a1 = group[0][1], group[-1][2]
            b0, b1 = group[0][3], group[-1][4]
            out.append(f"@@ -{edit.start + a0},{a1 - a0} +{edit.start + shift + b0},{b1 - b0} @@")
            for op, i0, i1, j0, j1 in group:
                if op == "equal":
                    out += [" " + line for line in edit.old[i0:i1]]
                    continue
                out += ["-" + line for line in edit.old[i0:i1]]
                out += ["+" + line for line in edit.new[j0:j1]]
        shift += len(edit.new) - len(edit.old)
    return "\n".join(out) + "\n"


def block_diff(f: Fix) -> str:
    """The diff of one block's code, with deck line numbers (for reports and the served view)."""
    lines = [""] * f.block.line + [f.block.indent + line if line else line
                                   for line in f.block.code.split("\n")]
    text = unified("", [_code_edit(f.block, lines, f.code, "")])
    return text.split("\n", 3)[3].rstrip("\n")


class FixError(Exception):
    """A deck file that cannot be rewritten safely (message carries its code)."""


def read_lines(path: str) -> tuple[list[str], bytes]:
    raw = Path(path).read_bytes()
    text = decode(raw, path)
    lines = text.split("\n")
    return lines, raw


def apply(path: str, raw: bytes, lines: list[str], edits: list[Edit]) -> None:
    """Write the deck with ``edits`` applied, atomically, keeping its BOM and line ends;
    refuse if the file changed since it was verified."""
    try:
        now = Path(path).read_bytes()
    except OSError as err:
        raise FixError(Errors.SP302.format(path=path, problem=err.strerror)) from None
    if now != raw:
        raise FixError(Errors.SP301.format(path=path))
    out = list(lines)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        index = edit.start - 1
        if out[index:index + len(edit.old)] != edit.old:
            raise FixError(Errors.SP301.format(path=path))
        out[index:index + len(edit.old)] = edit.new
    text = "\n".join(out)
    if b"\r\n" in raw:
        text = text.replace("\n", "\r\n")
    if raw.startswith(b"\xef\xbb\xbf"):
        text = "\ufeff" + text
    try:
        # Through a symbolic link to the file it names, which keeps its permissions.
        target = Path(path).resolve()
        write_atomic(target, text, mode=stat.S_IMODE(target.stat().st_mode))
    except OSError as err:
        raise FixError(Errors.SP302.format(path=path, problem=err.strerror)) from None


def attach(verifier: Verifier, results: list[DeckResult]) -> dict[str, DeckFix]:
    """Propose fixes and record each on its block (``BlockResult.fix``) for reports and pages."""
    found = propose(verifier, results)
    record(results, found)
    return found


def record(results: list[DeckResult], found: dict[str, DeckFix]) -> None:
    """Record each fix found on its block (``BlockResult.fix``) for reports and pages."""
    for result in results:
        deck_fix = found.get(result.deck.path)
        if deck_fix is None:
            continue
        by_line = {f.block.line: f for f in deck_fix.fixes}
        for r in result.blocks:
            f = by_line.get(r.block.line)
            if f is not None:
                r.fix = fix_json(f)


def fix_json(f: Fix) -> dict:
    return {"rules": list(f.rules), "kind": f.kind, "cause": cause(f.before),
            "status": f.after.status, "outcome": f.outcome, "needs": f.needs,
            "diff": block_diff(f), "output_diff": f.after.diff or None}
