"""Which files to check: walking the given paths and applying excludes.

Walking never follows symlinked folders (so symlink loops cannot hang a run) and never reads
file contents; reading is the pipeline's job. As in ruff, a path named on the command line is
checked even when a pattern would exclude it; patterns apply to what the walk finds below it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def discover(paths: Iterable[Path], exclude: Iterable[str], root: Path) -> list[Path]:
    """Every ``.py`` file under ``paths`` (files named explicitly are kept as given), sorted.

    Patterns with a slash are matched against the path relative to the project ``root``, so
    ``app/generated`` is excluded however the run was started.
    """
    patterns = tuple(pattern.rstrip("/") for pattern in exclude)
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for file in _walk(path, patterns, _base_for(path, root)):
                found[file] = None
        else:
            found[path] = None
    return sorted(found)


def _base_for(top: Path, root: Path) -> str:
    """The folder relative paths are taken from: the root when ``top`` is inside it."""
    top_path, root_path = os.path.abspath(top), os.path.abspath(root)
    inside = top_path == root_path or top_path.startswith(root_path.rstrip(os.sep) + os.sep)
    return root_path if inside else top_path


def _walk(top: Path, patterns: tuple[str, ...], base: str) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(top, followlinks=False):
        relative_folder = os.path.relpath(os.path.abspath(folder), base)
        prefix = "" if relative_folder == "." else relative_folder.replace(os.sep, "/") + "/"
        dirnames[:] = sorted(name for name in dirnames if not is_excluded(prefix + name, patterns))
        for name in sorted(filenames):
            if name.endswith(".py") and not is_excluded(prefix + name, patterns):
                yield Path(folder, name)


def is_excluded(relative: str, patterns: Iterable[str]) -> bool:
    """Whether a path relative to the walked folder matches an exclude pattern.

    A bare pattern (``build``, ``*.egg-info``) matches the last component, so it excludes a
    file or folder of that name anywhere; a pattern with a slash matches the relative path.
    """
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" in pattern:
            if fnmatch.fnmatch(relative, pattern):
                return True
        elif fnmatch.fnmatch(name, pattern):
            return True
    return False


def excluded_below_root(path: Path, exclude: Iterable[str], root: Path) -> bool:
    """Whether a walk from the project ``root`` would have skipped ``path`` (the path or one
    of its folders matches a pattern): ``--force-exclude``, for paths a tool names explicitly.
    A path outside the root is never excluded this way."""
    patterns = tuple(pattern.rstrip("/") for pattern in exclude)
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if relative == "." or relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return False
    parts = relative.replace(os.sep, "/").split("/")
    return any(is_excluded("/".join(parts[:end]), patterns) for end in range(1, len(parts) + 1))


def is_package_folder(folder: Path) -> bool:
    """A folder Python imports as a package: it holds ``__init__.py`` and its name is an
    identifier (``src/my-app/__init__.py`` cannot be imported as ``my-app``, so the modules
    in it are named from below it)."""
    return folder.name.isidentifier() and (folder / "__init__.py").is_file()


def display_path(path: Path, cwd: Path) -> str:
    """The path as findings show it: relative to the current folder when below it.

    Symlinks are not resolved: a finding names the file as the tree shows it.
    """
    absolute = os.path.abspath(cwd / path)
    folder = os.path.abspath(cwd)
    if absolute.startswith(folder.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, folder)).as_posix()
    return Path(absolute).as_posix()
