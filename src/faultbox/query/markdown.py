"""Markdown written by users (runbooks, diagnoses, comments) as HTML that is safe to
show: CommonMark with raw HTML escaped, and markdown-it's link check, which refuses
``javascript:``, ``vbscript:``, ``file:`` and non-image ``data:`` URLs."""

from __future__ import annotations

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render(text: str | None) -> str | None:
    return None if text is None else _md.render(text)
