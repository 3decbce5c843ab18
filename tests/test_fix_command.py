"""`isolint fix` end to end: the real CLI on real files.

Safe fixes by default, unsafe ones only with --unsafe-fixes, --diff writes nothing, a second
run changes nothing, a file that does not parse is left as it is, and a file changed on
disk after it was read is not overwritten. The fixes themselves are tested in
test_rule_fixes.py; this module tests the command around them.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, write_project

from isolint.engine import load_settings
from isolint.fix.runner import fix_project, write_changes

# ISO105: the default list is appended to and returned (every caller shares it).
TAGS = (
    "from __future__ import annotations\n\n\n"
    "def add_tag(tag: str, tags: list[str] = []) -> list[str]:\n"
    '    """Appends `tag` to `tags`."""\n'
    "    tags.append(tag)\n"
    "    return tags\n"
)
TAGS_FIXED = (
    "from __future__ import annotations\n\n\n"
    "def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:\n"
    '    """Appends `tag` to `tags`."""\n'
    "    if tags is None:\n"
    "        tags = []\n"
    "    tags.append(tag)\n"
    "    return tags\n"
)
# ISO103: a class-body list written through self (moving it changes `Agent.calls`).
AGENT = (
    "from typing import Any\n\n\n"
    "class Agent:\n"
    "    calls: list[dict[str, Any]] = []\n\n"
    "    def record(self, tool: str) -> list[dict[str, Any]]:\n"
    '        self.calls.append({"tool": tool})\n'
    "        return self.calls\n\n\n"
    "async def handle(user_id: str) -> list[dict[str, Any]]:\n"
    "    return Agent().record(user_id)\n"
)


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_project(tmp_path / "proj", files)


def findings_json(root: Path) -> list[dict[str, object]]:
    result = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=root)
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_check_json_carries_the_fix_as_edits(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/tags.py": TAGS})
    (finding,) = findings_json(root)
    assert finding["code"] == "ISO105" and finding["line"] == 4
    fix = finding["fix"]
    assert isinstance(fix, dict)
    assert fix["applicability"] == "safe"
    assert fix["description"]
    assert fix["edits"] and all(
        set(edit) == {"path", "line", "column", "end_line", "end_column", "content"}
        and edit["path"] == "app/tags.py"
        for edit in fix["edits"]
    )


def test_text_output_marks_fixable_findings(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/tags.py": TAGS, "app/agent.py": AGENT})
    result = run_cli("check", "--no-cache", ".", cwd=root)
    assert "ISO105 [*]" in result.stdout
    assert "ISO103 [*]" not in result.stdout
    assert "[*] 1 fixable with `isolint fix`; 1 more with `isolint fix --unsafe-fixes`." in (
        result.stdout
    )


def test_diff_shows_the_change_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/tags.py": TAGS})
    result = run_cli("fix", "--diff", "--no-cache", ".", cwd=root)
    assert result.returncode == 1, result.stderr
    assert "--- a/app/tags.py\n+++ b/app/tags.py\n" in result.stdout
    assert "+def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:" in result.stdout
    assert "would fix 1 finding in 1 file, 0 remaining" in result.stderr
    assert (root / "app" / "tags.py").read_text() == TAGS


def test_fix_writes_then_a_second_run_changes_nothing(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/tags.py": TAGS})
    first = run_cli("fix", "--no-cache", ".", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "fixed 1 finding in 1 file, 0 remaining" in first.stderr
    assert (root / "app" / "tags.py").read_text() == TAGS_FIXED
    second = run_cli("fix", "--no-cache", ".", cwd=root)
    assert second.returncode == 0
    assert "fixed 0 findings in 0 files, 0 remaining" in second.stderr
    assert (root / "app" / "tags.py").read_text() == TAGS_FIXED
    diff = run_cli("fix", "--diff", "--no-cache", ".", cwd=root)
    assert diff.returncode == 0 and diff.stdout == ""


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/agent.py": AGENT})
    safe_only = run_cli("fix", "--no-cache", ".", cwd=root)
    assert safe_only.returncode == 1  # the finding remains
    assert "(1 more fixable with --unsafe-fixes)" in safe_only.stderr
    assert "ISO103" in safe_only.stdout
    assert (root / "app" / "agent.py").read_text() == AGENT
    unsafe = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=root)
    assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
    fixed = (root / "app" / "agent.py").read_text()
    assert fixed != AGENT
    compile(fixed, "agent.py", "exec")
    assert findings_json(root) == []


def test_select_limits_the_fixes_applied(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/tags.py": TAGS, "app/agent.py": AGENT})
    result = run_cli("fix", "--unsafe-fixes", "--select", "ISO103", "--no-cache", ".", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "app" / "tags.py").read_text() == TAGS
    assert (root / "app" / "agent.py").read_text() != AGENT


def test_a_file_that_does_not_parse_is_left_untouched_and_reported(tmp_path: Path) -> None:
    broken = "def broken(:\n    pass\n"
    root = make(tmp_path, {"app/tags.py": TAGS, "app/broken.py": broken})
    result = run_cli("fix", "--no-cache", ".", cwd=root)
    assert result.returncode == 1  # the unparsable file is still reported
    assert "app/broken.py:1:" in result.stdout and "ISO900" in result.stdout
    assert (root / "app" / "broken.py").read_text() == broken
    assert (root / "app" / "tags.py").read_text() == TAGS_FIXED


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    """The fixes are computed, then an editor saves the file: the save wins."""
    root = make(tmp_path, {"app/tags.py": TAGS})
    outcome = fix_project([root], load_settings([root]), unsafe=False, use_cache=False, cwd=root)
    assert len(outcome.fixed) == 1
    edited = TAGS + "\n# saved by an editor meanwhile\n"
    (root / "app" / "tags.py").write_text(edited)
    problems = write_changes(outcome.rewrite)
    assert len(problems) == 1 and "changed on disk since it was read" in problems[0]
    assert (root / "app" / "tags.py").read_text() == edited


def test_fix_refuses_a_missing_path(tmp_path: Path) -> None:
    result = run_cli("fix", "nowhere", cwd=tmp_path)
    assert result.returncode == 2
    assert "isolint: error: no such file or folder: nowhere" in result.stderr
