"""The catalogue's file format and the Markdown escaping, on arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from faultbox.query.catalogue_files import file_slug
from faultbox.query.catalogue_format import (
    CatalogueFormatError,
    boundary_for,
    field_block,
    front_line,
    parse_document,
)
from faultbox.query.markdown_escape import code_block, inline, reversible, unreversible

NAMES = ("symptoms", "diagnosis")
# Markdown-ish text: the characters that make structure, plus anything else.
markdownish = st.text(
    st.one_of(
        st.sampled_from(list("#`~*_[]()<>!|-=+.\\&\r\n \t1")),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=200,
)


def _file(fields: dict[str, str]) -> str:
    boundary = boundary_for(fields.values())
    blocks = [f"## {name}\n\n{field_block(name, text, boundary)}" for name, text in fields.items()]
    return front_line({"kind": "error", "boundary": boundary}) + "\n# T\n\n" + "\n\n".join(blocks)


@given(markdownish, markdownish)
def test_fields_read_back_exactly(symptoms: str, diagnosis: str) -> None:
    fields = {"symptoms": symptoms, "diagnosis": diagnosis}
    assert parse_document(_file(fields), NAMES).fields == fields


def test_a_field_may_quote_markers_and_headers() -> None:
    inner = _file({"symptoms": "x"})  # a whole exported file pasted into a field
    fields = {"symptoms": inner, "diagnosis": "```\n## code\n```"}
    assert parse_document(_file(fields), NAMES).fields == fields


@given(markdownish)
def test_reversible_is_one_line_and_lossless(text: str) -> None:
    written = reversible(text)
    assert "\n" not in written and "\r" not in written
    assert unreversible(written) == text


@given(markdownish)
def test_inline_text_renders_as_text(text: str) -> None:
    html = MarkdownIt("commonmark", {"html": True}).render("x " + inline(text))
    for tag in ("<a ", "<img", "<em>", "<strong>", "<code>", "<script", "<h1>", "<li>"):
        assert tag not in html


@given(markdownish)
def test_code_blocks_cannot_be_closed_from_inside(text: str) -> None:
    html = MarkdownIt("commonmark").render(code_block(text) + "\n\nafter")
    assert html.count("<pre>") == 1 and html.endswith("<p>after</p>\n")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Database connection pool exhaustion", "database-connection-pool-exhaustion"),
        ("../../etc/passwd", "etc-passwd"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("日本語", "untitled"),
        ("x" * 80, "x" * 60),
        ("word " * 30, ("word-" * 12).rstrip("-")),
    ],
)
def test_file_slugs(title: str, slug: str) -> None:
    assert file_slug(title) == slug


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no header\n", "no faultbox header"),
        ("<!-- faultbox {oops} -->\n", "not valid JSON"),
        ('<!-- faultbox {"format": 2} -->\n', "format 1"),
        ('<!-- faultbox {"format": 1} -->\n', "no valid boundary"),
    ],
)
def test_malformed_headers(text: str, message: str) -> None:
    with pytest.raises(CatalogueFormatError, match=message):
        parse_document(text, NAMES)


def test_malformed_markers() -> None:
    good = _file({"symptoms": "a", "diagnosis": "b"})
    boundary = boundary_for(["a", "b"])
    twice = good + "\n" + field_block("symptoms", "c", boundary)
    with pytest.raises(CatalogueFormatError, match="appears twice"):
        parse_document(twice, NAMES)
    with pytest.raises(CatalogueFormatError, match="unknown field 'runbook'"):
        parse_document(good + "\n" + field_block("runbook", "c", boundary), NAMES)
    unclosed = good.replace(f"<!-- faultbox:end symptoms {boundary} -->", "")
    with pytest.raises(CatalogueFormatError, match="not closed before 'diagnosis'"):
        parse_document(unclosed, NAMES)


def test_an_editor_that_converted_the_file_to_crlf() -> None:
    fields = {"symptoms": "line one\nline two", "diagnosis": ""}
    converted = _file(fields).replace("\n", "\r\n")
    assert parse_document(converted, NAMES).fields == fields
