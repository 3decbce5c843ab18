"""Property tests: fixes and the codemod never produce code that fails to parse, and a
second run changes nothing.

Two kinds of generated programs: modules assembled from the shapes the fixes and the
codemod rewrite (mutable defaults, class-level containers, ContextVar defaults, thread
locals, module containers, sessions, legacy-state uses), varied in names, annotations,
docstrings, comments, decorators and async-ness; and arbitrary programs from the Python
grammar (hypothesmith), where the point is that nothing crashes or breaks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from isolint.engine import load_settings
from isolint.fix.codemods.migrate_context import MigrationOptions, migrate_project
from isolint.fix.runner import fix_project, write_changes

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NAMES = st.sampled_from(["items", "seen", "tags", "buffer", "rows", "history", "cache"])
FUNCTIONS = st.sampled_from(["handle", "record", "add", "collect", "remember"])
CONTAINERS = st.sampled_from(["[]", "{}", "set()", "list()", "dict()"])
COMMENTS = st.sampled_from(["", "  # keep", "  # isolint sees this"])


@st.composite
def mutable_default(draw: st.DrawFn) -> str:
    name, function = draw(NAMES), draw(FUNCTIONS)
    container = draw(CONTAINERS)
    annotation = draw(st.sampled_from(["", ": list", ": list[str]", ": dict", ": set[str]"]))
    docstring = draw(st.sampled_from(["", '    """Adds the value."""\n']))
    mutate = {"[]": "append", "list()": "append", "set()": "add"}.get(container)
    body = f"    {name}.{mutate}(value)\n" if mutate else f"    {name}[value] = value\n"
    return (
        f"def {function}(value: str, {name}{annotation} = {container}):{draw(COMMENTS)}\n"
        f"{docstring}{body}    return {name}\n"
    )


@st.composite
def class_container(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    has_init = draw(st.booleans())
    init = "    def __init__(self) -> None:\n        self.ready = True\n\n" if has_init else ""
    return (
        f"class Agent{draw(st.integers(0, 9))}:\n"
        f"    {name}: list = []{draw(COMMENTS)}\n\n{init}"
        f"    def record(self, user_id: str) -> None:\n"
        f"        self.{name}.append(user_id)\n"
    )


@st.composite
def context_var_default(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    return (
        f'_{name} = ContextVar("{name}", default={draw(CONTAINERS)})\n\n\n'
        f"async def handle_{name}(user_id: str) -> None:\n"
        f"    _{name}.get()\n"
    )


@st.composite
def module_container(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    keyword = draw(st.sampled_from(["async def", "def"]))
    return (
        f"_{name.upper()}: list = []\n\n\n"
        f"{keyword} {draw(FUNCTIONS)}_{name}(user_id: str) -> list:\n"
        f"    _{name.upper()}.append(user_id){draw(COMMENTS)}\n"
        f"    return list(_{name.upper()})\n"
    )


@st.composite
def thread_local(draw: st.DrawFn) -> str:
    attribute = draw(NAMES)
    return (
        "_local = threading.local()\n\n\n"
        f"async def begin(user_id: str) -> None:\n    _local.{attribute} = user_id\n\n\n"
        f"async def current() -> str:\n    return _local.{attribute}\n"
    )


@st.composite
def fixable_module(draw: st.DrawFn) -> str:
    shapes = draw(
        st.lists(
            st.one_of(
                mutable_default(),
                class_container(),
                context_var_default(),
                module_container(),
                thread_local(),
            ),
            min_size=1,
            max_size=4,
        )
    )
    header = draw(st.sampled_from(["", "from __future__ import annotations\n\n"]))
    imports = "import threading\nfrom contextvars import ContextVar\n\n\n"
    return header + imports + "\n\n".join(_deduplicated(shapes))


def _deduplicated(shapes: list[str]) -> list[str]:
    """Drop repeated definitions of one name (a fix per name, not a redefinition puzzle)."""
    seen: set[str] = set()
    kept = []
    for shape in shapes:
        first = shape.split("\n", 1)[0]
        if first not in seen:
            seen.add(first)
            kept.append(shape)
    return kept


def assert_parses(text: str) -> None:
    cst.parse_module(text)
    ast.parse(text)


def write(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text("", encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")


def fix_twice(root: Path, *, valid: bool = True) -> int:
    """Fix with every fix enabled, write, fix again: the second run must change nothing.

    Returns how many findings the first run fixed. ``valid``: the program is known to parse
    (so an ISO900 would be a bug of the generator, not a property of the program).
    """
    first = fix_project([root], load_settings([root]), unsafe=True, use_cache=False, cwd=root)
    if valid:
        assert not [f for f in first.remaining if f.code == "ISO900"], "the generator is broken"
    for text in first.rewrite.changed().values():
        assert_parses(text)
    assert write_changes(first.rewrite) == []
    second = fix_project([root], load_settings([root]), unsafe=True, use_cache=False, cwd=root)
    assert second.rewrite.changed() == {}, "a second `isolint fix` changed the code again"
    assert second.fixed == []
    return len(first.fixed)


@PROPERTY_SETTINGS
@given(source=fixable_module())
def test_rule_fixes_keep_code_parsing_and_are_idempotent(
    tmp_path_factory: pytest.TempPathFactory, source: str
) -> None:
    root = tmp_path_factory.mktemp("fixes") / "proj"
    write(root, {"app/module.py": source})
    fixed = fix_twice(root)
    event("fixed 3 or more findings" if fixed >= 3 else f"fixed {fixed} findings")


LEGACY = (
    "class DeepAgentState:\n"
    "    def __init__(self, user_id: str, thread_id: str, run_id: str) -> None:\n"
    "        self.user_id = user_id\n"
    "        self.thread_id = thread_id\n"
    "        self.run_id = run_id\n"
    "        self.results: dict = {}\n"
)


@st.composite
def legacy_use(draw: st.DrawFn) -> str:
    function = draw(FUNCTIONS)
    optional = draw(st.booleans())
    annotation = "Optional[DeepAgentState]" if optional else "DeepAgentState"
    quoted = draw(st.booleans())
    annotation = f'"{annotation}"' if quoted else annotation
    statements = draw(
        st.lists(
            st.sampled_from(
                [
                    "    print(state.user_id)\n",
                    "    state.results['x'] = 1\n",
                    "    state.user_id = 'other'\n",
                    "    if isinstance(state, DeepAgentState):\n        pass\n",
                    "    copy = DeepAgentState('u', 't', 'r')\n",
                    "    return state.run_id\n",
                ]
            ),
            min_size=1,
            max_size=4,
        )
    )
    return f"def {function}(state: {annotation}) -> object:{draw(COMMENTS)}\n" + "".join(statements)


@st.composite
def legacy_project(draw: st.DrawFn) -> dict[str, str]:
    uses = draw(st.lists(legacy_use(), min_size=1, max_size=3, unique_by=lambda s: s[:12]))
    import_line = draw(
        st.sampled_from(
            [
                "from app.state import DeepAgentState\n",
                "from app.state import DeepAgentState as Legacy\nDeepAgentState = Legacy\n",
                "from app import state\nfrom app.state import DeepAgentState\n",
            ]
        )
    )
    handlers = "from typing import Optional\n\n" + import_line + "\n\n" + "\n\n".join(uses)
    caller = (
        "from app.handlers import *  # noqa\n"
        "from app.state import DeepAgentState\n\n\n"
        "def call() -> object:\n"
        "    return DeepAgentState(user_id='u', thread_id='t', run_id='r')\n"
    )
    return {"app/state.py": LEGACY, "app/handlers.py": handlers, "app/caller.py": caller}


@PROPERTY_SETTINGS
@given(files=legacy_project())
def test_codemod_keeps_code_parsing_and_is_idempotent(files: dict[str, str]) -> None:
    root = Path("/project")
    sources = {root / relative: text for relative, text in files.items()}
    options = MigrationOptions(legacy="app.state.DeepAgentState")
    first = migrate_project(sources, options, root)
    event(f"migrated {len(first.changed)} files, {len(first.problems)} problems to review")
    for text in first.changed.values():
        assert_parses(text)
    migrated = {**sources, **first.changed}
    second = migrate_project(migrated, options, root)
    assert second.changed == {}, "a second run of the codemod changed the code again"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(source=hypothesmith.from_grammar(auto_target=False))
def test_arbitrary_programs_never_break(
    tmp_path_factory: pytest.TempPathFactory, source: str
) -> None:
    """Whatever the program, fixing and migrating it raise nothing and yield parsable code
    (a program libcst cannot parse is left untouched)."""
    root = tmp_path_factory.mktemp("grammar") / "proj"
    write(root, {"app/module.py": source})
    fix_twice(root, valid=False)
    path = root / "app" / "module.py"
    text = path.read_text(encoding="utf-8")
    migration = migrate_project({path: text}, MigrationOptions(), root)
    for new_text in migration.changed.values():
        assert_parses(new_text)
