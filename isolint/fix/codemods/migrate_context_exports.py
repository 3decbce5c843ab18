"""Which modules re-export the legacy class, and which of their imports others rely on.

A module that imports the legacy class at top level (``from app.state import
DeepAgentState`` in ``app/agents/__init__.py``) lets other code import that same class
object from it (``from app.agents import DeepAgentState``): such a name is the legacy class
too, however many modules it passes through, under its own name or an ``as`` name.

The other side: an import of the legacy class that another module imports from (or that a
``from module import *`` may carry along) must stay where it is, even when the module
itself no longer uses it. The scan reads only the files that name the legacy class (or a
re-exported name of it) with the standard library's parser, so it costs little next to
the migration itself; star imports are found with a regular expression over every file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_STAR_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*\*", re.MULTILINE)


@dataclass(frozen=True)
class _ImportedName:
    """``from module import name as local`` in ``importer`` (``top_level``: at module
    level, so that other modules may import ``local`` from ``importer``)."""

    importer: str
    module: str
    name: str
    local: str
    top_level: bool


@dataclass(frozen=True)
class LegacyExports:
    """``aliases``: dotted names bound to the legacy class (its own, and re-exports);
    ``imported``: dotted names ``module.name`` other project modules import from
    ``module``, and ``module.*`` for modules some code star-imports; ``origins``: for
    each alias, the legacy class's own dotted path it is bound to (several legacy
    classes of one name: the configured one and its copies)."""

    aliases: frozenset[str] = frozenset()
    imported: frozenset[str] = frozenset()
    origins: Mapping[str, str] = field(default_factory=dict)

    def local_names(self) -> frozenset[str]:
        return frozenset(alias.rpartition(".")[2] for alias in self.aliases)

    def is_imported(self, module: str, name: str) -> bool:
        """Whether other code may import ``name`` from ``module``."""
        return f"{module}.{name}" in self.imported or f"{module}.*" in self.imported


# per file: (its text, the names looked for, what it imports)
ScanCache = dict[Path, tuple[str, frozenset[str], tuple[_ImportedName, ...]]]


def scan_exports(
    sources: Mapping[Path, str],
    names: Mapping[Path, tuple[str, str]],
    legacy: Collection[str],
    class_name: str,
    cache: ScanCache | None = None,
) -> LegacyExports:
    """The legacy class's aliases and the imports other code relies on, for a project of
    ``sources`` whose module names are ``names`` (``legacy``: the dotted paths of the
    legacy classes, or empty when only their name is known: then every class of that name
    counts). ``cache`` keeps each file's scan for a later call on partly changed sources."""
    cache = {} if cache is None else cache
    origins = {path: path for path in legacy}
    wanted = frozenset({class_name})
    while True:
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(wanted))) + r")\b")
        imports: list[_ImportedName] = []
        for path, text in sources.items():
            if not any(name in text for name in wanted):
                continue  # cheaper than the pattern for the many files without the name
            known = cache.get(path)
            if known is not None and known[0] is text and _still_valid(known[1], wanted, text):
                imports += known[2]
            elif pattern.search(text):
                found = tuple(_imported_names(text, *names[path], wanted))
                cache[path] = (text, wanted, found)
                imports += found
        if not _extend_aliases(origins, imports):
            break
        more = {alias.rpartition(".")[2] for alias in origins} - wanted
        if not more:
            break
        wanted |= more  # a re-export under another name: look for that name too
    imported = {
        f"{item.module}.{item.name}"
        for item in imports
        if item.module != item.importer and _is_legacy(item.module, item.name, origins, class_name)
    }
    for path, text in sources.items():
        if "*" in text:
            package = names[path][1]
            imported.update(
                f"{_absolute(match, package)}.*" for match in _STAR_IMPORT.findall(text)
            )
    return LegacyExports(frozenset(origins), frozenset(imported), origins)


def _still_valid(scanned_for: frozenset[str], wanted: frozenset[str], text: str) -> bool:
    """A file's scan serves again unless it names one of the names looked for since
    (only its ``module.Name`` references depend on the names)."""
    new = wanted - scanned_for
    return not new or not re.search(r"\b(?:" + "|".join(map(re.escape, sorted(new))) + r")\b", text)


def _is_legacy(module: str, name: str, aliases: Mapping[str, str], class_name: str) -> bool:
    return f"{module}.{name}" in aliases or (not aliases and name == class_name)


def _extend_aliases(origins: dict[str, str], imports: Iterable[_ImportedName]) -> bool:
    """Add the re-exports of known aliases (each with its alias's origin) until none is
    new; whether any was added."""
    if not origins:
        return False  # a bare class name: every module's class of that name counts already
    added = False
    changed = True
    top_level = [item for item in imports if item.top_level]
    while changed:
        changed = False
        for item in top_level:
            alias = f"{item.importer}.{item.local}"
            source = origins.get(f"{item.module}.{item.name}")
            if alias not in origins and source is not None:
                origins[alias] = source
                added = changed = True
    return added


def _imported_names(
    text: str, module: str, package: str, wanted: frozenset[str]
) -> Iterable[_ImportedName]:
    """Every ``from m import n [as a]`` of a module, with whether it is at top level, and
    every ``m.n`` with ``n`` in ``wanted`` where ``m`` names an imported module."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    bound: dict[str, str] = {}  # local name -> the module (or module member) it names
    for node, top_level in _imports(tree.body, True):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    head = alias.name.partition(".")[0]
                    bound[head] = head
            continue
        source = _absolute("." * node.level + (node.module or ""), package)
        for alias in node.names:
            if alias.name != "*":
                local = alias.asname or alias.name
                bound[local] = f"{source}.{alias.name}"
                yield _ImportedName(module, source, alias.name, local, top_level)
    attribute = re.compile(r"\.\s*(?:" + "|".join(map(re.escape, sorted(wanted))) + r")\b")
    if not attribute.search(text):
        return
    for found in ast.walk(tree):  # ``pkg.mod.Name``: Name is imported from ``pkg.mod``
        if isinstance(found, ast.Attribute) and found.attr in wanted:
            owner = _dotted(found.value)
            if owner is not None and owner.partition(".")[0] in bound:
                head, _, rest = owner.partition(".")
                source = ".".join(filter(None, [bound[head], rest]))
                yield _ImportedName(module, source, found.attr, found.attr, False)


def _imports(
    body: list[ast.stmt], top_level: bool
) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """The import statements among ``body`` and the statements nested in it, each with
    whether it runs at module level (in ``if``/``try`` blocks, not in functions/classes)."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement, top_level
            continue
        nested = isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        inner = top_level and not nested
        for name in ("body", "orelse", "finalbody"):
            block = getattr(statement, name, None)
            if isinstance(block, list):
                yield from _imports(block, inner)
        for handler in getattr(statement, "handlers", ()):
            yield from _imports(handler.body, inner)
        for case in getattr(statement, "cases", ()):
            yield from _imports(case.body, inner)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value)
        return None if owner is None else f"{owner}.{node.attr}"
    return None


def _absolute(written: str, package: str) -> str:
    """``written`` (``..state``) as an absolute module name, from ``package``."""
    if not written.startswith("."):
        return written
    level = len(written) - len(written.lstrip("."))
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*base, written.lstrip(".")]).strip(".")
