"""Turning a file's bytes into ModuleFacts, with every failure turned into a clear error fact.

Nothing here imports or runs the analysed code. A source goes first to CPython's own parser
(``compile`` with ``PyCF_ONLY_AST``: parsed only, never compiled to bytecode or run), which
answers in milliseconds, also on input that makes libcst's native parser overflow its stack
or work for minutes. Where CPython refuses the file outright (a parser limit such as "too many
nested parentheses", a NUL byte, a recursion or memory limit), that is the file's ISO900 and
libcst never sees it. An ordinary syntax error is left for libcst to judge, since this Python
may be older than the syntax the project uses. The CPython tree also says whether libcst may
parse the file in this process (``parse_risk``): deeply nested or very large sources are
parsed in an isolated worker process instead (see ``isolint.isolation``).
"""

from __future__ import annotations

import ast
import gc
import io
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst._nodes.base import CSTNode

from isolint.analysis.facts import ModuleFacts, Span, Suppression
from isolint.analysis.module_pass import ModulePass, PassOptions, read_suppressions
from isolint.analysis.walk import walk

# Beyond these, libcst's parser may overflow the C stack or take seconds (its time grows with
# the square of the nesting): such sources are parsed only in an isolated worker process. Real
# modules stay far below (the standard library's deepest tree is 33 levels).
RISKY_DEPTH = 100
RISKY_NODES = 50_000
RISKY_BYTES = 1_000_000

# CPython's refusals that are limits of the parser rather than syntax a newer Python might
# accept: libcst is not asked about such a file (it may crash or hang on exactly these).
_PYTHON_LIMITS = (
    "too many nested parenthes",  # "parentheses", and "parenthesis" inside f-strings
    "null bytes",
    "too many levels of indentation",
    "nested too deeply",
    "too complex",
)


@dataclass(frozen=True)
class PythonVerdict:
    """What CPython's parser says about a source: a tree, a refusal, or a syntax error."""

    tree: ast.Module | None = None
    # Python cannot parse this at any version's syntax (a limit, a NUL byte): final
    refusal: tuple[str, Span | None] | None = None
    # an ordinary syntax error: libcst decides, its message is used if libcst agrees
    syntax_error: tuple[str, Span] | None = None


@dataclass(frozen=True)
class Screened:
    """A file after everything that needs no libcst: decoding, skip-file, CPython's parser.

    ``facts`` is the file's final answer when libcst is not needed (it cannot be decoded, it
    opts out, CPython refuses it); otherwise ``verdict`` holds what CPython said.
    """

    facts: ModuleFacts | None
    suppressions: list[Suppression] = field(default_factory=list)
    verdict: PythonVerdict | None = None

    def without_tree(self) -> Screened:
        if self.verdict is None or self.verdict.tree is None:
            return self
        return replace(self, verdict=replace(self.verdict, tree=None))


def analyze_source(source: bytes, options: PassOptions, *, isolated: bool = False) -> ModuleFacts:
    """The facts of one module; a file that cannot be decoded or parsed yields an error fact.

    ``isolated``: this runs in a supervised worker process, where a crash or a hang of
    libcst's parser costs this file only. CPython's parser is then asked first only about a
    source that looks hostile (``looks_hostile``), and otherwise only once libcst has failed,
    for its wording; the answer is the same, minus a CPython parse of every healthy file.
    """
    screened = screen_source(source, ask_python=not isolated or looks_hostile(source))
    if screened.facts is not None:
        return screened.facts
    # the CPython tree is not needed any more: let it go before libcst builds its own
    return analyze_screened(source, screened.without_tree(), options)


def screen_source(source: bytes, *, ask_python: bool = True) -> Screened:
    """Decode ``source``, read its suppressions and ask CPython's parser about it (unless
    not ``ask_python``: then ``verdict`` is None, and ``analyze_screened`` asks if needed)."""
    try:
        text = decode_source(source)
    except (UnicodeDecodeError, LookupError, SyntaxError) as error:
        return Screened(_error_facts(f"cannot decode: {error}", None))
    suppressions, skip_file = read_suppressions(text)
    if skip_file:
        return Screened(ModuleFacts(skip_file=True, suppressions=suppressions))
    if not ask_python:
        return Screened(None, suppressions)
    verdict = python_verdict(text)
    if verdict.refusal is not None:
        return Screened(_error_facts(*verdict.refusal, suppressions))
    return Screened(None, suppressions, verdict)


def analyze_screened(source: bytes, screened: Screened, options: PassOptions) -> ModuleFacts:
    """The facts of a module that ``screen_source`` passed: libcst's parse, then the pass."""
    suppressions = screened.suppressions
    try:
        module = parse_module(source)
    except Exception as error:
        return _parse_failure(source, screened, error)
    try:
        module_pass = ModulePass(options, source)
        module_pass.assign_addresses(walk(module, module_pass))
    except RecursionError:
        return _error_facts("too deeply nested to analyse", None, suppressions)
    except Exception as error:  # a bug in isolint must cost one file, not the run
        message = f"isolint could not analyse this file ({type(error).__name__}: {error})"
        return _error_facts(message, None, suppressions)
    module_pass.facts.suppressions = suppressions
    return module_pass.facts


def _parse_failure(source: bytes, screened: Screened, error: Exception) -> ModuleFacts:
    """The error fact of a source libcst could not parse, in CPython's words where it has
    some: its refusal (asked now if it was not asked before libcst), or its syntax error."""
    suppressions = screened.suppressions
    verdict = screened.verdict
    if verdict is None:
        verdict = python_verdict(decode_source(source))
        if verdict.refusal is not None:
            return _error_facts(*verdict.refusal, suppressions)
    if isinstance(error, cst.ParserSyntaxError):
        if verdict.syntax_error is not None:
            return _error_facts(*verdict.syntax_error, suppressions)
        return _error_facts(*_libcst_error(error), suppressions)
    if isinstance(error, RecursionError):
        return _error_facts("too deeply nested to parse", None, suppressions)
    # libcst raises a few undocumented errors on odd input
    return _error_facts(f"cannot parse: {type(error).__name__}: {error}", None, suppressions)


# What makes a source look hostile to libcst's parser (see ``looks_hostile``): far beyond
# real code (Django's deepest brackets are 11 levels, its longest line 172 bytes), and far
# below CPython's own limits (200 nested brackets, 100 levels of indentation).
_HOSTILE_BRACKET_DEPTH = 40
_HOSTILE_LINE_BYTES = 400
_HOSTILE_ELIFS = 100
_HOSTILE_INDENT = re.compile(rb"\n[ \t\f]{80}")
_FOLD_BRACKETS = bytes.maketrans(b"([{)]}", b"((()))")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"()[]{}")))


def looks_hostile(source: bytes) -> bool:
    """Whether CPython's parser should see ``source`` before libcst: a cheap scan of the bytes
    for what makes either parser give up (deep brackets, long lines, an ``elif`` ladder, deep
    indentation, a NUL byte, a huge file), with brackets in strings and comments counted too.

    Healthy files need no CPython parse before libcst in a worker process: a file the scan
    misses and libcst crashes on or times out on is asked about afterwards (see
    ``isolint.engine``), so it is reported in CPython's words all the same.
    """
    if len(source) > RISKY_BYTES or b"\0" in source or source.count(b"elif") > _HOSTILE_ELIFS:
        return True
    if max(map(len, source.split(b"\n"))) > _HOSTILE_LINE_BYTES:
        return True
    if _HOSTILE_INDENT.search(source):
        return True
    return _bracket_depth(source, _HOSTILE_BRACKET_DEPTH) >= _HOSTILE_BRACKET_DEPTH


def _bracket_depth(source: bytes, limit: int) -> int:
    """How deep brackets nest in ``source`` (up to ``limit``): each round removes the
    innermost pairs, in C."""
    brackets = source.translate(_FOLD_BRACKETS, _NOT_BRACKETS)
    for depth in range(limit):
        if b"()" not in brackets:
            return depth
        brackets = brackets.replace(b"()", b"")
    return limit


def parse_module(source: bytes) -> cst.Module:
    """libcst's parse, without checking each new node the way a node built by hand is.

    Every libcst node validates its fields when it is created (about a tenth of a parse);
    the nodes the parser builds come from its own grammar, so the checks can only pass
    (libcst's own code notes the same). Raises what ``libcst.parse_module`` raises.
    """
    post_init = CSTNode.__dict__.get("__post_init__")
    if post_init is None:  # another libcst: nothing to turn off
        return cst.parse_module(source)
    CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        CSTNode.__post_init__ = post_init  # type: ignore[method-assign]


def _unchecked(self: CSTNode) -> None:
    """A node's ``__post_init__`` while the parser builds it."""


def python_verdict(text: str) -> PythonVerdict:
    """CPython's parser on ``text`` (decoded source): only parsed, nothing compiled or run."""
    collecting = gc.isenabled()
    try:
        with warnings.catch_warnings():
            # an invalid escape sequence warns; under -W error it would become a SyntaxError
            warnings.simplefilter("ignore")
            # a syntax tree has no reference cycles: the collector's passes over the many
            # new nodes would only cost time (about a sixth of the compile)
            gc.disable()
            tree = compile(text, "<source>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        message, span = f"syntax error: {error.msg}", _python_span(error, text)
        if any(limit in error.msg for limit in _PYTHON_LIMITS):
            return PythonVerdict(refusal=(message, span))
        return PythonVerdict(syntax_error=(message, span or Span(1, 1, 1, 1)))
    except ValueError as error:  # Python 3.10: "source code string cannot contain null bytes"
        return PythonVerdict(refusal=(f"syntax error: {error}", _nul_span(text)))
    except RecursionError as error:
        return PythonVerdict(refusal=(_limit_message("too deeply nested", error), None))
    except MemoryError as error:
        return PythonVerdict(refusal=(_limit_message("too complex", error), None))
    finally:
        if collecting:
            gc.enable()
    assert isinstance(tree, ast.Module)
    return PythonVerdict(tree=tree)


def parse_risk(verdict: PythonVerdict, size: int, *, slow: bool = True) -> str | None:
    """Why libcst should parse this source only in an isolated worker process, or None when
    it is safe to parse here. ``size`` is the source's length in bytes.

    A source may crash the parser (Python rejected it, so its shape is unknown, or it is
    deeply nested) or only be slow to parse (it is huge); ``slow=False`` asks about crashes
    only, for a source already known to parse within the time budget.
    """
    if verdict.refusal is not None:
        return verdict.refusal[0]
    if verdict.tree is None:
        return "Python's parser rejected it"
    if slow and size > RISKY_BYTES:
        return f"it is {size:,} bytes long"
    depth, nodes = tree_shape(verdict.tree, RISKY_DEPTH, RISKY_NODES if slow else sys.maxsize)
    if depth > RISKY_DEPTH:
        return f"it is nested more than {RISKY_DEPTH} levels deep"
    if slow and nodes > RISKY_NODES:
        return f"it has more than {RISKY_NODES:,} syntax nodes"
    return None


def tree_shape(tree: ast.AST, max_depth: int, max_nodes: int) -> tuple[int, int]:
    """(depth, node count) of a CPython tree; the walk stops once either passes its maximum."""
    deepest = nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    node_type = ast.AST
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                break
        if nodes > max_nodes:
            break
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, node_type):
                stack.append((value, depth + 1))
            elif isinstance(value, list):
                stack.extend((item, depth + 1) for item in value if isinstance(item, node_type))
    return deepest, nodes


def syntax_error(source: str | bytes, error: cst.ParserSyntaxError) -> tuple[str, Span]:
    """Python's own wording and position for a syntax error where it has one.

    libcst's positions can land one token late, and Python's messages are the ones users know.
    """
    try:
        text = source if isinstance(source, str) else decode_source(source)
    except (UnicodeDecodeError, LookupError, SyntaxError):
        return _libcst_error(error)
    verdict = python_verdict(text)
    if verdict.syntax_error is not None:
        return verdict.syntax_error
    if verdict.refusal is not None and verdict.refusal[1] is not None:
        return verdict.refusal[0], verdict.refusal[1]
    return _libcst_error(error)


def source_encoding(source: bytes) -> str:
    """The encoding PEP 263 gives these bytes (a BOM, a coding comment, else UTF-8); raises
    SyntaxError for an unknown or contradictory declaration."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return encoding


def decode_source(source: bytes) -> str:
    """The text of ``source`` per PEP 263; raises SyntaxError or UnicodeDecodeError."""
    return source.decode(source_encoding(source))


def _libcst_error(error: cst.ParserSyntaxError) -> tuple[str, Span]:
    span = Span(error.raw_line, error.raw_column + 1, error.raw_line, error.raw_column + 1)
    return f"syntax error: {error.message}", span


def _python_span(error: SyntaxError, text: str) -> Span | None:
    if error.lineno is not None and error.lineno > 0:
        column = error.offset if error.offset is not None and error.offset > 0 else 1
        return Span(error.lineno, column, error.lineno, column)
    if "null bytes" in error.msg:
        return _nul_span(text)
    return None


def _nul_span(text: str) -> Span | None:
    """Where the first NUL character is (CPython names no position for it)."""
    offset = text.find("\0")
    if offset < 0:
        return None
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(line, column, line, column)


def _limit_message(what: str, error: BaseException) -> str:
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"{what} for Python {version} to parse ({detail})"


def _error_facts(
    message: str, span: Span | None, suppressions: list[Suppression] | None = None
) -> ModuleFacts:
    return ModuleFacts(error=message, error_span=span, suppressions=suppressions or [])
