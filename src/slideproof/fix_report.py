"""What ``slideproof fix`` shows and writes once the fixes are found: each deck's diff (deck
line numbers, coloured; a partial fix's note apart), the fixes applied with ``--write``, and
the summary: the verified and partial fixes by rule, what each partially fixed block still
needs, and the failing blocks no rule fixes, with why a rewrite that ran was not offered.
Whether anything is left to fix is the command's exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import fix
from .judge import BlockResult, DeckResult, Policy
from .terminal import display_path, say

if TYPE_CHECKING:
    from rich.console import Console

DIFF_STYLE = {"+": "green", "-": "red", "@": "cyan", "#": "bold yellow"}
PARTIAL_STYLE = "bold magenta"  # the note of a partial fix's hunk: not a verified one


@dataclass
class FixReport:
    """The fixes offered (or written) across the decks, by rule, and what is left."""

    write: bool  # apply the fixes to the deck files
    update_output: bool  # also replace ```out blocks the fixes renew
    with_partial: bool  # partial fixes too, not only verified ones
    verified: int = 0
    partial: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    context: list[tuple[str, str]] = field(default_factory=list)  # (deck:line, still needs)
    uncovered: list[tuple[str, str, str]] = field(default_factory=list)  # (deck:line, status, why)
    left: bool = False  # something is left to fix: a failure, a fix not written

    def add(self, result: DeckResult, deck_fix: fix.DeckFix | None, policy: Policy,
            out: Console, console: Console) -> None:
        """One deck: what still fails with the chosen fixes, then their diff on ``out``
        (written to the deck with ``write``; a deck that cannot be written is said on
        ``console``)."""
        fixes = fix.chosen(deck_fix, self.with_partial) if deck_fix else []
        self._note_failures(result, deck_fix, fixes, policy)
        if deck_fix is None or not fixes:
            return
        self.partial += sum(1 for f in fixes if f.partial)
        self.verified += sum(1 for f in fixes if not f.partial)
        self.by_rule.update(name for f in fixes for name in f.rules)
        self._offer(result.deck.path, deck_fix, out, console)

    def _note_failures(self, result: DeckResult, deck_fix: fix.DeckFix | None,
                       fixes: list[fix.Fix], policy: Policy) -> None:
        """The blocks that still fail once ``fixes`` are applied: a partially fixed one
        needs its context, another is one no rule fixes."""
        path = result.deck.path
        every = deck_fix is not None and len(fixes) == len(deck_fix.fixes)
        after = (deck_fix.after if deck_fix and every else None) or result
        fixed = {f.block.line for f in fixes}
        needs = {f.block.line: f.needs for f in fixes if f.needs is not None}
        # with --update-output an output that differs because of the fixes is not left
        renewed = {r.block.line for r in fix.renewed_outputs(deck_fix, self.with_partial)} \
            if deck_fix and self.update_output else set()
        failing = [r for r in after.blocks
                   if policy.fails(r.status) and r.block.line not in renewed]
        tried = {result.blocks[i].block.line: t for i, t in deck_fix.tried.items()} \
            if deck_fix else {}
        for r in failing:
            if r.block.line in needs:
                self.context.append((f"{path}:{r.where}", needs[r.block.line]))
            elif r.block.line not in fixed:
                self.uncovered.append((f"{path}:{r.where}", r.status,
                                       _why_not_fixed(r, tried.get(r.block.line))))
        self.left = self.left or bool(after.error or failing)

    def _offer(self, path: str, deck_fix: fix.DeckFix, out: Console, console: Console) -> None:
        """The deck's diff, and the deck rewritten with ``write`` (else it is left to fix)."""
        lines, raw = fix.read_lines(path)
        edits = fix.edits_for(deck_fix, lines, self.update_output, partial=self.with_partial)
        for line in fix.unified(display_path(path), edits).splitlines():
            style = PARTIAL_STYLE if line.startswith("# partial fix") else \
                DIFF_STYLE.get(line[:1], "")
            say(out, line, style=style)
        if not self.write:
            self.left = True
            return
        try:
            fix.apply(path, raw, lines, edits)
        except fix.FixError as err:
            say(console, f"slideproof: {err}", style="red")
            self.left = True

    def print_summary(self, console: Console, found: dict[str, fix.DeckFix],
                      decks: int) -> None:
        """How many fixes in how many of ``decks``, by rule; then what is left."""
        rules = ", ".join(f"{n} {name}" for name, n in sorted(self.by_rule.items()))
        verb = "written" if self.write else "offered"
        fixed = sum(1 for d in found.values() if fix.chosen(d, self.with_partial))
        say(console, f"{self.verified} verified fixes"
            + (f" and {self.partial} partial fixes" if self.with_partial else "")
            + f" {verb} in {fixed} of {decks} decks" + (f" (rules: {rules})" if rules else ""))
        if self.context:
            say(console, f"{len(self.context)} blocks fixed for spaCy 3 still need their "
                "context:")
            for where, need in self.context:
                say(console, f"  {where}: {need}")
        if self.uncovered:
            say(console, f"{len(self.uncovered)} failing blocks no rule fixes:")
            for where, status, message in self.uncovered:
                say(console, f"  {where} {status}: {message}")


def _why_not_fixed(r: BlockResult,
                   tried: tuple[list[str], BlockResult, str | None] | None) -> str:
    """A failing block's first message line and, if a rewrite of it ran, why it was not
    offered: what it cannot be verified without, or how the rewritten block ended."""
    why = r.message.split("\n")[0]
    if tried is None:
        return why
    rules, trial, unverifiable = tried
    if unverifiable:
        return f"{why} ({unverifiable})"
    # (a rewrite after which the block passes is not offered when another block got worse,
    # as an exercise's test may)
    after = (trial.message.splitlines() or ["another block of it got worse"])[0][:200]
    return f"{why} (rewritten by {', '.join(rules)} it was {trial.status}: {after})"
