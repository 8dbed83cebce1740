"""Atlassian Document Format (ADF) for Jira Cloud's v3 API: the ticket description and
comments are ``{"type": "doc", "version": 1, "content": [...]}``, not Markdown.

The head (summary, explanation, link) is built from plain values, so event text is
only ever text nodes. The analysis report arrives as the Markdown of
``query.report_markdown``; :func:`markdown_blocks` reads the few constructs it writes
(headings, bullet lists, ``**bold**``, fenced code, rules) and unescapes the rest back
to the literal text. Jira refuses a field over 32 767 characters (the stored ADF), so
:func:`document` adds whole blocks while they fit and says where it cut."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import orjson

from faultbox.query.markdown_escape import unreversible

Node = dict[str, Any]

FIELD_LIMIT = 32767
BUDGET = 32000  # the document's JSON size kept under Jira's field limit
LINE_LIMIT = 2000  # characters of one text node
_HEADING = re.compile(r"^(#{1,6}) +(.*)$")
_BULLET = re.compile(r"^[-*] +(.*)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r"^ {0,3}(-{3,}|\*{3,}|_{3,}) *$")
_STRONG = re.compile(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*")
CUT_NOTE = "The report was cut to fit; the whole report is on the issue in Faultbox."


def clean(text: str, limit: int = LINE_LIMIT) -> str:
    """Text for a text node: no control characters, at most ``limit`` characters."""
    kept = "".join(c for c in text if unicodedata.category(c) != "Cc" or c == "\t")
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def text(value: str, *marks: Node) -> list[Node]:
    """A text node, or none for empty text (ADF refuses empty text nodes)."""
    value = clean(value)
    if not value:
        return []
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return [node]


def strong() -> Node:
    return {"type": "strong"}


def em() -> Node:
    return {"type": "em"}


def link(href: str) -> Node:
    return {"type": "link", "attrs": {"href": href}}


def paragraph(*inlines: list[Node]) -> Node:
    content = [node for part in inlines for node in part]
    return {"type": "paragraph", "content": content}


def lines_paragraph(lines: list[list[Node]]) -> Node:
    """Lines of one paragraph, joined by hard breaks."""
    content: list[Node] = []
    for line in lines:
        if content:
            content.append({"type": "hardBreak"})
        content.extend(line)
    return {"type": "paragraph", "content": content}


def bullet_list(items: list[list[Node]]) -> Node:
    return {
        "type": "bulletList",
        "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": item}]}
            for item in items
        ],
    }


def code_block(code: str) -> Node:
    body = "".join(c for c in code if unicodedata.category(c) != "Cc" or c in "\n\t")
    body = body[: LINE_LIMIT * 4]
    return {"type": "codeBlock", "content": [{"type": "text", "text": body}] if body else []}


def inline_markdown(line: str) -> list[Node]:
    """One line of the report: ``**bold**`` spans become strong, escapes are undone."""
    nodes: list[Node] = []
    at = 0
    for match in _STRONG.finditer(line):
        nodes += text(unreversible(line[at : match.start()]))
        nodes += text(unreversible(match.group(1)), strong())
        at = match.end()
    nodes += text(unreversible(line[at:]))
    return nodes


def markdown_blocks(markdown: str) -> list[Node]:
    blocks: list[Node] = []
    para: list[list[Node]] = []
    bullets: list[list[Node]] = []
    code: list[str] | None = None
    fence = ""

    def flush() -> None:
        if para:
            blocks.append(lines_paragraph([line for line in para if line] or [[]]))
            para.clear()
        if bullets:
            blocks.append(bullet_list(list(bullets)))
            bullets.clear()

    for line in markdown.split("\n"):
        if code is not None:
            match = _FENCE.match(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                blocks.append(code_block("\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        if match := _FENCE.match(line):
            flush()
            code, fence = [], match.group(1)
        elif not line.strip():
            flush()
        elif _RULE.match(line):
            flush()
            blocks.append({"type": "rule"})
        elif match := _HEADING.match(line):
            flush()
            content = inline_markdown(match.group(2))
            if content:
                level = len(match.group(1))
                blocks.append({"type": "heading", "attrs": {"level": level}, "content": content})
        elif match := _BULLET.match(line):
            if para:
                flush()
            item = inline_markdown(match.group(1))
            if item:
                bullets.append(item)
        else:
            if bullets:
                flush()
            content = inline_markdown(line)
            if content:
                para.append(content)
    flush()
    if code is not None:
        blocks.append(code_block("\n".join(code)))
    return [b for b in blocks if b["type"] != "paragraph" or b["content"]]


def size(node: Node) -> int:
    return len(orjson.dumps(node).decode())


def document(head: Sequence[Node], tail: Sequence[Node] = (), budget: int = BUDGET) -> Node:
    """A doc of the ``head`` blocks then the ``tail`` blocks while the JSON stays within
    ``budget`` characters; when a block does not fit, a note says the rest was cut."""
    doc: Node = {"type": "doc", "version": 1, "content": []}
    used = size(doc)
    note = paragraph(text(CUT_NOTE, em()))
    room = budget - size(note) - 1
    for block in [*head, *tail]:
        cost = size(block) + 1
        if used + cost > room:
            doc["content"].append(note)
            break
        doc["content"].append(block)
        used += cost
    if not doc["content"]:
        doc["content"].append(paragraph(text("Faultbox alert")))
    return doc
