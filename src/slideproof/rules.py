"""Rewrite rules for examples broken (or warned about) by spaCy API changes.

One rule per API change: its name and the libcst transformer that rewrites the change on
the concrete syntax tree (what each matches, what it writes and the spaCy codes it answers
are listed in docs/project/authoring.md). libcst keeps the comments, blank lines and
formatting of everything a rule does not touch, and its ``AddImportsVisitor`` adds the
imports a rewrite needs. A rule only proposes: ``fix.py`` offers a rewrite after the deck
has run with it, and imports this module (and libcst) only when a rewrite must be computed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import libcst as cst


@dataclass
class Context:
    """What a rule may need to know about the rest of the deck."""

    functions: set[str] = field(default_factory=set)  # names defined with ``def`` in the deck
    phrase_matchers: set[str] = field(default_factory=set)  # names bound to PhraseMatcher(...)
    matchers: set[str] = field(default_factory=set)  # bound to any matcher (Matcher(...), …)
    # (module, name) of each import the rewrite needs, filled by the transformers
    imports: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True)
class Rule:
    name: str
    # Text the code must hold for the rule to change anything (the API it rewrites): code
    # without any is never parsed, which keeps a check of a large course quick.
    needles: tuple[str, ...]
    transformer: Callable[[Context], cst.CSTTransformer]

    def may_apply(self, code: str) -> bool:
        return any(needle in code for needle in self.needles)


def _source(node: cst.CSTNode) -> str:
    """The Python source of ``node``, as written."""
    return cst.Module(body=[]).code_for_node(node)


def _expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def _positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def _keywords(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is not None]


def _keyword(arg: cst.Arg) -> str:
    """The name of a keyword argument ('' for a positional one)."""
    return arg.keyword.value if arg.keyword else ""


def _method(call: cst.Call, name: str) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == name


def _method_call(node: cst.CSTNode | None, name: str) -> cst.Call | None:
    """``node`` if it is a call of a method called ``name``."""
    return node if isinstance(node, cst.Call) and _method(node, name) else None


def _alone(line: cst.CSTNode, kind: type | tuple[type, ...]):
    """The one statement on a simple line, if it is of ``kind`` (else None)."""
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(
            line.body[0], kind):
        return line.body[0]
    return None


class _Collect(cst.CSTVisitor):
    def __init__(self, kind: type, where: Callable[[Any], bool]):
        self.kind, self.where = kind, where
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, self.kind) and self.where(node):
            self.found.append(node)
        return True


def _every(tree: cst.CSTNode, kind: type, where: Callable[[Any], bool] = lambda _: True
           ) -> list:
    """Every node of ``kind`` in ``tree`` that ``where`` accepts, in source order. (Not
    libcst's matchers: importing them takes a quarter of a second, most of what a check's
    search for fixes costs before it has rewritten anything.)"""
    collect = _Collect(kind, where)
    tree.visit(collect)
    return collect.found


def _clean(args: list[cst.Arg]) -> list[cst.Arg]:
    """Arguments re-joined by libcst's default commas (the last one without a comma)."""
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def _move_comments(body: list, index: int) -> list:
    """Remove statement ``index`` of a suite, handing its comment lines to the next one."""
    removed = body[index]
    comments = [line for line in removed.leading_lines if line.comment is not None]
    body = list(body[:index]) + list(body[index + 1:])
    if comments and index < len(body):
        nxt = body[index]
        body[index] = nxt.with_changes(leading_lines=[*comments, *nxt.leading_lines])
    return body


# -- create_pipe + add_pipe -----------------------------------------------------------------
class _CreatePipe(cst.CSTTransformer):
    def __init__(self, ctx: Context):
        self.ctx = ctx

    @staticmethod
    def _add_pipe_from(create: cst.Call, add: cst.Call) -> cst.Call:
        receiver = add.func
        pos = _positional(create)
        args = [pos[0]]
        config = pos[1].value if len(pos) > 1 else next(
            (a.value for a in _keywords(create) if _keyword(a) == "config"), None)
        if config is not None:
            args.append(_kw("config", config))
        rest = _positional(add)[1:]
        # spaCy 2's add_pipe(component, name, before, after, first, last) positionally.
        names = ("name", "before", "after", "first", "last")
        args += [_kw(name, a.value) for name, a in zip(names, rest)]
        args += _keywords(add)
        return add.with_changes(func=receiver, args=_clean(args))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        pos = _positional(updated)
        create = _method_call(pos[0].value, "create_pipe") if pos else None
        if _method(updated, "add_pipe") and create and _positional(create):
            return self._add_pipe_from(create, updated)
        return updated

    def _suite(self, body) -> list:
        body = list(body)
        i = 0
        while i < len(body):
            stmt = body[i]
            assign = _alone(stmt, cst.Assign)
            create = _method_call(assign.value, "create_pipe") if assign else None
            if assign and create and _positional(create) and len(assign.targets) == 1 \
                    and isinstance(assign.targets[0].target, cst.Name):
                var = assign.targets[0].target.value
                for j in range(i + 1, len(body)):
                    line = _alone(body[j], cst.Expr)
                    add = _method_call(line.value, "add_pipe") if line else None
                    if add and add.args and add.args[0].keyword is None and isinstance(
                            add.args[0].value, cst.Name) and add.args[0].value.value == var:
                        new = self._add_pipe_from(create, add)
                        assign = stmt.body[0].with_changes(value=new)
                        stmt = stmt.with_changes(body=[assign])
                        if body[j].trailing_whitespace.comment and \
                                not stmt.trailing_whitespace.comment:
                            # the add_pipe line goes away; its comment stays, on the new line
                            stmt = stmt.with_changes(
                                trailing_whitespace=body[j].trailing_whitespace)
                        body[i] = stmt
                        body = _move_comments(body, j)
                        break
            i += 1
        return body

    def leave_Module(self, original, updated):
        return updated.with_changes(body=self._suite(updated.body))

    def leave_IndentedBlock(self, original, updated):
        return updated.with_changes(body=self._suite(updated.body))


# -- add_pipe(function) ----------------------------------------------------------------------
class _FunctionComponent(cst.CSTTransformer):
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.local: set[str] = set()
        self.decorate: set[str] = set()

    def visit_Module(self, node: cst.Module) -> None:
        self.local = {s.name.value for s in node.body if isinstance(s, cst.FunctionDef)}

    def _component(self, call: cst.Call) -> str | None:
        pos = _positional(call)
        if _method(call, "add_pipe") and pos and isinstance(pos[0].value, cst.Name) \
                and pos[0].value.value in self.ctx.functions | self.local:
            return pos[0].value.value
        return None

    def leave_Call(self, original, updated):
        name = self._component(updated)
        if name is None:
            return updated
        self.ctx.imports.add(("spacy.language", "Language"))
        args = [cst.Arg(cst.SimpleString(f'"{name}"')), *list(updated.args[1:])]
        if name in self.local:
            self.decorate.add(name)
        return updated.with_changes(args=_clean(args))

    def leave_SimpleStatementLine(self, original, updated):
        calls = _every(original, cst.Call, lambda call: _method(call, "add_pipe"))
        names = [n for n in (self._component(c) for c in calls)
                 if n is not None and n not in self.local]
        if not names:
            return updated
        register = [cst.parse_statement(f'Language.component("{n}", func={n})') for n in names]
        register[0] = register[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel([*register, updated.with_changes(leading_lines=[])])

    def leave_Module(self, original, updated):
        body = []
        for stmt in updated.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in self.decorate and not any(
                    _every(d, cst.Attribute, lambda a: a.attr.value == "component")
                    for d in stmt.decorators):
                stmt = stmt.with_changes(decorators=[cst.Decorator(
                    _expr(f'Language.component("{stmt.name.value}")')), *stmt.decorators])
            body.append(stmt)
        return updated.with_changes(body=body)


# -- renamed methods --------------------------------------------------------------------------
class _BeginTraining(cst.CSTTransformer):
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def leave_Call(self, original, updated):
        if _method(updated, "begin_training"):
            return updated.with_changes(func=updated.func.with_changes(
                attr=cst.Name("initialize")))
        return updated


class _DisablePipes(cst.CSTTransformer):
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def leave_Call(self, original, updated):
        if not _method(updated, "disable_pipes") or _keywords(updated):
            return updated
        args = list(updated.args)
        if len(args) == 1 and args[0].star in ("*", "") and not isinstance(
                args[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            value = args[0].value  # disable_pipes(*names) / (names)
        elif args and not any(a.star for a in args):
            value = cst.List([cst.Element(a.value) for a in args])
        else:
            return updated
        return updated.with_changes(func=updated.func.with_changes(attr=cst.Name("select_pipes")),
                                    args=[_kw("disable", value)])


class _Update(cst.CSTTransformer):
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def leave_Call(self, original, updated):
        pos = _positional(updated)
        if not _method(updated, "update") or len(pos) < 2 or any(a.star for a in updated.args):
            return updated
        nlp = _source(updated.func.value)
        texts, annotations = pos[0].value, pos[1].value
        if isinstance(texts, cst.List) and isinstance(annotations, cst.List) and \
                len(texts.elements) == len(annotations.elements) and not any(
                    isinstance(e, cst.StarredElement)
                    for e in (*texts.elements, *annotations.elements)):
            pairs = ", ".join(f"Example.from_dict({nlp}.make_doc({_source(t.value)}), "
                              f"{_source(a.value)})"
                              for t, a in zip(texts.elements, annotations.elements))
            examples = _expr(f"[{pairs}]")
        else:
            examples = _expr(f"[Example.from_dict({nlp}.make_doc(t), a) for t, a in "
                             f"zip({_source(texts)}, {_source(annotations)})]")
        # spaCy 2's update(docs, golds, drop, sgd, losses) positionally.
        rest = [_kw(name, a.value) for name, a in zip(("drop", "sgd", "losses"), pos[2:])]
        self.ctx.imports.add(("spacy.training", "Example"))
        return updated.with_changes(args=_clean([cst.Arg(examples), *rest,
                                                 *_keywords(updated)]))


class _Minibatch(cst.CSTTransformer):
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def leave_Call(self, original, updated):
        named = (isinstance(updated.func, cst.Name) and updated.func.value == "minibatch") \
            or _method(updated, "minibatch")
        if not named or len(_positional(updated)) != 1 or len(updated.args) != 1:
            return updated
        return updated.with_changes(args=_clean([*updated.args, _kw("size", cst.Integer("8"))]))


class _MatcherAdd(cst.CSTTransformer):
    """``add(key, callback_or_None, *patterns)`` → ``add(key, [patterns], on_match=callback)``;
    ``phrase`` selects receivers bound to a PhraseMatcher (a modernisation) or the others."""

    def __init__(self, ctx: Context, phrase: bool):
        self.ctx = ctx
        self.phrase = phrase

    def leave_Call(self, original, updated):
        if not _method(updated, "add") or _keywords(updated) or len(updated.args) < 3:
            return updated
        receiver = _source(updated.func.value)
        if (receiver in self.ctx.phrase_matchers) != self.phrase:
            return updated
        key, callback, *patterns = updated.args
        if key.star or callback.star:
            return updated
        if len(patterns) == 1 and patterns[0].star == "*":
            listed = patterns[0].value
        else:
            listed = cst.List([cst.StarredElement(p.value) if p.star else cst.Element(p.value)
                               for p in patterns])
        args = [key, cst.Arg(listed)]
        if not (isinstance(callback.value, cst.Name) and callback.value.value == "None"):
            args.append(_kw("on_match", callback.value))
        return updated.with_changes(args=_clean(args))


MATCHERS = ("Matcher", "PhraseMatcher", "DependencyMatcher")


class _MatcherPipe(cst.CSTTransformer):
    """``matcher.pipe(docs, …)`` on a matcher of the deck, which spaCy 3 deprecates (W105):
    call the matcher on each Doc. spaCy 2 yielded each doc after matching it, ``(doc,
    matches)`` with ``return_matches=True``, and with ``as_tuples=True`` took and gave
    ``(doc, context)`` pairs. A ``for`` loop over it becomes a loop over the docs that calls
    the matcher first; elsewhere a generator gives what ``pipe`` gave."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.loops: set[int] = set()  # the pipe calls a for loop iterates over

    def visit_For(self, node) -> None:
        self.loops.add(id(node.iter))

    def _pipe(self, call) -> tuple[str, str, bool, bool] | None:
        """(matcher, docs, return_matches, as_tuples) of a matcher's pipe call."""
        call = _method_call(call, "pipe")
        if call is None:
            return None
        receiver = _source(cast(cst.Attribute, call.func).value)  # a method: checked above
        pos = _positional(call)
        if receiver not in self.ctx.matchers or len(pos) != 1 or any(a.star for a in call.args):
            return None
        flags = {}
        for arg in _keywords(call):
            name = _keyword(arg)
            if name in ("batch_size", "n_threads"):
                continue  # how to batch, not what comes out
            if name not in ("return_matches", "as_tuples") or not isinstance(
                    arg.value, cst.Name) or arg.value.value not in ("True", "False"):
                return None
            flags[name] = arg.value.value == "True"
        return (receiver, _source(pos[0].value), flags.get("return_matches", False),
                flags.get("as_tuples", False))

    def leave_For(self, original, updated):
        found = self._pipe(updated.iter)
        if found is None:
            return updated
        matcher, docs, matches, tuples = found
        target = updated.target
        names = [_source(e.value) for e in target.elements] if isinstance(
            target, (cst.Tuple, cst.List)) else [_source(target)]
        if tuples:  # for (doc, matches), context / for doc, context
            if len(names) != 2:
                return updated
            first, context = target.elements[0].value, names[1]
            inner = [_source(e.value) for e in first.elements] if isinstance(
                first, (cst.Tuple, cst.List)) else [_source(first)]
            loop = f"{inner[0]}, {context}"
        else:
            inner, loop = names, names[0]
        if len(inner) != (2 if matches else 1) or not all(n.isidentifier() for n in inner):
            return updated
        call = f"{matcher}({inner[0]})"
        first_line = f"{inner[1]} = {call}" if matches else call
        statement = cst.parse_statement(first_line + "\n")
        body = updated.body
        if isinstance(body, cst.IndentedBlock):
            body = body.with_changes(body=[statement, *body.body])
        else:
            # a one-line loop: the new line joins its simple statements
            body = body.with_changes(body=[cast(cst.SimpleStatementLine, statement).body[0],
                                           *body.body])
        plain = not tuples and not matches
        return updated.with_changes(target=target if plain else _expr(loop), iter=_expr(docs),
                                    body=body)

    def leave_Call(self, original, updated):
        found = None if id(original) in self.loops else self._pipe(updated)
        if found is None:
            return updated
        matcher, docs, matches, tuples = found
        if not matches:  # it gave the docs back after matching them: only a loop says so
            return updated
        if tuples:
            return _expr(f"(((doc, {matcher}(doc)), context) for doc, context in {docs})")
        return _expr(f"((doc, {matcher}(doc)) for doc in {docs})")


class _Merge(cst.CSTTransformer):
    ATTRS: ClassVar[dict[str, str]] = {"tag": "TAG", "lemma": "LEMMA", "ent_type": "ENT_TYPE",
                                       "label": "ENT_TYPE", "pos": "POS", "norm": "NORM"}

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def leave_SimpleStatementLine(self, original, updated):
        line = _alone(updated, cst.Expr)
        call = _method_call(line.value, "merge") if line else None
        if call is None:
            return updated
        pos, kws = _positional(call), _keywords(call)
        if any(a.star for a in call.args) or len(pos) not in (0, 2) or \
                any(_keyword(a) not in self.ATTRS for a in kws):
            return updated
        receiver = _source(cast(cst.Attribute, call.func).value)
        attrs = ", ".join(f'"{self.ATTRS[_keyword(a)]}": {_source(a.value)}' for a in kws)
        attrs = f", attrs={{{attrs}}}" if attrs else ""
        if pos:  # doc.merge(start_char, end_char, ...)
            target = f"{receiver}.char_span({_source(pos[0].value)}, {_source(pos[1].value)})"
            doc = receiver
        else:  # span.merge(...)
            target, doc = receiver, f"{receiver}.doc"
        new = cst.parse_statement(f"with {doc}.retokenize() as retokenizer:\n"
                                  f"    retokenizer.merge({target}{attrs})\n")
        return new.with_changes(leading_lines=updated.leading_lines)


class _Gold(cst.CSTTransformer):
    RENAMED: ClassVar[dict[str, str]] = {"biluo_tags_from_offsets": "offsets_to_biluo_tags",
               "offsets_from_biluo_tags": "biluo_tags_to_offsets",
               "spans_from_biluo_tags": "biluo_tags_to_spans"}

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.renamed: set[str] = set()

    def leave_ImportFrom(self, original, updated):
        if original.module is None or _source(original.module) != "spacy.gold" or \
                isinstance(updated.names, cst.ImportStar):
            return updated
        names = []
        for alias in updated.names:
            old = alias.name.value if isinstance(alias.name, cst.Name) else None
            if old in self.RENAMED:
                if alias.asname is None:
                    self.renamed.add(old)
                alias = alias.with_changes(name=cst.Name(self.RENAMED[old]))
            names.append(alias)
        return updated.with_changes(module=_expr("spacy.training"), names=names)

    def leave_Attribute(self, original, updated):
        if _source(updated) == "spacy.gold":
            return _expr("spacy.training")
        return updated

    def leave_Name(self, original, updated):
        if updated.value in self.renamed:
            return updated.with_changes(value=self.RENAMED[updated.value])
        return updated

    def leave_Module(self, original, updated):
        # Names imported before this transformer knew they were renamed (they all come after
        # the import in practice, but a second pass makes the order irrelevant).
        if not self.renamed:
            return updated
        return updated.visit(_Renamer({k: v for k, v in self.RENAMED.items()
                                       if k in self.renamed}))


class _Renamer(cst.CSTTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def leave_Name(self, original, updated):
        return updated.with_changes(value=self.names.get(updated.value, updated.value))


class _HasAnnotation(cst.CSTTransformer):
    PROPS: ClassVar[dict[str, str]] = {"is_tagged": "TAG", "is_parsed": "DEP",
                                       "is_nered": "ENT_IOB", "is_sentenced": "SENT_START"}

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def leave_Attribute(self, original, updated):
        if updated.attr.value in self.PROPS:
            return cst.Call(func=updated.with_changes(attr=cst.Name("has_annotation")),
                            args=[cst.Arg(cst.SimpleString(f'"{self.PROPS[updated.attr.value]}"'))])
        return updated


RULES: tuple[Rule, ...] = (
    Rule("create-pipe", ("create_pipe",), _CreatePipe),
    Rule("function-component", ("add_pipe",), _FunctionComponent),
    Rule("begin-training", ("begin_training",), _BeginTraining),
    Rule("disable-pipes", ("disable_pipes",), _DisablePipes),
    Rule("update-examples", (".update(",), _Update),
    Rule("minibatch-size", ("minibatch",), _Minibatch),
    Rule("matcher-add", (".add(",), lambda ctx: _MatcherAdd(ctx, phrase=False)),
    Rule("phrasematcher-add", (".add(",), lambda ctx: _MatcherAdd(ctx, phrase=True)),
    Rule("matcher-pipe", (".pipe(",), _MatcherPipe),
    Rule("merge-retokenize", (".merge(",), _Merge),
    Rule("gold-training", ("spacy.gold",), _Gold),
    Rule("has-annotation", tuple(_HasAnnotation.PROPS), _HasAnnotation),
)


def deck_context(codes: list[str]) -> Context:
    """What the deck's code defines up to a block (``codes``: the blocks so far, in order):
    its functions, and the names whose latest binding is a PhraseMatcher."""
    ctx = Context()
    bound: dict[str, str] = {}
    for code in codes:
        module = _parsed(code)
        if module is None:
            continue
        ctx.functions |= {f.name.value for f in _every(module, cst.FunctionDef)}
        for assign in _every(module, cst.Assign, lambda a: isinstance(a.value, cst.Call)):
            func = assign.value.func  # (in source order)
            name = func.value if isinstance(func, cst.Name) else (
                func.attr.value if isinstance(func, cst.Attribute) else "")
            bound.update((_source(t.target), name) for t in assign.targets)
    ctx.phrase_matchers = {n for n, kind in bound.items() if kind == "PhraseMatcher"}
    ctx.matchers = {n for n, kind in bound.items() if kind in MATCHERS}
    return ctx


def _import_line(line: cst.CSTNode) -> bool:
    return _alone(line, (cst.Import, cst.ImportFrom)) is not None


def _docstring(line: cst.CSTNode) -> bool:
    expr = _alone(line, cst.Expr)
    return expr is not None and isinstance(expr.value, cst.SimpleString)


def _add_imports(module: cst.Module, imports: set[tuple[str, str]]) -> cst.Module:
    """``module`` with the imports it lacks (``from SOURCE import NAME``) added the way libcst's
    AddImportsVisitor adds them: joined to the first import from the same module among those
    the block starts with, else in a statement of their own after them, followed by an empty
    line. Not that visitor itself: making one inspects every method of its class, twice, which
    took most of the time of a course's rewrites."""
    if not imports:
        return module
    module = _comment_with_its_statement(module)
    body = list(module.body)
    start = 1 if body and _docstring(body[0]) else 0
    end = start
    while end < len(body) and _import_line(body[end]):
        end += 1
    leading = [(i, found) for i in range(start, end)
               if isinstance(found := cast(cst.SimpleStatementLine, body[i]).body[0],
                             cst.ImportFrom) and _from_module(found) is not None]
    wanted = _missing(imports, [found for _, found in leading])
    for i, found in leading:  # joined to the first import from the same module
        names = wanted.pop(_from_module(found) or "", None)
        if names and not isinstance(found.names, cst.ImportStar):
            added = [cst.ImportAlias(name=cst.Name(n)) for n in sorted(names)]
            joined = found.with_changes(names=[*added, *found.names])
            body[i] = cast(cst.SimpleStatementLine, body[i]).with_changes(body=[joined])
    if not wanted:
        return module.with_changes(body=body)
    statements = [cst.parse_statement(f"from {source} import {', '.join(sorted(names))}",
                                      config=module.config_for_parsing)
                  for source, names in sorted(wanted.items())]
    return module.with_changes(body=[*body[:end], *statements, *_after_a_gap(body[end:])])


def _comment_with_its_statement(module: cst.Module) -> cst.Module:
    """The block's opening comment describes its first statement: it moves with it, below
    the imports added before that statement."""
    if not module.header or not module.body or _import_line(module.body[0]):
        return module
    first = module.body[0]
    return module.with_changes(header=[], body=[
        first.with_changes(leading_lines=[*module.header, *first.leading_lines]),
        *module.body[1:]])


def _missing(imports: set[tuple[str, str]], present: list[cst.ImportFrom]
             ) -> dict[str, set[str]]:
    """Module → the names of ``imports`` that ``present`` does not import already (as
    themselves, or with ``*``)."""
    wanted: dict[str, set[str]] = {}
    for source, name in imports:
        wanted.setdefault(source, set()).add(name)
    for found in present:
        have = wanted.get(_from_module(found) or "")
        if have is not None:
            have -= (set(have) if isinstance(found.names, cst.ImportStar)
                     else {_source(a.name) for a in found.names if a.asname is None})
    return {source: names for source, names in wanted.items() if names}


def _after_a_gap(statements: list) -> list:
    """``statements`` starting with an empty line (unless they do already)."""
    if statements and (not statements[0].leading_lines
                       or statements[0].leading_lines[0].comment is not None):
        statements = [statements[0].with_changes(
            leading_lines=[cst.EmptyLine(), *statements[0].leading_lines]), *statements[1:]]
    return statements


def _from_module(statement: cst.ImportFrom) -> str | None:
    """``a.b`` for ``from a.b import …``; None for a relative import."""
    return None if statement.relative or not statement.module else _source(statement.module)


def may_apply(code: str, rules: tuple[Rule, ...] = RULES) -> bool:
    """Whether any rule could change ``code`` (without parsing it)."""
    return any(rule.may_apply(code) for rule in rules)


@functools.lru_cache(maxsize=1024)
def _parsed(code: str) -> cst.Module | None:
    """``code`` parsed (libcst's trees are immutable: a deck's blocks are parsed once for the
    context of every block after them); None if it is not Python 3 libcst can read."""
    try:
        return cst.parse_module(code)
    except (cst.ParserSyntaxError, RecursionError):
        return None


def rewrite(code: str, ctx: Context, rules: tuple[Rule, ...] = RULES) -> tuple[str, list[Rule]]:
    """Apply every rule that matches ``code``; return the new code and the rules used.
    Code libcst cannot parse (not Python 3) is returned unchanged."""
    rules = tuple(rule for rule in rules if rule.may_apply(code))
    module = _parsed(code) if rules else None
    if module is None:
        return code, []
    used: list[Rule] = []
    imports: set[tuple[str, str]] = set()
    for rule in rules:
        before = module.code
        ctx.imports = set()
        try:
            changed = module.visit(rule.transformer(ctx))
        except (cst.CSTValidationError, cst.ParserSyntaxError, TypeError, ValueError,
                AttributeError, RecursionError):
            continue  # a rule that cannot handle this code proposes nothing
        if changed.code != before:
            module, used = changed, [*used, rule]
            imports |= ctx.imports  # only a rule that changed the code needs its imports
    return _add_imports(module, imports).code, used
