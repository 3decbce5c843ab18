"""Callers' keyword arguments that follow a renamed parameter, without a second analysis.

Which parameters the codemod renames is known only once every file naming the legacy class
has been analysed, and the callers passing ``state=`` are partly those same files. Rather
than analysing them all again with the project's ``FunctionIndex``, the first analysis
records each keyword argument as a ``KeywordSite``: what it calls (qualified names, or the
method name on an unknown receiver), its line, and its ``slot``, the argument's place among
the keyword arguments of the rewritten module (``keyword_arguments``). ``decide_keyword``
then decides from the index alone, and ``rename_keywords`` renames the arguments of a
parsed module by slot: the same text the rewrite would have produced with the renames in
its plan. A file that only calls (it does not name the legacy class) needs no plan at all:
``scan_call_sites`` reads its calls' qualified names from libcst's scopes, the one metadata
they need.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider, QualifiedNameSource, ScopeProvider

from isolint.fix.codemods.migrate_context_plan import FunctionIndex
from isolint.fix.codemods.migrate_context_syntax import dotted


@dataclass(frozen=True)
class KeywordSite:
    """A keyword argument of a call, as the function index needs it: the called
    expression's qualified names, its method name when it is an attribute, the line of
    the argument and its slot in the rewritten module (None: not kept as it was, inside a
    rebuilt construction)."""

    keyword: str
    callee: tuple[str, ...]
    method: str | None
    line: int
    slot: int | None = None


def decide_keyword(
    keyword: str, callee: Collection[str], method: str | None, index: FunctionIndex
) -> tuple[str | None, str | None]:
    """The new name of keyword ``keyword`` of a call (None: it stays), and the problem it
    is for a person (None: none). Resolved by qualified name (a class by its
    ``__init__``); for a method on an unknown receiver, renamed when every project
    function of that name taking the keyword renamed it the same way."""
    for qualified in callee:
        for name in (qualified, f"{qualified}.__init__"):
            signature = index.by_qualname.get(name)
            if signature is not None:
                return signature.renames.get(keyword), None
    if method is None:
        return None, None
    outcomes = {
        signature.renames.get(keyword, keyword)
        for signature in index.by_name.get(method, ())
        if keyword in signature.params
    }
    if outcomes == {keyword} or not outcomes:
        return None, None
    if len(outcomes) == 1:
        return outcomes.pop(), None
    return None, (
        f"keyword `{keyword}=` of `.{method}(...)`: several project functions named "
        f"`{method}` take `{keyword}` and not all were renamed; rename it by hand"
    )


def absolute_name(name: str, source: QualifiedNameSource, module: str, package: str) -> str:
    """A qualified name libcst gives relative to ``module`` (in ``package``), absolute."""
    if source is QualifiedNameSource.LOCAL:
        return f"{module}.{name}"
    if name.startswith("."):
        level = len(name) - len(name.lstrip("."))
        parts = package.split(".") if package else []
        base = parts[: len(parts) - (level - 1)] if level > 1 else parts
        return ".".join([*base, name.lstrip(".")]).strip(".")
    return name


def method_name(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


class _KeywordCalls(cst.CSTVisitor):
    """Every call passing a keyword, in the order a visit meets them, and the module's
    plain imports."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.imports: list[cst.Import] = []

    def visit_Call(self, node: cst.Call) -> bool:
        if any(arg.keyword is not None for arg in node.args):
            self.calls.append(node)
        return True

    def visit_Import(self, node: cst.Import) -> bool:
        self.imports.append(node)
        return False


def keyword_arguments(module: cst.Module) -> list[cst.Arg]:
    """The keyword arguments of ``module``'s calls, call by call in the order of a visit:
    the numbering of slots (a module and its code parsed again number them alike)."""
    visitor = _KeywordCalls()
    module.visit(visitor)
    return [arg for call in visitor.calls for arg in call.args if arg.keyword is not None]


class _RenameKeywords(cst.CSTTransformer):
    def __init__(self, renames: Mapping[cst.Arg, str]) -> None:
        super().__init__()
        self.renames = renames

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        keyword = self.renames.get(original_node)
        if keyword is None or updated_node.keyword is None:
            return updated_node
        return updated_node.with_changes(keyword=cst.Name(keyword))


def rename_keywords(module: cst.Module, renames: Mapping[int, str]) -> cst.Module:
    """``module`` with the keyword arguments in slots ``renames`` renamed."""
    arguments = keyword_arguments(module)
    return module.visit(_RenameKeywords({arguments[slot]: name for slot, name in renames.items()}))


@dataclass
class CallerScan:
    """The keyword renames of a module that only calls, and its problems (line, reason)."""

    renames: dict[int, str]
    problems: list[tuple[int, str]]


def scan_call_sites(
    module: cst.Module,
    module_name: str,
    package: str,
    index: FunctionIndex,
    legacy_modules: Collection[str],
) -> CallerScan | None:
    """The renames the index asks of ``module``'s calls, as ``ModuleAnalysis`` would plan
    them for a module that does not name the legacy class; None when the module imports a
    legacy module (``import app.state``), which only the full analysis handles."""
    visitor = _KeywordCalls()
    module.visit(visitor)
    for statement in visitor.imports:
        if any(dotted(alias.name) in legacy_modules for alias in statement.names):
            return None
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    scan = CallerScan({}, [])
    slot = 0
    for call in visitor.calls:
        callee: tuple[str, ...] | None = None
        for arg in call.args:
            if arg.keyword is None:
                continue
            slot += 1
            if arg.keyword.value not in index.renamed_params:
                continue
            if callee is None:
                scope = scopes.get(call.func)
                names = scope.get_qualified_names_for(call.func) if scope else set()
                callee = tuple(
                    {absolute_name(q.name, q.source, module_name, package) for q in names}
                )
            new_name, problem = decide_keyword(arg.keyword.value, callee, method_name(call), index)
            if new_name is not None:
                scan.renames[slot - 1] = new_name
            if problem is not None:
                line = wrapper.resolve(PositionProvider)[arg].start.line
                scan.problems.append((line, problem))
    return scan
