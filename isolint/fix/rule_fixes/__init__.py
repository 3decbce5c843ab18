"""Fixes of individual findings, as text edits (one module per kind of fix).

``attach_fixes`` is the entry point: it parses each file that has a fixable finding once
(unless ``isolint.fix.guard`` finds that the parse would crash or hang), asks the rule's
fixer for a fix, and keeps the fix only if its edits apply and the result still parses. A
fixer that is not sure returns None, and an exception in a fixer costs that finding its
fix, never the run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from isolint.config import DEFAULT_FILE_TIMEOUT
from isolint.findings import Finding, Fix
from isolint.fix.edits import apply_edits
from isolint.fix.guard import unsafe_to_parse
from isolint.fix.rule_fixes.context_local import (
    fix_module_container,
    fix_mutable_contextvar,
    may_fix_module_container,
)
from isolint.fix.rule_fixes.instance_container import fix_class_container
from isolint.fix.rule_fixes.mutable_default import fix_mutable_default
from isolint.fix.rule_fixes.session_per_call import fix_module_session
from isolint.fix.rule_fixes.source import Fixer, ParsedSource
from isolint.fix.rule_fixes.thread_local import fix_thread_local

FIXERS: Mapping[str, Fixer] = {
    "ISO101": fix_module_container,
    "ISO103": fix_class_container,
    "ISO105": fix_mutable_default,
    "ISO301": fix_module_session,
    "ISO501": fix_thread_local,
    "ISO502": fix_mutable_contextvar,
}
# What a finding must show for its rule's fixer to have a chance: checked before its file is
# parsed, which costs more than a typical run's whole analysis of the findings.
_MAY_FIX: Mapping[str, Callable[[Finding], bool]] = {
    "ISO101": may_fix_module_container,
}

__all__ = ["FIXERS", "attach_fixes"]


def attach_fixes(
    findings: Sequence[Finding],
    read_source: Callable[[str], str | None],
    *,
    budget: float = DEFAULT_FILE_TIMEOUT,
) -> list[Finding]:
    """``findings`` in the same order, each with ``fix`` set where a sure fix exists.

    ``read_source(path)`` returns the text of a finding's file (None if unavailable). Each
    file is read and parsed once, however many of its findings are fixable. A file that
    would crash libcst's parser (tried in an isolated process for up to ``budget`` seconds)
    is not parsed: its findings get no fix. (These files were analysed within the budget
    already, so a merely long parse is not tried first.)
    """
    paths = dict.fromkeys(finding.path for finding in findings if _may_fix(finding))
    texts = {path: text for path in paths if (text := _read(path, read_source)) is not None}
    unsafe = unsafe_to_parse(texts, budget, slow=False)
    parsed: dict[str, ParsedSource | None] = {}
    attached = []
    for finding in findings:
        fixer = FIXERS.get(finding.code)
        if fixer is None or not _may_fix(finding):
            attached.append(finding)
            continue
        if finding.path not in parsed:
            text = texts.get(finding.path)
            safe = text is not None and finding.path not in unsafe
            parsed[finding.path] = _parse(finding.path, text) if safe else None
        source = parsed[finding.path]
        fix = _checked_fix(fixer, finding, source) if source is not None else None
        attached.append(replace(finding, fix=fix))
    return attached


def _may_fix(finding: Finding) -> bool:
    precondition = _MAY_FIX.get(finding.code)
    return finding.code in FIXERS and (precondition is None or precondition(finding))


def _read(path: str, read_source: Callable[[str], str | None]) -> str | None:
    try:
        return read_source(path)
    except Exception:  # unreadable now: no fix, the finding still stands
        return None


def _parse(path: str, text: str | None) -> ParsedSource | None:
    try:
        return ParsedSource.parse(path, text) if text is not None else None
    except Exception:  # unparsable now: no fix, the finding still stands
        return None


def _checked_fix(fixer: Fixer, finding: Finding, source: ParsedSource) -> Fix | None:
    """The fixer's fix, if it is well formed: edits in this file that apply and re-parse."""
    try:
        fix = fixer(finding, source)
        if fix is None or not fix.edits:
            return None
        if any(edit.path != source.path for edit in fix.edits):
            return None
        fixed = apply_edits(source.text, fix.edits)
        if fixed == source.text:
            return None
        ast.parse(fixed)
    except Exception:  # a fixer bug or an edit that breaks the file: offer no fix
        return None
    return fix
