"""``isolint rule CODE`` and ``isolint rules``, and how the rule documents are found at run time.

The documents live in rules/ at the top of the repository; a wheel ships them as the data-only
package ``isolint._rule_docs`` (pyproject.toml maps it onto rules/). These tests check the
command output and that the packaging configuration still covers every package.
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import REPO, run_cli

from isolint.rule_docs import DOCS_BASE_URL, docs_folder, rule_doc, section
from isolint.rules.catalog import FAMILIES, RULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.mark.parametrize("code", ["ISO101", "iso502", " ISO900 "])
def test_rule_prints_the_document_as_plain_text_when_piped(code: str) -> None:
    result = run_cli("rule", code)
    assert result.returncode == 0, result.stderr
    normalised = code.strip().upper()
    document = (REPO / "rules" / f"{normalised}.md").read_text(encoding="utf-8")
    assert result.stdout == document
    assert "\x1b[" not in result.stdout
    assert result.stderr == ""


def test_rule_with_an_unknown_code_exits_2_with_a_message() -> None:
    result = run_cli("rule", "ISO999")
    assert result.returncode == 2
    assert "unknown rule code: ISO999" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_rule_renders_markdown_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from isolint.cli import cli

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    result = CliRunner().invoke(cli, ["rule", "ISO101"])
    assert result.exit_code == 0
    assert "\x1b[" in result.output  # styled by rich
    assert "## What it does" not in result.output  # headings are rendered, not raw
    assert "What it does" in result.output


def test_rules_lists_every_rule_with_its_family_and_no_fix() -> None:
    result = run_cli("rules")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "family", "fix"]
    assert len(lines) == 1 + len(RULES)
    for line, rule in zip(lines[1:], RULES.values(), strict=True):
        assert line.startswith(rule.code)
        assert rule.name in line
        assert f"{rule.family}xx {FAMILIES[rule.family]}" in line
        assert line.split()[-1] == ("yes" if rule.fixable else "no")


def test_rules_as_json() -> None:
    result = run_cli("rules", "--output-format", "json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert [row["code"] for row in rows] == list(RULES)
    assert [row["fixable"] for row in rows] == [rule.fixable for rule in RULES.values()]
    assert rows[0]["url"] == f"{DOCS_BASE_URL}/ISO101.md"
    assert rows[0]["family"] == "ISO1xx"


def test_the_rule_documents_are_found_at_run_time() -> None:
    folder = docs_folder()
    assert folder is not None
    documented = sorted(path.stem for path in (REPO / "rules").glob("ISO*.md"))
    assert documented
    for code in documented:
        doc = rule_doc(code)
        assert doc.markdown == (REPO / "rules" / f"{code}.md").read_text(encoding="utf-8")
        assert doc.markdown.startswith(f"# {code}: {RULES[code].name}\n")
        assert section(doc.markdown, "What it does")
        assert doc.description != RULES[code].summary


def test_the_wheel_packages_every_package_and_the_rule_documents() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = pyproject["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "isolint").rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == on_disk | {"isolint._rule_docs"}
    assert setuptools["package-dir"] == {"isolint._rule_docs": "rules"}
    assert pyproject["tool"]["setuptools"]["package-data"]["isolint._rule_docs"] == ["*.md"]
