"""The caches in ``.isolint_cache/`` at the project root: per-file facts, and whole runs.

Per-file facts are keyed by the file's content hash inside a folder named for the isolint
version, the facts schema and the analysis options, so a changed option or release never
reads stale facts. A whole run's findings are kept under a key made of every file's content
hash, the checked paths, the current folder and the complete configuration: when nothing
changed, a run is a read and hash of every file plus one small JSON file. Entries are JSON
(never pickle: a cache folder that came with a cloned repository must not run code) and are
written to a temporary file, then renamed, so two runs at once never see half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from isolint import __version__
from isolint.analysis.facts import ModuleFacts, from_json, schema_fingerprint, to_json
from isolint.findings import Finding

# whole-run answers kept (one per distinct question: paths, cwd, configuration)
_RUNS_KEPT = 16

CACHE_DIRECTORY = ".isolint_cache"


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=20).hexdigest()


@lru_cache(maxsize=1)
def analysis_code_fingerprint() -> str:
    """A digest of the code that computes facts: a changed pass never reads stale facts,
    even between two builds that carry the same version number."""
    return _code_digest(Path(__file__).parent / "analysis", "*.py")


@lru_cache(maxsize=1)
def package_code_fingerprint() -> str:
    """A digest of all of isolint's code and models: part of a whole run's answer."""
    root = Path(__file__).parent
    return _code_digest(root, "**/*.py") + _code_digest(root / "models", "*.toml")


def _code_digest(folder: Path, pattern: str) -> str:
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(folder.glob(pattern)):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class FactsCache:
    """Read and write ModuleFacts by content hash. Any I/O problem means a cache miss."""

    def __init__(self, root: Path, options_key: str) -> None:
        code = analysis_code_fingerprint()
        self.folder = (
            root / CACHE_DIRECTORY / f"v{__version__}-{schema_fingerprint()}-{code}-{options_key}"
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
            self._write(self.folder / f"{digest}.json", payload)
        except OSError:
            pass  # a cache that cannot be written is only a slower next run

    def get_run(self, key: str) -> tuple[list[Finding], list[Finding]] | None:
        """The findings and fixmes of an earlier run with exactly the same inputs."""
        try:
            with open(self.folder / "runs" / f"{key}.json", encoding="utf-8") as handle:
                data = json.load(handle)
            return [Finding.from_json(f) for f in data["findings"]], [
                Finding.from_json(f) for f in data["fixmes"]
            ]
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def put_run(self, key: str, findings: list[Finding], fixmes: list[Finding]) -> None:
        """Remember a whole run's answer; only the newest few are kept."""
        payload = {
            "findings": [f.to_json() for f in findings],
            "fixmes": [f.to_json() for f in fixmes],
        }
        try:
            self._prepare()
            folder = self.folder / "runs"
            folder.mkdir(exist_ok=True)
            self._write(folder / f"{key}.json", json.dumps(payload))
            for stale in sorted(folder.glob("*.json"), key=_mtime)[:-_RUNS_KEPT]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass

    def _write(self, target: Path, payload: str) -> None:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _prepare(self) -> None:
        if self._ready:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        gitignore = self.folder.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# created by isolint\n*\n", encoding="utf-8")
        self._ready = True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
