"""Every python example in rules/ISOnnn.md runs as a test, so the docs cannot drift.

Blocks under "Example" are bad code: the findings must be exactly the lines marked
``# expect: ISOnnn``. Blocks under "Use instead" and "Not flagged" must give no finding.
A line ``# file: pkg/mod.py`` starts another file of the same example project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, check_project, write_project

from isolint.rules.catalog import RULES

RULE_DOCS = sorted((REPO / "rules").glob("ISO*.md"))
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")
_FILE = re.compile(r"^#\s*file:\s*(\S+)\s*$")
_BAD_SECTIONS = ("example",)
_GOOD_SECTIONS = ("use instead", "not flagged")


@dataclass(frozen=True)
class DocExample:
    doc: str
    section: str
    index: int
    code: str

    @property
    def is_bad(self) -> bool:
        return self.section in _BAD_SECTIONS

    @property
    def id(self) -> str:
        kind = "bad" if self.is_bad else "good"
        return f"{self.doc}-{kind}-{self.index}"


def examples(doc: Path) -> list[DocExample]:
    found: list[DocExample] = []
    section = ""
    counters: dict[str, int] = {}
    lines = doc.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip().lower().rstrip("?")
        elif line.strip() == "```python" and section in (*_BAD_SECTIONS, *_GOOD_SECTIONS):
            end = lines.index("```", index + 1)
            kind = "bad" if section in _BAD_SECTIONS else "good"
            counters[kind] = counters.get(kind, 0) + 1
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(DocExample(doc.stem, section, counters[kind], code))
            index = end
        index += 1
    return found


def split_files(code: str) -> dict[str, str]:
    files: dict[str, list[str]] = {}
    current = "example.py"
    for line in code.splitlines():
        marker = _FILE.match(line)
        if marker:
            current = marker.group(1)
            files.setdefault(current, [])
            continue
        files.setdefault(current, []).append(line)
    return {name: "\n".join(body) + "\n" for name, body in files.items() if any(body)}


def expected_findings(files: dict[str, str]) -> set[tuple[str, int, str]]:
    expected = set()
    for name, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for code in match.group(1).replace(" ", "").split(","):
                    if code:
                        expected.add((name, number, code))
    return expected


_FIXED_SEVERITY = re.compile(r"\*\*Severity:\*\* (error|warning)(?: \(| ·)")


def fixed_severity(code: str) -> str | None:
    """The severity a rule's header promises for every finding, or None when it depends on
    the finding ("error when ..., warning when ...")."""
    match = _FIXED_SEVERITY.search((REPO / "rules" / f"{code}.md").read_text(encoding="utf-8"))
    return match.group(1) if match else None


def test_the_headers_promise_a_severity_the_examples_can_check() -> None:
    fixed = {code: fixed_severity(code) for code in RULES}
    assert fixed["ISO301"] == "error" and fixed["ISO105"] == "warning"
    assert fixed["ISO101"] is None  # error or warning, by whether a reader is found


ALL_EXAMPLES = [example for doc in RULE_DOCS for example in examples(doc)]


def test_every_rule_has_a_document_with_bad_and_good_examples() -> None:
    documented = {doc.stem for doc in RULE_DOCS}
    assert documented == set(RULES)
    for code in RULES:
        kinds = {example.is_bad for example in ALL_EXAMPLES if example.doc == code}
        assert kinds == {True, False}, f"{code} needs bad and good examples"


def test_both_rule_tables_list_every_rule_by_its_name() -> None:
    index = (REPO / "rules" / "README.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code, rule in RULES.items():
        assert f"| {code} | `{rule.name}` |" in index, f"rules/README.md lacks {code}"
        assert f"| [{code}](rules/{code}.md) | {rule.name} |" in readme, f"README lacks {code}"


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda example: example.id)
def test_rule_example(example: DocExample, tmp_path: Path) -> None:
    files = split_files(example.code)
    root = write_project(tmp_path / "example", files)
    findings = check_project(root)
    found = {(f.path, f.line, f.code) for f in findings}
    if example.is_bad:
        expected = expected_findings(files)
        assert expected, "a bad example must mark its findings with # expect: CODE"
        assert found == expected, _explain(findings)
        for finding in findings:
            fixed = fixed_severity(finding.code)
            if fixed is not None:
                assert finding.severity.value == fixed, _explain([finding])
    else:
        assert found == set(), _explain(findings)


def _explain(findings: list) -> str:  # type: ignore[type-arg]
    return "\n".join(f"{f.path}:{f.line}:{f.column} {f.code} {f.message}" for f in findings)
