"""The writer never loses code: it refuses unparsable output and files changed since they
were read, keeps encodings, line endings and permissions, and replaces files atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from isolint.fix.writer import SourceFile, WriteRefused, write_atomically, write_rewrite


def test_writes_the_new_text(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_text("x = 1\n")
    write_rewrite(SourceFile.read(file), "x = 2\n")
    assert file.read_text() == "x = 2\n"


def test_refuses_code_that_does_not_parse_and_leaves_the_file(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_text("x = 1\n")
    with pytest.raises(WriteRefused, match=r"m\.py: would not parse after the rewrite"):
        write_rewrite(SourceFile.read(file), "def broken(:\n")
    assert file.read_text() == "x = 1\n"


def test_refuses_a_file_changed_on_disk_since_it_was_read(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_text("x = 1\n")
    original = SourceFile.read(file)
    file.write_text("x = 1  # edited in the meantime\n")
    with pytest.raises(WriteRefused, match="changed on disk since it was read; not overwritten"):
        write_rewrite(original, "x = 2\n")
    assert file.read_text() == "x = 1  # edited in the meantime\n"


def test_keeps_the_declared_encoding(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_bytes("# -*- coding: latin-1 -*-\nNAME = 'café'\n".encode("latin-1"))
    original = SourceFile.read(file)
    assert original.encoding == "iso-8859-1"
    write_rewrite(original, original.text.replace("café", "crème"))
    assert file.read_bytes() == "# -*- coding: latin-1 -*-\nNAME = 'crème'\n".encode("latin-1")


def test_refuses_text_the_encoding_cannot_hold(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_bytes(b"# -*- coding: latin-1 -*-\nNAME = 1\n")
    with pytest.raises(WriteRefused, match="cannot be encoded as iso-8859-1"):
        write_rewrite(SourceFile.read(file), "# -*- coding: latin-1 -*-\nNAME = '\u20ac'\n")


def test_keeps_windows_line_endings(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_bytes(b"x = 1\r\ny = 2\r\n")
    original = SourceFile.read(file)
    assert original.text == "x = 1\r\ny = 2\r\n"
    write_rewrite(original, original.text.replace("2", "3"))
    assert file.read_bytes() == b"x = 1\r\ny = 3\r\n"


def test_atomic_write_keeps_permissions_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    file = tmp_path / "tool.py"
    file.write_text("x = 1\n")
    os.chmod(file, 0o755)
    write_atomically(file, b"x = 2\n")
    assert stat.S_IMODE(file.stat().st_mode) == 0o755
    assert file.read_bytes() == b"x = 2\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tool.py"]


def test_atomic_write_replaces_the_file_rather_than_truncating_it(tmp_path: Path) -> None:
    """A reader holding the old file keeps reading the old content: the new content arrived
    by a rename, so there never was a moment with a half-written file at that path."""
    file = tmp_path / "m.py"
    file.write_text("old = 1\n")
    with open(file, encoding="utf-8") as reader:
        write_atomically(file, b"new = 2\n")
        assert reader.read() == "old = 1\n"
    assert file.read_text() == "new = 2\n"


def test_a_new_file_gets_the_permissions_the_umask_gives(tmp_path: Path) -> None:
    """A temporary file is private (0o600); the file it becomes must not stay so."""
    mask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "baseline.json", b"{}\n")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "baseline.json").stat().st_mode) == 0o644
