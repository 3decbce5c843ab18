#!/usr/bin/env python3
"""Benchmark isolint against the libcst parse-only limit and against peers.

One run builds (or reuses) a corpus of pinned PyPI packages, then times, on the same
files and the same cores:

* libcst parse-only: ``libcst.parse_module`` on every file in a process pool (the limit);
* ``isolint check --no-cache`` (cold), and a warm run against a populated cache;
* ``fixit lint`` (Fixit 2, default rules, in its own virtualenv);
* ``ruff check --select ALL`` as a reference point, when ruff is installed.

Every tool runs as a child process and is measured the same way: wall time, the peak
memory of its whole process tree (sampled from /proc) and the largest single process
(``wait4`` resource usage). See ``bench/README.md`` for how to read the numbers.

Only the standard library and libcst are used. Run it with the project's interpreter::

    .venv/bin/python bench/run_bench.py            # full corpus
    .venv/bin/python bench/run_bench.py --quick    # ~50k-line smoke run
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import libcst

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_CORPUS_DIR = BENCH_DIR / ".corpus"
DEFAULT_FIXIT_VENV = BENCH_DIR / ".venv-fixit"
DEFAULT_JSON_OUT = BENCH_DIR / "results.json"
DEFAULT_QUICK_JSON_OUT = BENCH_DIR / "results-quick.json"
FIXIT_VERSION = "2.2.1"
COMPLETE_MARKER = ".bench_complete"
LAYOUT_VERSION = "2"  # bump to re-extract corpora built by an older layout
MIN_FULL_LINES = 300_000
QUICK_LINES = 50_000
PARSE_CHUNK_FILES = 16
SAMPLE_INTERVAL_S = 0.05
PSS_MAX_OVERHEAD = 0.05
TARGET_COLD_RATIO = 1.5
TARGET_WARM_RATIO = 0.05
TARGET_MB_PER_MLINE = 1024.0
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BUSY_MACHINE_CORES = 0.25  # other processes' load above which a timing is flagged


@dataclass(frozen=True)
class Pin:
    """One pinned PyPI distribution of the corpus."""

    name: str
    version: str

    @property
    def dirname(self) -> str:
        """Folder name of the package inside the corpus."""
        return f"{self.name}-{self.version}"

    @property
    def requirement(self) -> str:
        """The pip requirement string, ``name==version``."""
        return f"{self.name}=={self.version}"


# The Django sdist ships its test suite: about 474k lines of Python in 2,788 files,
# the same kind of corpus as the numbers in DESIGN.md section 4. Add pins here if
# a package ever falls short of MIN_FULL_LINES.
PINNED_PACKAGES: tuple[Pin, ...] = (Pin("django", "5.1.4"),)


class BenchError(RuntimeError):
    """A failure that stops the benchmark with a clear message."""


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpus


@dataclass
class Corpus:
    """The files of one benchmark corpus, rooted at a folder with a pyproject.toml."""

    root: Path
    packages: list[str]
    files: list[Path]
    lines: int
    size_bytes: int


def count_lines(data: bytes) -> int:
    """Count lines like ``wc -l``, plus a final line without a newline."""
    lines = data.count(b"\n")
    if data and not data.endswith(b"\n"):
        lines += 1
    return lines


def find_archive(pin: Pin, downloads: Path) -> Path | None:
    """Return a downloaded sdist or wheel of ``pin`` in ``downloads``, if any."""
    if not downloads.is_dir():
        return None
    prefixes = {
        f"{name}-{pin.version}".lower()
        for name in (pin.name, pin.name.replace("-", "_"), pin.name.replace("_", "-"))
    }
    for path in sorted(downloads.iterdir()):
        fname = path.name.lower()
        for prefix in prefixes:
            if not fname.startswith(prefix):
                continue
            rest = fname[len(prefix) :]
            if rest in (".tar.gz", ".zip") or (rest.startswith("-") and rest.endswith(".whl")):
                return path
    return None


def download(pin: Pin, downloads: Path) -> Path:
    """Download ``pin`` with pip (sdist first, for its tests; wheel as a fallback)."""
    existing = find_archive(pin, downloads)
    if existing is not None:
        return existing
    downloads.mkdir(parents=True, exist_ok=True)
    base = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "-d",
        str(downloads),
        pin.requirement,
    ]
    errors: list[str] = []
    for extra in (["--no-binary", ":all:"], ["--only-binary", ":all:"]):
        log(f"downloading {pin.requirement} ({' '.join(extra)})")
        result = subprocess.run([*base, *extra], capture_output=True, text=True, check=False)
        archive = find_archive(pin, downloads)
        if result.returncode == 0 and archive is not None:
            return archive
        errors.append(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "?")
    raise BenchError(f"cannot download {pin.requirement}: {' | '.join(errors)}")


def safe_relative(member: str, strip_top: bool) -> Path | None:
    """Map an archive member name to a safe relative path (None to skip it)."""
    parts = PurePosixPath(member).parts
    if strip_top:
        parts = parts[1:]
    if not parts or member.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    if any(p.startswith(".") for p in parts):
        return None  # hidden files: tools disagree on whether to lint them
    return Path(*parts)


def archive_python_files(archive: Path) -> Iterator[tuple[Path, bytes]]:
    """Yield (relative path, content) of every regular ``.py`` file in an archive."""
    name = archive.name.lower()
    if name.endswith(".tar.gz"):
        with tarfile.open(archive) as tar:
            for member in tar:
                if not (member.isfile() and member.name.endswith(".py")):
                    continue
                rel = safe_relative(member.name, strip_top=True)
                handle = tar.extractfile(member)
                if rel is not None and handle is not None:
                    yield rel, handle.read()
        return
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.endswith(".py"):
                continue
            rel = safe_relative(info.filename, strip_top=not name.endswith(".whl"))
            if rel is not None:
                yield rel, zf.read(info)


def extract_package(pin: Pin, archive: Path, dest: Path) -> None:
    """Extract the ``.py`` files of ``archive`` into ``dest`` (atomically, via a rename)."""
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    count = 0
    for rel, data in archive_python_files(archive):
        target = partial / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
    if count == 0:
        raise BenchError(f"{archive.name} holds no .py files")
    (partial / COMPLETE_MARKER).write_text(f"{archive.name} layout={LAYOUT_VERSION}\n")
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    log(f"extracted {count} .py files of {pin.requirement} into {dest}")


def ensure_package(pin: Pin, downloads: Path, root: Path) -> None:
    """Make ``root/<name>-<version>/`` hold the package's .py files (reused if present)."""
    dest = root / pin.dirname
    marker = dest / COMPLETE_MARKER
    if marker.is_file() and marker.read_text().strip().endswith(f"layout={LAYOUT_VERSION}"):
        return
    extract_package(pin, download(pin, downloads), dest)


def python_files(root: Path) -> list[Path]:
    """All ``.py`` files under ``root``, sorted, skipping tool caches."""
    return sorted(
        p
        for p in root.rglob("*.py")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def scan_corpus(root: Path, packages: list[str]) -> Corpus:
    """Count the files, lines and bytes of a corpus (this also warms the page cache)."""
    files = python_files(root)
    lines = 0
    size = 0
    for path in files:
        data = path.read_bytes()
        lines += count_lines(data)
        size += len(data)
    return Corpus(root=root, packages=packages, files=files, lines=lines, size_bytes=size)


# isolint skips test code by default; the benchmark must make it read the same files as the
# parse-only run, so the corpus's own configuration turns that off.
ROOT_MARKER = '[tool.isolint]\nexclude = [".*"]\n'


def write_root_marker(root: Path) -> None:
    """Put a pyproject.toml at the corpus root so caches and configs land there."""
    root.mkdir(parents=True, exist_ok=True)
    marker = root / "pyproject.toml"
    if not marker.exists() or marker.read_text() != ROOT_MARKER:
        marker.write_text(ROOT_MARKER)


def build_full_corpus(corpus_dir: Path) -> Corpus:
    """Download and extract every pinned package into ``corpus_dir/full``."""
    root = corpus_dir / "full"
    write_root_marker(root)
    for pin in PINNED_PACKAGES:
        ensure_package(pin, corpus_dir / "downloads", root)
    corpus = scan_corpus(root, [p.requirement for p in PINNED_PACKAGES])
    if corpus.lines < MIN_FULL_LINES:
        log(f"WARNING: corpus has {corpus.lines} lines, fewer than {MIN_FULL_LINES}; add pins")
    return corpus


def pick_subset(files: Sequence[Path], target_lines: int) -> list[Path]:
    """Pick an evenly spread, deterministic subset of ``files`` of about ``target_lines``."""
    sizes = {path: count_lines(path.read_bytes()) for path in files}
    stride = max(1, sum(sizes.values()) // max(target_lines, 1))
    spread = list(files[::stride])
    chosen_set = set(spread)
    order = spread + [p for p in files if p not in chosen_set]
    chosen: list[Path] = []
    total = 0
    for path in order:
        if total >= target_lines:
            break
        chosen.append(path)
        total += sizes[path]
    return chosen


def build_quick_corpus(full: Corpus, corpus_dir: Path, target_lines: int) -> Corpus:
    """Copy an evenly spread ~``target_lines`` subset of the full corpus to ``quick/``."""
    root = corpus_dir / "quick"
    marker = root / COMPLETE_MARKER
    stamp = f"{target_lines} {' '.join(full.packages)} layout={LAYOUT_VERSION}\n"
    if not (marker.is_file() and marker.read_text() == stamp):
        shutil.rmtree(root, ignore_errors=True)
        for path in pick_subset(full.files, target_lines):
            target = root / path.relative_to(full.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        write_root_marker(root)
        marker.write_text(stamp)
    return scan_corpus(root, full.packages)


# ------------------------------------------------------------------- measurement


@dataclass
class TreeMemory:
    """Peak memory of a process tree, summed over its processes at each sample."""

    peak_rss_kb: int = 0
    peak_pss_kb: int = 0
    pss_available: bool = True
    peak_processes: int = 0
    rss_samples: int = 0
    pss_samples: int = 0


def children_by_parent() -> dict[int, list[int]]:
    """Map each pid to its child pids, from every /proc/<pid>/stat (the slow fallback)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


HAVE_CHILDREN_FILES = Path(f"/proc/self/task/{os.getpid()}/children").exists()


def child_pids(pid: int) -> list[int]:
    """Children of ``pid``, from /proc/<pid>/task/*/children (any thread may fork)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            found.extend(
                int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
            )
        except (OSError, ValueError):
            continue
    return found


def process_tree(root_pid: int) -> list[int]:
    """The pid ``root_pid`` and all its live descendants."""
    tree = [root_pid]
    if HAVE_CHILDREN_FILES:
        for pid in tree:
            tree.extend(child_pids(pid))
        return tree
    children = children_by_parent()
    for pid in tree:
        tree.extend(children.get(pid, ()))
    return tree


def rss_kb(pid: int) -> int:
    """Resident set size of a process (0 if it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def pss_kb(pid: int) -> int | None:
    """Proportional set size of a process, or None if the kernel does not say."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0 if Path("/proc/self/smaps_rollup").exists() else None  # process ended
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            try:
                return int(line.split()[1])
            except (IndexError, ValueError):
                return None
    # a process that is exiting has no mappings left to report: it holds nothing
    return 0 if not text.strip() else None


class TreeSampler(threading.Thread):
    """Samples a process tree's memory and enforces a timeout.

    RSS (cheap: /proc/PID/statm) is summed every SAMPLE_INTERVAL_S. PSS needs
    /proc/PID/smaps_rollup, which costs milliseconds for a big process, so it is sampled
    as often as keeps its cost under PSS_MAX_OVERHEAD of one core.
    """

    def __init__(self, pid: int, timeout_s: float | None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.timeout_s = timeout_s
        self.memory = TreeMemory()
        self.timed_out = False
        self._stop_event = threading.Event()
        self._started_at = time.perf_counter()
        self._next_pss_at = 0.0

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join()

    def run(self) -> None:
        """Sample until stopped; kill the child's process group past the timeout."""
        while True:
            self.sample()
            elapsed = time.perf_counter() - self._started_at
            if self.timeout_s is not None and elapsed > self.timeout_s and not self.timed_out:
                self.timed_out = True
                kill_group(self.pid)
            if self._stop_event.wait(SAMPLE_INTERVAL_S):
                return

    def sample(self) -> None:
        """Add one sample of the tree's summed RSS, and of its summed PSS when due."""
        mem = self.memory
        pids = process_tree(self.pid)
        mem.rss_samples += 1
        mem.peak_rss_kb = max(mem.peak_rss_kb, sum(rss_kb(pid) for pid in pids))
        mem.peak_processes = max(mem.peak_processes, len(pids))
        now = time.perf_counter()
        if not mem.pss_available or now < self._next_pss_at:
            return
        values = [pss_kb(pid) for pid in pids]
        cost = time.perf_counter() - now
        self._next_pss_at = now + max(SAMPLE_INTERVAL_S, cost / PSS_MAX_OVERHEAD)
        if any(v is None for v in values):
            mem.pss_available = False
            return
        mem.pss_samples += 1
        mem.peak_pss_kb = max(mem.peak_pss_kb, sum(v for v in values if v is not None))


def kill_group(pid: int, grace_s: float = 3.0) -> None:
    """End the process group we started for ``pid``: SIGTERM, then SIGKILL after a grace."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        time.sleep(0.1)
        try:
            os.killpg(pid, 0)
        except (ProcessLookupError, PermissionError):
            return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@dataclass
class IdleGate:
    """Before each measured run, wait (up to ``max_wait_s``) for other processes to go quiet."""

    max_wait_s: float = 0.0
    threshold_cores: float = BUSY_MACHINE_CORES

    def wait(self) -> None:
        """Return once others use at most ``threshold_cores``, or when the wait runs out."""
        if self.max_wait_s <= 0:
            return
        deadline = time.monotonic() + self.max_wait_s
        announced = False
        while True:
            load = other_load(window_s=1.0)
            if load <= self.threshold_cores:
                return
            if time.monotonic() >= deadline:
                log(f"machine still busy ({load:.2f} cores used by others); measuring anyway")
                return
            if not announced:
                log(f"waiting up to {self.max_wait_s:.0f} s for other processes ({load:.2f} cores)")
                announced = True


IDLE_GATE = IdleGate()


def other_load(window_s: float) -> float:
    """Cores kept busy by processes other than this one over the next ``window_s``."""
    busy, own = machine_busy_cpu_s(), own_cpu_s()
    time.sleep(window_s)
    return max(0.0, (machine_busy_cpu_s() - busy) - (own_cpu_s() - own)) / window_s


def machine_busy_cpu_s() -> float:
    """CPU seconds spent by the whole machine since boot, from the first line of /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return 0.0
    # cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    values = [int(v) for v in fields[1:9]]
    busy = sum(values) - values[3] - values[4]
    return busy / CLOCK_TICKS


def own_cpu_s() -> float:
    """CPU seconds used so far by this process (all threads, e.g. the sampler)."""
    times = os.times()
    return times.user + times.system


@dataclass
class RunResult:
    """What one measured child process did."""

    argv: list[str]
    wall_s: float
    returncode: int | None
    timed_out: bool
    cpu_s: float
    largest_process_mb: float
    tree_peak_rss_mb: float
    tree_peak_pss_mb: float | None
    tree_peak_processes: int
    rss_samples: int
    pss_samples: int
    other_cpu_s: float
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> RunResult:
    """Run ``argv`` in a new session and measure wall time, CPU time and memory.

    ``os.wait4`` gives the resource usage of this child alone (on Linux its ``ru_maxrss``
    is the largest RSS of the child or any descendant it waited for), so earlier runs in
    this process do not leak into it, unlike ``getrusage(RUSAGE_CHILDREN)``.
    """
    IDLE_GATE.wait()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy_before, self_before = machine_busy_cpu_s(), own_cpu_s()
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid, timeout_s)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        busy = machine_busy_cpu_s() - busy_before
        child_cpu = usage.ru_utime + usage.ru_stime
        other_cpu = max(0.0, busy - child_cpu - (own_cpu_s() - self_before))
        kill_group(proc.pid)  # workers left behind by a killed or crashed run
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    mem = sampler.memory
    return RunResult(
        argv=list(argv),
        wall_s=wall,
        returncode=None if sampler.timed_out else proc.returncode,
        timed_out=sampler.timed_out,
        cpu_s=child_cpu,
        largest_process_mb=usage.ru_maxrss / 1024,
        tree_peak_rss_mb=mem.peak_rss_kb / 1024,
        tree_peak_pss_mb=mem.peak_pss_kb / 1024 if mem.pss_available else None,
        tree_peak_processes=mem.peak_processes,
        rss_samples=mem.rss_samples,
        pss_samples=mem.pss_samples,
        other_cpu_s=other_cpu,
        stdout=stdout,
        stderr=stderr,
    )


def best_of(
    repeat: int, argv: Sequence[str], cwd: Path, env: dict[str, str] | None, timeout_s: float
) -> RunResult:
    """Run ``argv`` ``repeat`` times and keep the fastest run."""
    runs = [run_measured(argv, cwd=cwd, env=env, timeout_s=timeout_s) for _ in range(repeat)]
    return min(runs, key=lambda r: r.wall_s)


# ------------------------------------------------------------------- parse-only


def parse_chunk(paths: Sequence[str]) -> tuple[int, list[tuple[str, str]]]:
    """Parse each file with libcst; return the count parsed and the failures."""
    parsed = 0
    failures: list[tuple[str, str]] = []
    for path in paths:
        try:
            libcst.parse_module(Path(path).read_bytes())
            parsed += 1
        except Exception as exc:  # any parser failure is a data point
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            failures.append((path, f"{type(exc).__name__}: {first}"))
    return parsed, failures


def chunked(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Split ``items`` into lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def parse_only_worker(file_list: Path, jobs: int) -> int:
    """Entry point of the parse-only child: parse every listed file, print JSON."""
    paths = [line for line in file_list.read_text().splitlines() if line]
    # Largest files first, so the pool's tail is made of small chunks.
    paths.sort(key=lambda p: os.path.getsize(p), reverse=True)
    start = time.perf_counter()
    parsed = 0
    failures: list[tuple[str, str]] = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        for ok, failed in pool.map(parse_chunk, chunked(paths, PARSE_CHUNK_FILES)):
            parsed += ok
            failures.extend(failed)
    elapsed = time.perf_counter() - start
    json.dump({"parsed": parsed, "failures": sorted(failures), "pool_s": elapsed}, sys.stdout)
    return 0


# ------------------------------------------------------------------- tools


@dataclass
class ToolResult:
    """One row of the report."""

    name: str
    status: str
    seconds: float | None = None
    timed_out: bool = False
    cpu_s: float | None = None
    ratio_to_parse: float | None = None
    cpu_ratio_to_parse: float | None = None
    peak_tree_pss_mb: float | None = None
    peak_tree_rss_mb: float | None = None
    largest_process_mb: float | None = None
    mb_per_mline: float | None = None
    findings: int | None = None
    findings_per_kloc: float | None = None
    files_seen: int | None = None
    other_load: float | None = None
    memory_samples: str = ""
    exit_code: int | None = None
    command: str = ""
    notes: list[str] = field(default_factory=list)


def tool_result(name: str, run: RunResult, status: str = "ok") -> ToolResult:
    """Fill the timing and memory fields of a row from a run."""
    result = ToolResult(
        name=name,
        status="timeout" if run.timed_out else status,
        seconds=run.wall_s,
        timed_out=run.timed_out,
        cpu_s=run.cpu_s,
        peak_tree_pss_mb=run.tree_peak_pss_mb,
        peak_tree_rss_mb=run.tree_peak_rss_mb,
        largest_process_mb=run.largest_process_mb,
        exit_code=run.returncode,
        command=shlex.join(run.argv),
        other_load=run.other_cpu_s / run.wall_s if run.wall_s > 0 else None,
        memory_samples=f"rss {run.rss_samples}, pss {run.pss_samples}",
    )
    if result.other_load is not None and result.other_load > BUSY_MACHINE_CORES:
        result.notes.append(
            f"other processes kept {result.other_load:.2f} cores busy during this run "
            f"({run.other_cpu_s:.0f} CPU-s): the machine was not idle, the time is inflated"
        )
    return result


def tail(text: str, lines: int = 3) -> str:
    """The last non-empty lines of ``text``, joined on one line."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(kept[-lines:])


def measure_parse_only(corpus: Corpus, jobs: int, repeat: int, timeout_s: float) -> ToolResult:
    """Time libcst.parse_module over the corpus in a child process with a process pool."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(str(p) for p in corpus.files))
        list_path = Path(handle.name)
    try:
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--parse-only-worker",
            str(list_path),
            "--jobs",
            str(jobs),
        ]
        run = best_of(repeat, argv, corpus.root, None, timeout_s)
    finally:
        list_path.unlink(missing_ok=True)
    result = tool_result("libcst parse-only", run)
    if run.returncode != 0:
        result.status = f"failed (exit {run.returncode}): {tail(run.stderr)}"
        return result
    data = json.loads(run.stdout)
    result.files_seen = int(data["parsed"]) + len(data["failures"])
    result.notes.append(f"pool time inside the child {data['pool_s']:.2f} s")
    for path, message in data["failures"]:
        rel = Path(path).relative_to(corpus.root)
        result.notes.append(f"libcst cannot parse {rel}: {message}")
    return result


@dataclass(frozen=True)
class Command:
    """How to start a tool: argv prefix and extra environment."""

    argv: list[str]
    env: dict[str, str] | None = None


def find_isolint(explicit: str | None) -> Command | None:
    """Locate the isolint CLI: --isolint, the venv's script, PATH, or the source tree."""
    if explicit:
        return Command(shlex.split(explicit))
    for candidate in (Path(sys.executable).parent / "isolint", REPO_ROOT / ".venv/bin/isolint"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return Command([str(candidate)])
    found = shutil.which("isolint")
    if found:
        return Command([found])
    if (REPO_ROOT / "isolint" / "cli.py").is_file():
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        code = "import sys; from isolint.cli import main; sys.exit(main())"
        return Command([sys.executable, "-c", code], env)
    return None


def count_json_findings(data: object) -> tuple[int | None, int | None]:
    """Findings and files-checked counts from isolint's JSON, whatever its exact shape."""
    if isinstance(data, list):
        return len(data), None
    if not isinstance(data, dict):
        return None, None
    findings: int | None = None
    for key in ("findings", "results", "diagnostics", "violations"):
        if isinstance(data.get(key), list):
            findings = len(data[key])
            break
    runs = data.get("runs")
    if findings is None and isinstance(runs, list) and runs and isinstance(runs[0], dict):
        results = runs[0].get("results")
        findings = len(results) if isinstance(results, list) else None
    files: int | None = None
    for scope in (data, data.get("summary"), data.get("stats"), data.get("statistics")):
        if not isinstance(scope, dict):
            continue
        for key in ("files_checked", "checked_files", "files", "file_count"):
            value = scope.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                files = value
            elif isinstance(value, list):
                files = len(value)
            if files is not None:
                return findings, files
    return findings, files


def isolint_row(name: str, run: RunResult) -> ToolResult:
    """Interpret one isolint run (exit 0 clean, 1 findings, 2 error)."""
    result = tool_result(name, run)
    if run.timed_out:
        return result
    if run.returncode not in (0, 1):
        result.status = f"failed (exit {run.returncode}): {tail(run.stderr) or tail(run.stdout)}"
        return result
    try:
        data: object = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        said = tail(run.stderr) or tail(run.stdout, 1)[:200]
        result.status = f"failed (exit {run.returncode}, stdout not JSON: {exc.msg}): {said}"
        return result
    result.findings, result.files_seen = count_json_findings(data)
    if result.findings is None:
        result.status = f"failed: no findings list in the JSON output: {run.stdout[:80]!r}"
    return result


def clear_isolint_cache(root: Path) -> None:
    """Remove the isolint cache at the corpus root."""
    shutil.rmtree(root / ".isolint_cache", ignore_errors=True)


def measure_isolint(
    corpus: Corpus, explicit: str | None, repeat: int, timeout_s: float
) -> list[ToolResult]:
    """Cold (--no-cache), cache-populating and warm isolint runs."""
    names = ("isolint cold", "isolint cache fill", "isolint warm")
    command = find_isolint(explicit)
    if command is None:
        reason = "not available: no isolint executable and no isolint/cli.py yet"
        return [ToolResult(name=n, status=reason) for n in names]
    base = [*command.argv, "check", str(corpus.root), "--output-format", "json"]
    clear_isolint_cache(corpus.root)
    log("isolint cold run")
    try:
        cold_run = best_of(repeat, [*base, "--no-cache"], corpus.root, command.env, timeout_s)
    except OSError as error:
        reason = f"not available: cannot start {shlex.join(command.argv)}: {error.strerror}"
        return [ToolResult(name=n, status=reason) for n in names]
    cold = isolint_row(names[0], cold_run)
    if not cold.status.startswith("ok"):
        skipped = "skipped: the cold run did not succeed"
        return [
            cold,
            ToolResult(name=names[1], status=skipped),
            ToolResult(name=names[2], status=skipped),
        ]
    if (corpus.root / ".isolint_cache").exists():
        cold.notes.append("--no-cache run left a .isolint_cache/ behind")
    clear_isolint_cache(corpus.root)
    log("isolint cache-populating run")
    fill = isolint_row(
        names[1], run_measured(base, cwd=corpus.root, env=command.env, timeout_s=timeout_s)
    )
    if not (corpus.root / ".isolint_cache").exists():
        fill.notes.append(f"no .isolint_cache/ appeared in {corpus.root}")
    log("isolint warm run")
    warm = isolint_row(names[2], best_of(repeat, base, corpus.root, command.env, timeout_s))
    if warm.findings != cold.findings:
        warm.notes.append(f"warm found {warm.findings} findings, cold {cold.findings}")
    return [cold, fill, warm]


def find_ruff() -> str | None:
    """The ruff executable next to this interpreter, or on PATH."""
    candidate = Path(sys.executable).parent / "ruff"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("ruff")


def measure_ruff(corpus: Corpus, repeat: int, timeout_s: float) -> ToolResult:
    """Time ``ruff check --select ALL`` (isolated from any config, no cache)."""
    ruff = find_ruff()
    if ruff is None:
        return ToolResult(name="ruff --select ALL", status="not available: ruff not installed")
    common = ["--isolated", "--no-respect-gitignore"]
    argv = [
        ruff,
        "check",
        *common,
        "--select",
        "ALL",
        "--no-cache",
        "--exit-zero",
        "--statistics",
        str(corpus.root),
    ]
    log("ruff run")
    run = best_of(repeat, argv, corpus.root, None, timeout_s)
    result = tool_result("ruff --select ALL", run)
    if run.returncode != 0:
        result.status = f"failed (exit {run.returncode}): {tail(run.stderr)}"
        return result
    counts = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+\S", run.stdout, re.MULTILINE)]
    result.findings = sum(counts)
    shown = subprocess.run(
        [ruff, "check", *common, "--show-files", str(corpus.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    result.files_seen = sum(1 for line in shown.stdout.splitlines() if line.endswith(".py"))
    return result


def fixit_version(fixit: Path) -> str | None:
    """The installed fixit version in the venv, or None."""
    if not fixit.is_file():
        return None
    out = subprocess.run([str(fixit), "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"version\s+(\S+)", out.stdout)
    return match.group(1) if match else None


def ensure_fixit(venv: Path) -> Path:
    """Create ``venv`` with fixit==FIXIT_VERSION if needed; return the fixit executable."""
    fixit = venv / "bin" / "fixit"
    if fixit_version(fixit) == FIXIT_VERSION:
        return fixit
    if not (venv / "bin" / "python").is_file():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log(f"installing fixit=={FIXIT_VERSION} into {venv}")
    subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"fixit=={FIXIT_VERSION}",
        ],
        check=True,
    )
    if fixit_version(fixit) != FIXIT_VERSION:
        raise BenchError(f"fixit {FIXIT_VERSION} did not install into {venv}")
    return fixit


def measure_fixit(corpus: Corpus, venv: Path, timeout_s: float) -> ToolResult:
    """Time ``fixit lint`` with its default rules (fixit runs one process per core)."""
    name = f"fixit {FIXIT_VERSION} lint"
    try:
        fixit = ensure_fixit(venv)
    except (BenchError, subprocess.CalledProcessError) as exc:
        return ToolResult(name=name, status=f"not available: {exc}")
    log(f"fixit run (timeout {timeout_s:.0f} s; this is the slow one)")
    run = run_measured([str(fixit), "lint", str(corpus.root)], cwd=corpus.root, timeout_s=timeout_s)
    result = tool_result(name, run)
    if run.timed_out:
        return result
    # fixit's exit code is a bit set: 1 lint findings, 2 a rule or parser raised on a file
    if run.returncode not in (0, 1, 2, 3):
        result.status = f"failed (exit {run.returncode}): {tail(run.stderr)}"
    finding = re.compile(r"^\S.*@\d+:\d+ \w+: ", re.MULTILINE)
    result.findings = len(finding.findall(run.stdout))
    checked = re.search(r"(\d+) files? checked", run.stderr)
    result.files_seen = int(checked.group(1)) if checked else None
    exceptions = [line for line in run.stdout.splitlines() if ": EXCEPTION: " in line]
    if exceptions:
        result.notes.append(f"fixit raised on {len(exceptions)} file(s); first ones follow")
    result.notes.extend(f"fixit: {line.strip()[:200]}" for line in exceptions[:10])
    return result


# ------------------------------------------------------------------- report


def derive(results: Iterable[ToolResult], corpus: Corpus) -> None:
    """Fill ratios, memory per million lines and findings per 1,000 lines."""
    rows = list(results)
    parse = next((r for r in rows if r.name == "libcst parse-only"), None)
    mlines = corpus.lines / 1e6
    for row in rows:
        if row.seconds is not None and parse and parse.seconds and not row.timed_out:
            row.ratio_to_parse = row.seconds / parse.seconds
        if row.cpu_s is not None and parse and parse.cpu_s and not row.timed_out:
            row.cpu_ratio_to_parse = row.cpu_s / parse.cpu_s
        peak = primary_peak_mb(row)
        if peak is not None and mlines:
            row.mb_per_mline = peak / mlines
        if row.findings is not None and corpus.lines:
            row.findings_per_kloc = row.findings / (corpus.lines / 1000)


def primary_peak_mb(row: ToolResult) -> float | None:
    """The memory figure the targets use: summed PSS of the tree, else summed RSS."""
    return row.peak_tree_pss_mb if row.peak_tree_pss_mb is not None else row.peak_tree_rss_mb


def verdict(value: float | None, limit: float) -> str:
    """PASS/FAIL against an upper limit, or n/a."""
    if value is None:
        return "n/a"
    return "PASS" if value <= limit else "FAIL"


def targets(rows: Sequence[ToolResult]) -> dict[str, dict[str, object]]:
    """Evaluate the three targets from DESIGN.md against isolint's rows."""
    by_name = {r.name: r for r in rows}
    cold = by_name.get("isolint cold")
    warm = by_name.get("isolint warm")
    cold_ok = cold is not None and cold.status.startswith("ok")
    warm_ok = warm is not None and warm.status.startswith("ok")
    cold_ratio = cold.ratio_to_parse if cold_ok and cold else None
    cold_cpu_ratio = cold.cpu_ratio_to_parse if cold_ok and cold else None
    warm_ratio = (
        warm.seconds / cold.seconds
        if warm_ok and cold_ok and warm and cold and warm.seconds and cold.seconds
        else None
    )
    mb_per_mline = cold.mb_per_mline if cold_ok and cold else None
    return {
        "cold_vs_parse_only": {
            "value": cold_ratio,
            "limit": TARGET_COLD_RATIO,
            "verdict": verdict(cold_ratio, TARGET_COLD_RATIO),
        },
        "cold_vs_parse_only_cpu_time": {
            "value": cold_cpu_ratio,
            "limit": TARGET_COLD_RATIO,
            "verdict": verdict(cold_cpu_ratio, TARGET_COLD_RATIO),
        },
        "warm_vs_cold": {
            "value": warm_ratio,
            "limit": TARGET_WARM_RATIO,
            "verdict": verdict(warm_ratio, TARGET_WARM_RATIO),
        },
        "cold_mb_per_million_lines": {
            "value": mb_per_mline,
            "limit": TARGET_MB_PER_MLINE,
            "verdict": verdict(mb_per_mline, TARGET_MB_PER_MLINE),
        },
    }


def fmt(value: float | int | None, spec: str) -> str:
    """Format a number, or '-' when missing."""
    return "-" if value is None else format(value, spec)


def seconds_cell(row: ToolResult, timeout_s: float) -> str:
    """Seconds, or '> timeout' for a killed run."""
    if row.timed_out:
        return f"> {timeout_s:.0f}"
    return fmt(row.seconds, ".2f")


def render_table(rows: Sequence[ToolResult], fixit_timeout_s: float, timeout_s: float) -> str:
    """The results as a fixed-width text table."""
    header = (
        "tool",
        "seconds",
        "x parse",
        "cpu s",
        "cpu x",
        "peak MB",
        "largest MB",
        "MB/Mline",
        "files",
        "others",
        "findings",
        "/kloc",
        "status",
    )
    table = [header]
    for row in rows:
        limit = fixit_timeout_s if row.name.startswith("fixit") else timeout_s
        table.append(
            (
                row.name,
                seconds_cell(row, limit),
                fmt(row.ratio_to_parse, ".2f"),
                fmt(row.cpu_s, ".1f"),
                fmt(row.cpu_ratio_to_parse, ".2f"),
                fmt(primary_peak_mb(row), ".0f"),
                fmt(row.largest_process_mb, ".0f"),
                fmt(row.mb_per_mline, ".0f"),
                fmt(row.files_seen, "d"),
                fmt(row.other_load, ".2f"),
                fmt(row.findings, "d"),
                fmt(row.findings_per_kloc, ".2f"),
                row.status,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    lines = []
    for line in table:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=False))
        ]
        lines.append("  ".join([*cells, line[-1]]))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def render_targets(goals: dict[str, dict[str, object]]) -> str:
    """One line per target with the measured value and verdict."""
    labels = {
        "cold_vs_parse_only": ("isolint cold / parse-only", "x", "<= {limit}x"),
        "cold_vs_parse_only_cpu_time": ("  same, in CPU seconds", "x", "<= {limit}x"),
        "warm_vs_cold": ("isolint warm / cold", "x", "<= {limit}x"),
        "cold_mb_per_million_lines": ("isolint cold peak MB per 1M lines", " MB", "< {limit:.0f}"),
    }
    out = []
    for key, (label, unit, limit_fmt) in labels.items():
        goal = goals[key]
        value = goal["value"]
        shown = f"{value:.3f}{unit}" if isinstance(value, float) else "n/a"
        out.append(
            f"  {label:36} {shown:>12}   target {limit_fmt.format(limit=goal['limit'])}"
            f"   {goal['verdict']}"
        )
    return "\n".join(out)


def environment_info(jobs: int) -> dict[str, object]:
    """CPU count and versions the numbers depend on."""
    try:
        affinity: int | None = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "jobs_parse_only": jobs,
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "libcst": importlib.metadata.version("libcst"),
        "libcst_parser": os.environ.get("LIBCST_PARSER_TYPE", "native (default)"),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def print_report(
    corpus: Corpus,
    env: dict[str, object],
    rows: Sequence[ToolResult],
    goals: dict[str, dict[str, object]],
    args: argparse.Namespace,
) -> None:
    """Print the header, the table, the targets and the notes."""
    print()
    subset = ", quick subset" if args.quick else ""
    size_mb = corpus.size_bytes / 1e6
    print(f"corpus   {corpus.root}  ({', '.join(corpus.packages)}{subset})")
    print(f"         {len(corpus.files):,} files, {corpus.lines:,} lines, {size_mb:.1f} MB")
    print(
        f"machine  {env['cpu_count']} CPUs (usable {env['cpus_usable']}), "
        f"Python {env['python']}, libcst {env['libcst']} [{env['libcst_parser']}]"
    )
    print()
    print(render_table(rows, args.fixit_timeout, args.timeout))
    print()
    print("targets")
    print(render_targets(goals))
    notes = [(row.name, note) for row in rows for note in row.notes]
    if notes:
        print()
        print("notes")
        for name, note in notes:
            print(f"  [{name}] {note}")
    print()


def without_machine_paths(value: Any) -> Any:
    """The results with paths relative to the repository and temporary files named generically,
    so the committed JSON says what was run without naming this machine's folders."""
    if isinstance(value, dict):
        return {key: without_machine_paths(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_machine_paths(item) for item in value]
    if isinstance(value, str):
        text = value.replace(str(REPO_ROOT) + os.sep, "").replace(str(REPO_ROOT), ".")
        return re.sub(re.escape(tempfile.gettempdir()) + r"/\S+", "TEMPORARY_FILE", text)
    return value


def results_json(
    corpus: Corpus,
    env: dict[str, object],
    rows: Sequence[ToolResult],
    goals: dict[str, dict[str, object]],
    quick: bool,
) -> dict[str, object]:
    """Everything in the report, as a JSON-ready dict."""
    return {
        "environment": env,
        "corpus": {
            "root": str(corpus.root),
            "packages": corpus.packages,
            "quick_subset": quick,
            "files": len(corpus.files),
            "lines": corpus.lines,
            "bytes": corpus.size_bytes,
        },
        "results": [asdict(row) for row in rows],
        "targets": goals,
    }


# ------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"use a ~{QUICK_LINES:,}-line subset for a fast smoke run",
    )
    parser.add_argument("--skip-fixit", action="store_true", help="do not run fixit")
    parser.add_argument("--skip-ruff", action="store_true", help="do not run ruff")
    parser.add_argument("--skip-isolint", action="store_true", help="do not run isolint")
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        default=DEFAULT_CORPUS_DIR,
        help="where the corpus lives (default: %(default)s)",
    )
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help=f"results JSON (default: {DEFAULT_JSON_OUT.name}, "
        f"{DEFAULT_QUICK_JSON_OUT.name} with --quick, in bench/)",
    )
    parser.add_argument(
        "--fixit-timeout",
        type=float,
        default=1800.0,
        help="seconds before fixit is killed and reported as '> timeout'",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds before any other measured run is killed",
    )
    parser.add_argument(
        "--fixit-venv",
        type=Path,
        default=DEFAULT_FIXIT_VENV,
        help="virtualenv for fixit, created if missing (default: %(default)s)",
    )
    parser.add_argument(
        "--isolint",
        default=None,
        help="command to run isolint (default: the venv's isolint script)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per measurement except fixit; the fastest is kept",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="parse-only pool size (default: all cores, like isolint)",
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=120.0,
        help="before each run, wait up to this many seconds for other processes to use less "
        f"than {BUSY_MACHINE_CORES} cores (0: do not wait; default: %(default)s)",
    )
    parser.add_argument("--parse-only-worker", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus, run every measurement, print and save the report."""
    args = parse_args(argv)
    if args.parse_only_worker is not None:
        return parse_only_worker(args.parse_only_worker, args.jobs)
    if not Path("/proc/self/stat").exists():
        raise BenchError("this benchmark reads /proc: it runs on Linux only")
    corpus_dir = args.corpus_dir.resolve()
    corpus = build_full_corpus(corpus_dir)
    log(f"full corpus: {len(corpus.files):,} files, {corpus.lines:,} lines")
    if args.quick:
        corpus = build_quick_corpus(corpus, corpus_dir, QUICK_LINES)
        log(f"quick corpus: {len(corpus.files):,} files, {corpus.lines:,} lines")
    env = environment_info(args.jobs)
    IDLE_GATE.max_wait_s = args.idle_wait
    repeat = max(1, args.repeat)
    log(f"libcst parse-only run ({args.jobs} workers)")
    rows = [measure_parse_only(corpus, args.jobs, repeat, args.timeout)]
    if not args.skip_isolint:
        rows.extend(measure_isolint(corpus, args.isolint, repeat, args.timeout))
    if not args.skip_ruff:
        rows.append(measure_ruff(corpus, repeat, args.timeout))
    if not args.skip_fixit:
        rows.append(measure_fixit(corpus, args.fixit_venv.resolve(), args.fixit_timeout))
    derive(rows, corpus)
    goals = targets(rows)
    print_report(corpus, env, rows, goals, args)
    out = args.json_out or (DEFAULT_QUICK_JSON_OUT if args.quick else DEFAULT_JSON_OUT)
    results = without_machine_paths(results_json(corpus, env, rows, goals, args.quick))
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"run_bench: {error}", file=sys.stderr)
        sys.exit(2)
