"""Which objects outlive a request: the allocation sites, on real projects in the engine."""

from __future__ import annotations

from pathlib import Path

from conftest import write_project

from isolint import engine
from isolint.program import program_of
from isolint.program.types import ClassKey

_SEARCH = """import threading

from flask import Flask, request

app = Flask(__name__)


class Results:
    def __init__(self):
        self._lock = threading.RLock()
        self.answers = []


class Search:
    def __init__(self, query):
        self.query = query
        self.results = Results()


class SearchWithPlugins(Search):
    pass


@app.get("/search")
def search():
    return SearchWithPlugins(request.args["q"]).results.answers
"""


def _long_lived(tmp_path: Path, files: dict[str, str]) -> set[ClassKey]:
    root = write_project(tmp_path / "proj", files)
    project = engine.index_project(engine.load_settings([root]), root, use_cache=False)
    return set(program_of(project).long_lived.creations)


def test_what_a_base_builds_for_a_subclass_a_request_builds_is_per_request(
    tmp_path: Path,
) -> None:
    # the lock says "built to be shared" only of an object no request builds
    assert ("app", "Results") not in _long_lived(tmp_path, {"app.py": _SEARCH})


def test_the_same_object_no_request_builds_is_shared_by_design(tmp_path: Path) -> None:
    unbuilt = _SEARCH.replace('SearchWithPlugins(request.args["q"]).results.answers', "[]")
    assert ("app", "Results") in _long_lived(tmp_path, {"app.py": unbuilt})
