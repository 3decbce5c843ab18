"""Turning a file's bytes into ModuleFacts, with every failure turned into a clear error fact.

Nothing here imports or runs the analysed code: the bytes go to libcst's parser only.
"""

from __future__ import annotations

import ast
import io
import tokenize

import libcst as cst

from isolint.analysis.facts import ModuleFacts, Span, Suppression
from isolint.analysis.module_pass import ModulePass, PassOptions, read_suppressions
from isolint.analysis.walk import walk


def analyze_source(source: bytes, options: PassOptions) -> ModuleFacts:
    """The facts of one module; a file that cannot be decoded or parsed yields an error fact."""
    try:
        text = decode_source(source)
    except (UnicodeDecodeError, LookupError, SyntaxError) as error:
        return _error_facts(f"cannot decode: {error}", None)
    suppressions, skip_file = read_suppressions(text)
    if skip_file:
        return ModuleFacts(skip_file=True, suppressions=suppressions)
    too_deep = _too_deeply_nested(source)
    if too_deep is not None:
        return _error_facts(too_deep[0], too_deep[1], suppressions)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        message, span = syntax_error(source, error)
        return _error_facts(message, span, suppressions)
    except RecursionError:
        return _error_facts("too deeply nested to parse", None, suppressions)
    except Exception as error:  # libcst raises a few undocumented errors on odd input
        return _error_facts(f"cannot parse: {type(error).__name__}: {error}", None, suppressions)
    try:
        module_pass = ModulePass(options)
        module_pass.assign_addresses(walk(module, module_pass))
    except RecursionError:
        return _error_facts("too deeply nested to analyse", None, suppressions)
    except Exception as error:  # a bug in isolint must cost one file, not the run
        message = f"isolint could not analyse this file ({type(error).__name__}: {error})"
        return _error_facts(message, None, suppressions)
    module_pass.facts.suppressions = suppressions
    return module_pass.facts


# Python refuses more than 200 nested brackets; libcst's native parser can overflow the
# stack on such input instead of failing, so deeply bracketed files are checked first.
_MAX_BRACKET_DEPTH = 200
_OPENING = frozenset(b"([{")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"()[]{}")


def _too_deeply_nested(source: bytes) -> tuple[str, Span | None] | None:
    """Python's own error for a file nested deeper than any parser should be asked to go."""
    brackets = source.translate(None, _NOT_BRACKETS)
    if len(brackets) <= _MAX_BRACKET_DEPTH:
        return None
    depth = deepest = 0
    for byte in brackets:
        depth = depth + 1 if byte in _OPENING else depth - 1
        deepest = max(deepest, depth)
    if deepest <= _MAX_BRACKET_DEPTH:
        return None
    try:
        ast.parse(source)
    except SyntaxError as error:
        if error.lineno is not None:
            column = error.offset or 1
            return f"syntax error: {error.msg}", Span(error.lineno, column, error.lineno, column)
        return f"syntax error: {error.msg}", None
    except (RecursionError, MemoryError, ValueError):
        return "too deeply nested to parse", None
    return None  # the brackets were inside strings or comments


def syntax_error(source: str | bytes, error: cst.ParserSyntaxError) -> tuple[str, Span]:
    """Python's own wording and position for a syntax error where it has one.

    ``ast.parse`` only parses (nothing is compiled to bytecode or run); libcst's positions can
    land one token late, and Python's messages are the ones users know.
    """
    try:
        ast.parse(source)
    except SyntaxError as python_error:
        if python_error.lineno is not None:
            column = python_error.offset or 1
            span = Span(python_error.lineno, column, python_error.lineno, column)
            return f"syntax error: {python_error.msg}", span
    except (ValueError, RecursionError, MemoryError):
        pass
    span = Span(error.raw_line, error.raw_column + 1, error.raw_line, error.raw_column + 1)
    return f"syntax error: {error.message}", span


def source_encoding(source: bytes) -> str:
    """The encoding PEP 263 gives these bytes (a BOM, a coding comment, else UTF-8); raises
    SyntaxError for an unknown or contradictory declaration."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return encoding


def decode_source(source: bytes) -> str:
    """The text of ``source`` per PEP 263; raises SyntaxError or UnicodeDecodeError."""
    return source.decode(source_encoding(source))


def _error_facts(
    message: str, span: Span | None, suppressions: list[Suppression] | None = None
) -> ModuleFacts:
    return ModuleFacts(error=message, error_span=span, suppressions=suppressions or [])
