"""Whole-program facts built on the project index and the framework models.

- ``types``: what class an expression's value is an instance of (through imports, bindings,
  annotations and attributes set on ``self``), and the fully qualified names of classes.
- ``entry_points``: which functions serve requests and which run once at startup.
- ``reach``: the call graph, and which functions run at request time (with the chain from
  the entry point that reaches them, the witness a finding carries).
- ``long_lived``: which objects outlive a request, by where they are allocated.
- ``sessions``: database sessions kept on objects.
- ``readers``: the request-time functions that read shared state back.

Nothing here reads a syntax tree: everything comes from each module's cached facts.
"""

from __future__ import annotations

from functools import cached_property

from isolint.program.entry_points import EntryPoints
from isolint.program.long_lived import LongLivedObjects
from isolint.program.reach import Reach
from isolint.program.readers import Readers
from isolint.program.types import TypeIndex
from isolint.project import Project


class Program:
    """The whole-program facts of one project, each computed on first use."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @cached_property
    def types(self) -> TypeIndex:
        return TypeIndex(self.project)

    @cached_property
    def entry_points(self) -> EntryPoints:
        return EntryPoints(self.project, self.types)

    @cached_property
    def reach(self) -> Reach:
        return Reach(self.project, self.types, self.entry_points)

    @cached_property
    def readers(self) -> Readers:
        return Readers(self.project, self.reach, lambda: self.long_lived.constructions)

    @cached_property
    def long_lived(self) -> LongLivedObjects:
        return LongLivedObjects(self.project, self.types, self.reach)


def program_of(project: Project) -> Program:
    """The project's Program, built once per project."""
    cached: Program | None = project.__dict__.get("_program")
    if cached is None:
        cached = project.__dict__["_program"] = Program(project)
    return cached


def release_program(project: Project) -> None:
    """Drop the project's Program. It refers back to the project, a cycle that only the
    cyclic garbage collector could free (a check runs with it paused): without the cycle
    the whole index is freed as soon as the last reference to the project goes."""
    project.__dict__.pop("_program", None)
