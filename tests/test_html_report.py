"""The HTML report, end to end: the page of a small project against its golden file, the
escaping of hostile sources and paths, ``--output-file``, and the page in a real headless
browser (a screenshot that is not blank, the DOM after the filter script ran).

``ISOLINT_UPDATE_GOLDEN=1`` rewrites ``tests/data/html_report/report.html`` from the page
isolint writes now. The browser tests look for Chromium or Chrome on the PATH and are skipped,
saying so, when there is none (``apt-get install chromium`` on Debian).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, run_cli, write_project

from isolint.findings import Finding, Related, Severity
from isolint.report.html import flow_steps, group_findings, html_report
from isolint.report.html_markdown import markdown_to_html

DATA = REPO / "tests" / "data" / "html_report"
GOLDEN = DATA / "report.html"
UPDATE_GOLDEN = os.environ.get("ISOLINT_UPDATE_GOLDEN") == "1"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

HOSTILE_NAME = "app/x<img src=x onerror=alert(2)>.py"
HOSTILE_SOURCE = (
    "ITEMS = []\n\n\n"
    "async def handle(user_id, item):\n"
    "    # \x1b[31m red \u202e evil </script><script>alert(1)</script>\n"
    "    ITEMS.append(item)  # <img src=x onerror=alert(1)>\n"
)


def small_project_page(output: Path) -> str:
    """The HTML report of tests/data/html_report/project, written with ``-o``."""
    result = run_cli(
        "check", "project", "--no-cache", "--output-format", "html", "-o", str(output), cwd=DATA
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == "" and result.stderr == ""
    return output.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    small_project_page(path)
    return path


def test_the_page_of_the_small_project_matches_its_golden(page_file: Path) -> None:
    page = page_file.read_text(encoding="utf-8")
    if UPDATE_GOLDEN:
        GOLDEN.write_text(page, encoding="utf-8")
    assert page == GOLDEN.read_text(encoding="utf-8"), "run with ISOLINT_UPDATE_GOLDEN=1"


def test_the_page_is_self_contained_ascii_and_without_machine_paths(page_file: Path) -> None:
    page = page_file.read_text(encoding="utf-8")
    assert page.isascii()
    assert str(REPO) not in page and str(Path.home()) not in page
    elements = parse_html(page)
    assert not [e for e in elements if e.tag in ("link", "img", "iframe", "object", "embed")]
    assert [e.attrs.get("src") for e in elements if e.tag == "script"] == [None]
    for element in elements:
        for name in ("href", "src"):
            value = element.attrs.get(name) or "#"
            assert value.startswith(("#", "https://")), (element.tag, value)


def test_the_page_groups_by_shared_object_and_draws_each_flow(page_file: Path) -> None:
    elements = parse_html(page_file.read_text(encoding="utf-8"))
    groups = [e for e in elements if e.tag == "section" and "group" in e.classes]
    titles = [e.text for e in elements if e.tag == "h2" and e.inside_class("group-head")]
    assert titles == [
        "_PAGES",  # errors first, then the groups that show more of the way
        "Notifier.socket",
        "RECENT_ORDERS",
        "ISO105 mutated-mutable-default",
        "ISO301 module-level-db-session",
    ]
    assert len(groups) == len(titles)
    steps = [e.attrs["class"] for e in elements if e.tag == "li" and "step" in e.classes]
    # _PAGES as ISO402 writes it: created, entry, call, store, reader, in this order
    assert "step step-creation,step step-entry,step step-call,step step-store,step step-reader" in (
        ",".join(steps)
    )
    # without JavaScript: every finding shows, and the filters (which need it) do not
    form = next(e for e in elements if e.attrs.get("id") == "filters")
    assert "hidden" in form.attrs
    assert not [e for e in elements if "hidden" in e.attrs and e is not form]
    documents = {e.attrs["id"] for e in elements if e.tag == "details" and "doc" in e.classes}
    assert documents == {"doc-ISO101", "doc-ISO105", "doc-ISO301", "doc-ISO401", "doc-ISO402"}
    links = {e.attrs["href"] for e in elements if e.tag == "a" and "code" in e.classes}
    assert links == {f"#{anchor}" for anchor in documents}


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The page, printed on stdout, of a file whose name and source try to inject HTML."""
    root = write_project(tmp_path_factory.mktemp("hostile"), {HOSTILE_NAME: HOSTILE_SOURCE})
    result = run_cli("check", ".", "--no-cache", "--output-format", "html", cwd=root)
    assert result.returncode == 1, result.stderr
    return result.stdout


def test_html_goes_to_stdout_without_an_output_file(hostile_page: str) -> None:
    assert hostile_page.startswith("<!DOCTYPE html>") and hostile_page.endswith("</html>\n")
    assert "ISO101" in hostile_page


def test_hostile_sources_and_paths_stay_text(hostile_page: str) -> None:
    page = hostile_page
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "<img" not in page and "\x1b" not in page and "\u202e" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'data-path="app/x&lt;img src=x onerror=alert(2)&gt;.py"' in page
    assert "&#65533;[31m red &#65533; evil" in page


def test_output_file_takes_every_format_and_leaves_stdout_empty(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/x.py": HOSTILE_SOURCE})
    for output_format, start in (("json", "["), ("text", "app/x.py:6:5 ISO101")):
        out = tmp_path / "out" / f"report.{output_format}"
        result = run_cli(
            "check", ".", "--no-cache", "--output-format", output_format, "-o", str(out), cwd=root
        )
        assert result.returncode == 1, result.stderr
        assert result.stdout == ""
        assert out.read_text(encoding="utf-8").startswith(start)


def test_an_unwritable_output_file_is_a_usage_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"app/x.py": HOSTILE_SOURCE})
    (root / "taken").write_text("a file, not a folder", encoding="utf-8")
    result = run_cli(
        "check", ".", "--no-cache", "--output-format", "html", "-o", "taken/r.html", cwd=root
    )
    assert result.returncode == 2
    assert "cannot write the output file taken/r.html" in result.stderr


def test_a_clean_run_says_so(tmp_path: Path) -> None:
    page = html_report([], files_checked=3, cwd=tmp_path)
    assert "All checks passed (3 files checked)." in page
    assert 'id="filters"' not in page


def finding(code: str, line: int, related: tuple[Related, ...], shared: str = "") -> Finding:
    return Finding(
        code, "name", Severity.ERROR, "app/c.py", line, 5, line, 9, "m", "a", related, None, shared
    )


def test_a_finding_without_a_shared_object_joins_the_group_of_its_creations() -> None:
    created = Related("app/c.py", 3, "defined here", "creation")
    other = Related("app/c.py", 4, "defined here", "creation")
    store = finding("ISO402", 10, (created,), shared="CACHE")
    check_then_act = finding("ISO503", 20, (created,))
    elsewhere = finding("ISO503", 30, (created, other))
    groups = group_findings([store, check_then_act, elsewhere])
    assert [(g.title, len(g.findings)) for g in groups] == [("CACHE", 2), ("ISO503 name", 1)]


def test_flow_steps_follow_the_data_whatever_the_order_of_related() -> None:
    places = tuple(
        Related("app/c.py", line, kind, kind)
        for line, kind in ((40, "reader"), (30, "call"), (3, "creation"), (20, "entry"))
    )
    steps = flow_steps(finding("ISO101", 10, places, shared="ITEMS"))
    assert [(s.kind, s.line) for s in steps] == [
        ("creation", 3),
        ("entry", 20),
        ("call", 30),
        ("store", 10),
        ("reader", 40),
    ]


def test_rule_markdown_is_escaped_and_links_only_to_rules_and_the_web() -> None:
    markdown = (
        "# Title\n\n## What it does\n\nSee [ISO101](ISO101.md), [x](javascript:alert(1)) and "
        "[docs](https://example.org/a?b=1&c=2).\n\n```python\nif a < b: '</pre>'\n```\n\n"
        "- one\n  two\n- `<code>`\n\n| a | b |\n| --- | --- |\n| <i> | **bold** |\n"
    )
    rendered = markdown_to_html(markdown, lambda code: f"#doc-{code}")
    assert '<a href="#doc-ISO101" rel="noreferrer">ISO101</a>' in rendered
    assert "javascript" not in rendered
    assert 'href="https://example.org/a?b=1&amp;c=2"' in rendered
    assert "if a &lt; b: &#x27;&lt;/pre&gt;&#x27;" in rendered
    assert "<li>one two</li><li><code>&lt;code&gt;</code></li>" in rendered
    assert "<tr><th>a</th><th>b</th></tr><tr><td>&lt;i&gt;</td><td><strong>bold</strong>" in (
        rendered
    )
    assert "<h2>Title</h2>\n<h3>What it does</h3>" in rendered


# ---- in a real browser -----------------------------------------------------------------------


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


BROWSER = find_browser()
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium or Chrome on the PATH (Debian: apt-get install chromium), "
    "so the HTML report is not rendered in a browser",
)


@dataclass(frozen=True)
class BrowserRun:
    screenshot: bytes
    dom: str
    filtered_dom: str


@pytest.fixture(scope="module")
def rendered(page_file: Path) -> Iterator[BrowserRun]:
    """The small project's page in headless Chromium, three runs at once: a screenshot, the
    DOM after a jump to a rule's document, and the DOM with the filter
    ``#rule=ISO101&path=cache`` applied."""
    assert BROWSER is not None
    url = page_file.as_uri()
    with tempfile.TemporaryDirectory() as folder:
        shot = Path(folder) / "shot.png"
        runs = [
            _browser(folder, "a", f"--screenshot={shot}", "--window-size=1280,2000", url),
            _browser(folder, "b", "--dump-dom", url + "#doc-ISO402"),
            _browser(folder, "c", "--dump-dom", url + "#rule=ISO101&path=cache"),
        ]
        outputs = [run.communicate(timeout=90)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0], outputs
        yield BrowserRun(shot.read_bytes(), outputs[1], outputs[2])


def _browser(folder: str, profile: str, *args: str) -> subprocess.Popen[str]:
    assert BROWSER is not None
    return subprocess.Popen(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={Path(folder) / profile}",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


@needs_browser
def test_the_browser_draws_a_page_that_is_not_blank(rendered: BrowserRun) -> None:
    width, height, pixels = decode_png(rendered.screenshot)
    assert (width, height) == (1280, 2000)
    assert 20_000 < len(rendered.screenshot) < 2_000_000
    assert len(set(pixels)) > 32, "the screenshot is (nearly) uniform"


@needs_browser
def test_the_browser_shows_every_group_flow_and_rule_document(rendered: BrowserRun) -> None:
    elements = parse_html(rendered.dom)
    assert not [e for e in elements if e.tag == "img"], "a source line became an element"
    form = next(e for e in elements if e.attrs.get("id") == "filters")
    assert "hidden" not in form.attrs, "the script shows the filters"
    findings = [e for e in elements if e.tag == "article" and "finding" in e.classes]
    assert len(findings) == 6 and not [e for e in findings if "hidden" in e.attrs]
    kinds = {e.attrs["class"] for e in elements if e.tag == "li" and "step" in e.classes}
    assert {f"step step-{kind}" for kind in ("creation", "entry", "call", "store", "reader")} <= (
        kinds
    )
    ids = {e.attrs.get("id") for e in elements}
    assert {"doc-ISO101", "doc-ISO402", "group-1", "group-5", "finding-6"} <= ids
    assert next(e.text for e in elements if e.attrs.get("id") == "shown") == "6 findings"
    documents = {e.attrs["id"]: "open" in e.attrs for e in elements if e.tag == "details"}
    assert documents["doc-ISO402"], "a jump to a rule's document opens it"
    assert not documents["doc-ISO101"]


@needs_browser
def test_a_filter_in_the_address_hides_the_other_findings(rendered: BrowserRun) -> None:
    elements = parse_html(rendered.filtered_dom)
    findings = [e for e in elements if e.tag == "article" and "finding" in e.classes]
    shown = [
        (e.attrs["data-rule"], e.attrs["data-path"]) for e in findings if "hidden" not in e.attrs
    ]
    assert shown == [("ISO101", "project/shop/cache.py")]
    groups = {e.attrs["id"]: "hidden" in e.attrs for e in elements if "group" in e.classes}
    assert groups == {f"group-{n}": n != 1 for n in range(1, 6)}
    assert next(e.text for e in elements if e.attrs.get("id") == "shown") == (
        "1 of 6 findings shown"
    )
    index = [e.text for e in elements if e.tag == "h2" and e.inside_class("group-index")]
    hidden_index = [
        e.text
        for e in elements
        if e.tag == "h2" and e.inside_class("group-index") and "hidden" in e.attrs
    ]
    assert index == ["Shared objects", "Other findings, by rule"]
    assert hidden_index == ["Other findings, by rule"]


# ---- helpers -------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: list[Element]
    text: str = ""

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def inside_class(self, name: str) -> bool:
        return any(name in ancestor.classes for ancestor in self.ancestors)


class _Collector(HTMLParser):
    """Every element with its attributes, ancestors and own text, in document order."""

    VOID = frozenset({"meta", "link", "img", "input", "br", "hr", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, list(self.open))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def parse_html(page: str) -> list[Element]:
    collector = _Collector()
    collector.feed(page)
    return collector.elements


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed (still filtered) scanlines of an 8-bit PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    pixels = zlib.decompress(idat)
    assert len(pixels) == height * (1 + width * channels)
    return width, height, pixels
