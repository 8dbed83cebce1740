"""The search parser (pure): typed terms, clear errors, and two properties: any text
parses or raises SearchSyntaxError (nothing else), and a parsed query renders to
text that parses to the same terms."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from faultbox.query.search import SearchSyntaxError, parse, render
from faultbox.query.search.terms import (
    AnyTerm,
    AssignedTerm,
    CountTerm,
    DateTerm,
    IsTerm,
    Op,
    SeverityTerm,
    StatusTerm,
    TagTerm,
    TextTerm,
    UserTerm,
)
from faultbox.query.search.values import DAY, time_range

NOW = 1_790_000_000.0


def test_the_sentry_example_query() -> None:
    query = (
        "is:unresolved level:error service:api release:1.4.2 environment:production"
        ' user.id:42 assigned:me severity:P1 "timed out" first-seen:-24h'
        " url:*/checkout* !browser:Safari"
    )
    assert parse(query) == [
        IsTerm("unresolved"),
        TagTerm("level", ("error",)),
        TagTerm("service", ("api",)),
        TagTerm("release", ("1.4.2",)),
        TagTerm("environment", ("production",)),
        UserTerm("id", ("42",)),
        AssignedTerm("me"),
        SeverityTerm(Op.EQ, "P1"),
        TextTerm("timed out", quoted=True),
        DateTerm("first-seen", Op.EQ, "-24h"),
        TagTerm("url", ("", "/checkout", "")),
        TagTerm("browser", ("Safari",), negated=True),
    ]
    assert render(parse(query)) == query


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("-key:value", TagTerm("key", ("value",), negated=True)),
        ('tenant:"acme corp"', TagTerm("tenant", ("acme corp",))),
        ('msg:"say \\"hi\\""', TagTerm("msg", ('say "hi"',))),
        ("sku:a\\*b*", TagTerm("sku", ("a*b", ""))),  # an escaped star is literal
        ("url:*", TagTerm("url", ("", ""))),
        ("has:browser", TagTerm("browser", ("", ""))),
        ("!has:user.id", UserTerm("id", ("", ""), negated=True)),
        ("user.email:*@example.com", UserTerm("email", ("", "@example.com"))),
        ("LEVEL:Warning", TagTerm("level", ("warning",))),
        ("is:Fixed", IsTerm("fixed")),
        ("is:in_progress", IsTerm("in_progress")),
        ("status:resolved", StatusTerm("resolved")),
        ("assigned:Ada@Example.com", AssignedTerm("Ada@Example.com")),
        ("assigned:NONE", AssignedTerm("none")),
        ("times-seen:>100", CountTerm("times-seen", Op.GT, 100)),
        ("events:>=5", CountTerm("times-seen", Op.GE, 5)),
        ("timesSeen:7", CountTerm("times-seen", Op.EQ, 7)),
        ("users:<=10", CountTerm("users", Op.LE, 10)),
        ("!users:<3", CountTerm("users", Op.LT, 3, negated=True)),
        ("last-seen:+7d", DateTerm("last-seen", Op.EQ, "+7d")),
        ("firstSeen:>2026-11-01", DateTerm("first-seen", Op.GT, "2026-11-01")),
        ('last-seen:<="2026-11-01 12:00"', DateTerm("last-seen", Op.LE, "2026-11-01 12:00")),
        ("first-seen:2026-11-01", DateTerm("first-seen", Op.EQ, "2026-11-01")),
        ("severity:<=p1", SeverityTerm(Op.LE, "P1")),
        ("severity:none", SeverityTerm(Op.EQ, "none")),
        ("checkout*", TextTerm("checkout", prefix=True)),
        ("!timeout", TextTerm("timeout", negated=True)),
        ('!"timed out"', TextTerm("timed out", quoted=True, negated=True)),
        ("-1", TextTerm("-1")),  # a dash before no key is text
        ("Note:", TextTerm("Note:")),  # a key without a value is text
        ("https://shop.example.com/cart", TextTerm("https://shop.example.com/cart")),
    ],
)
def test_single_terms(text: str, term: object) -> None:
    assert parse(text) == [term]
    assert parse(render(parse(text))) == [term]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("is:foo", "unknown is: value 'foo'; known: unresolved, fixed, assigned"),
        ("status:open", "unknown status 'open'; known: unresolved, detected"),
        ("times-seen:>abc", "bad comparison 'times-seen:>abc': expected a whole number"),
        ("users:>-1", "bad comparison 'users:>-1'"),
        ("first-seen:>-24h", "a relative time takes no >, <"),
        ("first-seen:-24y", "expected -24h, +7d (units s, m, h, d, w) or a time"),
        ("first-seen:2026-11-01T10:00", "or give a date alone for that whole day"),
        ("last-seen:-99999999w", "bad comparison"),
        ("severity:P5", "bad severity 'severity:P5': expected P0 to P3"),
        ("severity:>none", "bad severity"),
        ("times-seen:>", "'times-seen:>' needs a value"),
        ("level:warn", "unknown level 'warn'"),
        ("assigned:bob", "assigned: takes me, none or an email address"),
        ("has:is", "has: takes a tag name"),
        ('has:"a b"', "has: takes a tag name"),
        ("user.phone:1", "unknown key 'user.phone'"),
        ('tag:""', "empty value for 'tag:'"),
        ('"timed out', "column 1: unterminated quote"),
        ('x "a"b', "column 6: expected a space after the closing quote"),
        ("a ! b", "column 3: '!' must stand before a term"),
        ("x " * 60, "too many terms: 60"),
        ("k:[" + ",".join("v" * 51) + "]", "too many terms: 51"),
        ("k:[a", "column 1: unterminated list"),
        ("k:[a b]", "column 6: expected ',' or ']' in the list, got 'b'"),
        ("k:[]", "empty value in the list for 'k:'"),
        ("k:[a,]", "empty value in the list for 'k:'"),
        ("k:[a]b", "column 6: expected a space after ']'"),
        ('k:["a]', "unterminated quote in the list"),
        ("level:[error, warn]", "unknown level 'warn'"),
        ("severity:[>P1]", "bad severity"),
        ("x" * 2001, "query too long"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SearchSyntaxError) as raised:
        parse(text)
    assert message in str(raised.value)


def test_lists_match_any_of_their_values() -> None:
    assert parse('level:[error, fatal] !release:[1.0, "2 0", 3*]') == [
        AnyTerm((TagTerm("level", ("error",)), TagTerm("level", ("fatal",)))),
        AnyTerm(
            (
                TagTerm("release", ("1.0",)),
                TagTerm("release", ("2 0",)),
                TagTerm("release", ("3", "")),
            ),
            negated=True,
        ),
    ]
    assert parse("user.id:[1,2]") == [AnyTerm((UserTerm("id", ("1",)), UserTerm("id", ("2",))))]
    assert parse("severity:[P0, P1]") == [
        AnyTerm((SeverityTerm(Op.EQ, "P0"), SeverityTerm(Op.EQ, "P1")))
    ]
    # One value, or the same value twice, is that term alone.
    assert parse("!k:[a, a]") == [TagTerm("k", ("a",), negated=True)]
    # A quoted bracket is a literal value; rendering keeps it one.
    assert parse('k:"[a"') == [TagTerm("k", ("[a",))]
    assert render(parse('k:"[a" k:["x,y", "]"]')) == 'k:"[a" k:["x,y", "]"]'


def test_time_ranges() -> None:
    def span(text: str) -> tuple[float | None, bool, float | None, bool]:
        (term,) = parse(text)
        assert isinstance(term, DateTerm)
        r = time_range(term, NOW)
        return r.low, r.low_inclusive, r.high, r.high_inclusive

    assert span("first-seen:-24h") == (NOW - DAY, True, None, False)
    assert span("first-seen:+2w") == (None, True, NOW - 14 * DAY, False)
    assert span("last-seen:-30m")[0] == NOW - 1800
    day = 1_793_491_200.0  # 2026-11-01T00:00:00Z
    assert span("last-seen:2026-11-01") == (day, True, day + DAY, False)
    assert span("last-seen:>2026-11-01") == (day, False, None, False)
    assert span("last-seen:<=2026-11-01T00:00:00Z") == (None, True, day, True)


# -- properties ---------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "is:", "level:", "user.id:", "url:", "!", "-", '"', "\\", "*", ":", " ", "\t",
        ">", ">=", "<", "=", "times-seen:", "users:", "first-seen:", "severity:", "has:",
        "assigned:", "status:", "unresolved", "error", "P1", "-24h", "+7d", "2026-11-01",
        "me", "a@b.c", "timed", "out", "x", "é", "1", "\x00", "\u2028", "user.",
        "[", "]", ",", ", ", "k:[", "level:[error,",
    ]
)  # fmt: skip
_QUERIES = st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=12).map("".join))


@settings(max_examples=600, deadline=None)
@given(_QUERIES)
@example('a:"b\\" c" d')
@example("k:\\")
@example('!"x"')
def test_any_text_parses_or_raises_a_syntax_error(text: str) -> None:
    try:
        parse(text)
    except SearchSyntaxError:
        pass


@settings(max_examples=600, deadline=None)
@given(_QUERIES)
@example('k:"a b*c\\\\"')
@example("k:a\\ b")
@example('k:x"y')
@example("-k:")
@example("**")
@example('k:[a, "b c", d*]')
@example("k:[[]")
@example('k:["]"]')
def test_rendered_terms_parse_back_to_the_same_terms(text: str) -> None:
    try:
        terms = parse(text)
    except SearchSyntaxError:
        return
    assert parse(render(terms)) == terms
