"""The rule documents (``rules/ISOnnn.md``) at run time, for ``isolint rule`` and SARIF.

The canonical documents live in ``rules/`` at the top of the repository: the design fixes
them there and their examples run as tests, so they are never copied or moved by hand. Two
installed layouts must find them:

- a checkout or an editable install: the package is imported from the source tree, and the
  documents sit next to it, in ``<repository>/rules``;
- a wheel (or an sdist built into one): ``pyproject.toml`` maps a data-only package,
  ``isolint._rule_docs``, onto the top-level ``rules/`` folder with
  ``[tool.setuptools] package-dir``, and ``package-data`` includes its ``*.md``. setuptools
  then copies the documents into ``isolint/_rule_docs/`` inside the wheel: no duplicate in
  the repository, no build script, and no deprecated ``data-files``.

The packaged copy is looked for first, so an installed wheel never reads an unrelated
``rules/`` folder that happens to sit next to ``site-packages/isolint``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import isolint
from isolint.rules.catalog import RULES, Rule

# Where the documents are published; a rule's document is ``f"{DOCS_BASE_URL}/{code}.md"``.
DOCS_BASE_URL = "https://github.com/isolint/isolint/blob/main/rules"

_PACKAGE = Path(isolint.__file__).resolve().parent
_CANDIDATE_FOLDERS = (_PACKAGE / "_rule_docs", _PACKAGE.parent / "rules")
_SECTION = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class RuleDoc:
    rule: Rule
    markdown: str

    @property
    def description(self) -> str:
        """The first paragraph of "What it does", on one line (falls back to the summary)."""
        body = section(self.markdown, "What it does")
        paragraph = body.split("\n\n", 1)[0] if body else ""
        return " ".join(paragraph.split()) or self.rule.summary


def doc_url(code: str) -> str:
    return f"{DOCS_BASE_URL}/{code}.md"


def docs_folder() -> Path | None:
    """The folder holding ``ISOnnn.md`` (the packaged copy first), or None if there is none."""
    for folder in _CANDIDATE_FOLDERS:
        if (folder / "ISO101.md").is_file():
            return folder
    return None


def rule_doc(code: str) -> RuleDoc:
    """The document of a known rule code; a stand-in built from the catalogue if missing.

    Raises ``KeyError`` for an unknown code.
    """
    rule = RULES[code]
    folder = docs_folder()
    path = folder / f"{code}.md" if folder is not None else None
    if path is not None and path.is_file():
        return RuleDoc(rule, path.read_text(encoding="utf-8"))
    stand_in = f"# {rule.code}: {rule.name}\n\n{rule.summary}\n\nSee {doc_url(rule.code)}\n"
    return RuleDoc(rule, stand_in)


def section(markdown: str, title: str) -> str:
    """The text of the ``## title`` section (without its heading), or "" if absent."""
    matches = list(_SECTION.finditer(markdown))
    for index, match in enumerate(matches):
        if match.group(1).rstrip("?").lower() == title.rstrip("?").lower():
            end = matches[index + 1].start() if index + 1 < len(matches) else len(markdown)
            return markdown[match.end() : end].strip()
    return ""
