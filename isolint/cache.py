"""The per-file facts cache in ``.isolint_cache/`` at the project root.

Entries are keyed by the file's content hash inside a folder named for the isolint version
and the analysis options, so a changed option or release never reads stale facts. Entries are
JSON (never pickle: a cache folder that came with a cloned repository must not run code) and
are written to a temporary file, then renamed, so two runs at once never see half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from isolint import __version__
from isolint.analysis.facts import ModuleFacts, from_json, schema_fingerprint, to_json

CACHE_DIRECTORY = ".isolint_cache"


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=20).hexdigest()


class FactsCache:
    """Read and write ModuleFacts by content hash. Any I/O problem means a cache miss."""

    def __init__(self, root: Path, options_key: str) -> None:
        self.folder = (
            root / CACHE_DIRECTORY / f"v{__version__}-{schema_fingerprint()}-{options_key}"
        )
        self._ready = False

    def get(self, digest: str) -> ModuleFacts | None:
        """The cached facts, or None when missing or not exactly what ``put`` writes."""
        try:
            with open(self.folder / f"{digest}.json", encoding="utf-8") as handle:
                data = json.load(handle)
            return from_json(ModuleFacts, data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def put(self, digest: str, facts: ModuleFacts) -> None:
        try:
            self._prepare()
            payload = json.dumps(to_json(facts), separators=(",", ":"))
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.replace(temporary, self.folder / f"{digest}.json")
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)

    def _prepare(self) -> None:
        if self._ready:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        gitignore = self.folder.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# created by isolint\n*\n", encoding="utf-8")
        self._ready = True
