"""A small Markdown-to-HTML renderer for the rule documents embedded in the HTML report.

It knows what ``rules/ISOnnn.md`` use, no more: ATX headings, paragraphs, fenced code, bullet
and numbered lists (with wrapped continuation lines), pipe tables, and inline code, bold,
emphasis and links. Every piece of text is HTML-escaped; a link becomes an ``<a>`` only when
it points at another rule's document (an anchor in the page) or at an ``http(s)`` address.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

# Where a link to another rule document (``ISO101.md``) points: an anchor in the page.
LinkTarget = Callable[[str], str | None]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_ORDERED = re.compile(r"^\s*\d+[.)]\s")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<href>[^)\s]+)\)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s][^*]*?)\*(?![\w*])"
)
_RULE_DOC_LINK = re.compile(r"^(?:\.\./rules/|rules/)?(ISO\d{3})\.md(?:#.*)?$")


def markdown_to_html(markdown: str, link_target: LinkTarget, heading_offset: int = 1) -> str:
    """The HTML of ``markdown``; headings move down ``heading_offset`` levels (max ``h6``)."""
    return "\n".join(_blocks(markdown.splitlines(), link_target, heading_offset))


def _blocks(lines: list[str], link_target: LinkTarget, heading_offset: int) -> Iterator[str]:
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
        elif _FENCE.match(line):
            index, block = _code_block(lines, index)
            yield block
        elif heading := _HEADING.match(line):
            level = min(6, len(heading.group(1)) + heading_offset)
            yield f"<h{level}>{inline_html(heading.group(2), link_target)}</h{level}>"
            index += 1
        elif line.lstrip().startswith("|"):
            index, block = _table(lines, index, link_target)
            yield block
        elif _BULLET.match(line):
            index, block = _list(lines, index, link_target)
            yield block
        else:
            index, block = _paragraph(lines, index, link_target)
            yield block


def _code_block(lines: list[str], start: int) -> tuple[int, str]:
    fence = lines[start].strip()[:3]
    body: list[str] = []
    index = start + 1
    while index < len(lines) and not lines[index].strip().startswith(fence):
        body.append(lines[index])
        index += 1
    code = html.escape("\n".join(body))
    return index + 1, f'<pre class="md-code"><code>{code}</code></pre>'


def _table(lines: list[str], start: int, link_target: LinkTarget) -> tuple[int, str]:
    rows: list[list[str]] = []
    index = start
    has_header = False
    while index < len(lines) and lines[index].lstrip().startswith("|"):
        if _TABLE_RULE.match(lines[index].strip()):
            has_header = len(rows) == 1
        else:
            rows.append(_cells(lines[index]))
        index += 1
    parts = ["<table>"]
    for number, row in enumerate(rows):
        tag = "th" if has_header and number == 0 else "td"
        cells = "".join(f"<{tag}>{inline_html(cell, link_target)}</{tag}>" for cell in row)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    return index, "".join(parts)


def _cells(line: str) -> list[str]:
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") else text
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", text)]


def _list(lines: list[str], start: int, link_target: LinkTarget) -> tuple[int, str]:
    tag = "ol" if _ORDERED.match(lines[start]) else "ul"
    items: list[list[str]] = []
    index = start
    while index < len(lines) and lines[index].strip():
        bullet = _BULLET.match(lines[index])
        if bullet:
            items.append([bullet.group(2)])
        else:
            items[-1].append(lines[index].strip())
        index += 1
    rendered = "".join(f"<li>{inline_html(' '.join(item), link_target)}</li>" for item in items)
    return index, f"<{tag}>{rendered}</{tag}>"


def _paragraph(lines: list[str], start: int, link_target: LinkTarget) -> tuple[int, str]:
    text: list[str] = []
    index = start
    while index < len(lines) and lines[index].strip() and not _starts_block(lines[index]):
        text.append(lines[index].strip())
        index += 1
    return index, f"<p>{inline_html(' '.join(text), link_target)}</p>"


def _starts_block(line: str) -> bool:
    return bool(_FENCE.match(line) or _HEADING.match(line) or line.lstrip().startswith("|"))


def inline_html(text: str, link_target: LinkTarget) -> str:
    """One line of Markdown text as escaped HTML with code, bold, emphasis and links."""
    parts: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        parts.append(_inline_element(match, link_target))
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _inline_element(match: re.Match[str], link_target: LinkTarget) -> str:
    if match.group("code_text") is not None:
        return f"<code>{html.escape(match.group('code_text').strip())}</code>"
    if match.group("bold") is not None:
        return f"<strong>{inline_html(match.group('bold'), link_target)}</strong>"
    if match.group("em") is not None:
        return f"<em>{inline_html(match.group('em'), link_target)}</em>"
    label = inline_html(match.group("link_text"), link_target)
    href = _href(match.group("href"), link_target)
    if href is None:
        return label
    return f'<a href="{html.escape(href)}" rel="noreferrer">{label}</a>'


def _href(target: str, link_target: LinkTarget) -> str | None:
    """Where a link may point: another rule's anchor, or an http(s) address; else nowhere."""
    rule = _RULE_DOC_LINK.match(target)
    if rule:
        return link_target(rule.group(1))
    if target.startswith(("https://", "http://")):
        return target
    return None
