"""Writing rewritten sources back without ever losing code.

A rewrite is written only when all of these hold: the new text parses (libcst, the same
parser the rewrite used, tried in an isolated process first where the parse might crash or
hang: see ``isolint.fix.guard``), it is valid for the oldest Python the project supports
(``isolint.fix.target_python``: libcst accepts newer grammar than that), the file on disk
still holds exactly the bytes the rewrite was computed from (an editor or another tool may
have saved it meanwhile), and the text can be encoded in the file's own encoding. The write
goes to a temporary file in the same folder, which then replaces the original in one
rename, so a crash leaves either the old or the new file, never half of one. The file's
permission bits are kept.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from isolint.analysis.source import source_encoding
from isolint.config import DEFAULT_FILE_TIMEOUT
from isolint.fix.guard import unsafe_to_parse
from isolint.fix.target_python import RUNNING, PythonVersion, grammar_problem


class WriteRefused(Exception):
    """Why a rewrite was not written; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class SourceFile:
    """A file's bytes as read, and the text and encoding they decode to."""

    path: Path
    raw: bytes
    text: str
    encoding: str

    @classmethod
    def read(cls, path: Path) -> SourceFile:
        raw = path.read_bytes()
        encoding = source_encoding(raw)
        # newline="" semantics: keep \r\n and \r exactly as they are in the file
        return cls(path, raw, raw.decode(encoding), encoding)


def ensure_parses(
    path: Path,
    text: str,
    *,
    budget: float = DEFAULT_FILE_TIMEOUT,
    python: PythonVersion = RUNNING,
) -> None:
    """Raise WriteRefused unless ``text`` is a module libcst can parse (without crashing or
    running over ``budget`` seconds: tried in an isolated process where that is a risk)
    that Python ``python`` can compile.

    A rewrite is a small change to a file that was parsed before, so only a parse that
    might crash is tried first, not a merely long one."""
    unsafe = unsafe_to_parse({path: text}, budget, slow=False).get(path)
    if unsafe is not None:
        raise WriteRefused(path, f"would not parse after the rewrite ({unsafe.reason})")
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WriteRefused(path, f"would not parse after the rewrite ({message})") from None
    problem = grammar_problem(text, python, module)
    if problem is not None:
        raise WriteRefused(path, f"would not compile after the rewrite: {problem}")


def write_rewrite(
    original: SourceFile,
    new_text: str,
    *,
    budget: float = DEFAULT_FILE_TIMEOUT,
    python: PythonVersion = RUNNING,
) -> None:
    """Replace ``original.path`` with ``new_text``, or raise WriteRefused saying why not
    (``python``: the oldest version the project supports)."""
    path = original.path
    ensure_parses(path, new_text, budget=budget, python=python)
    try:
        data = new_text.encode(original.encoding)
    except UnicodeEncodeError as error:
        raise WriteRefused(
            path, f"the rewritten code cannot be encoded as {original.encoding} ({error.reason})"
        ) from None
    try:
        on_disk = path.read_bytes()
    except OSError as error:
        raise WriteRefused(path, f"cannot read it again before writing: {error}") from None
    if on_disk != original.raw:
        raise WriteRefused(path, "changed on disk since it was read; not overwritten")
    try:
        write_atomically(path, data)
    except OSError as error:
        raise WriteRefused(path, f"cannot write: {error.strerror or error}") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    An existing file keeps its permission bits; a new one gets the usual ones (the umask's).
    """
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
