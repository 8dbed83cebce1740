from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultbox.digest.grouping.rules import (
    FingerprintRule,
    Matcher,
    RuleSyntaxError,
    fingerprint_for,
    first_match,
    format_rules,
    parse_rules,
)
from faultbox.model import Event, ExceptionValue, Frame, Level, Thread

# --- builders ---------------------------------------------------------------


def event(**kw: Any) -> Event:
    kw.setdefault("platform", "python")
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, **kw)


def exc(type_: str | None, value: str | None = None, *frames: Frame) -> ExceptionValue:
    return ExceptionValue(type=type_, value=value, frames=tuple(frames))


def frame(module: str, function: str = "f", in_app: bool | None = True, **kw: Any) -> Frame:
    return Frame(module=module, function=function, in_app=in_app, **kw)


def matches(rules_text: str, ev: Event) -> bool:
    return first_match(ev, parse_rules(rules_text)) is not None


def one(text: str) -> FingerprintRule:
    (rule,) = parse_rules(text)
    return rule


# --- the examples ---------------------------------------------------

DB_RULE = "error.type:ConnectionError module:app.db.* -> database-connection"


def test_database_example_matches_db_frame() -> None:
    ev = event(
        exceptions=(
            exc("ConnectionError", "refused", frame("app.db.pool", "connect")),
            exc("RuntimeError", "query failed", frame("app.web", "view")),
        )
    )
    rule = first_match(ev, parse_rules(DB_RULE))
    assert rule is not None
    assert fingerprint_for(ev, rule) == ("database-connection",)


def test_database_example_needs_db_module() -> None:
    ev = event(exceptions=(exc("ConnectionError", "refused", frame("app.web", "view")),))
    assert not matches(DB_RULE, ev)


def test_database_example_needs_type_in_chain() -> None:
    ev = event(exceptions=(exc("TimeoutError", "x", frame("app.db.pool")),))
    assert not matches(DB_RULE, ev)


def test_message_glob_is_case_insensitive() -> None:
    rules = 'message:"*timed out*" -> timeouts'
    assert matches(rules, event(message="Request TIMED OUT after 30s"))
    assert matches(rules, event(message_template="Request timed out after %ss"))
    assert not matches(rules, event(message="Request failed"))
    assert one(rules).matchers == (Matcher("message", "*timed out*", False),)


def test_star_crosses_dots_and_slashes_and_brackets_are_literal() -> None:
    ev = event(exceptions=(exc("E", None, frame("a.b.c", abs_path="/srv/x/y.py")),))
    assert matches("module:a* -> x", ev)
    assert matches("path:/srv/*.py -> x", ev)
    assert matches("path:y.py -> x", ev)  # the basename
    assert matches("filename:?.py -> x", ev)
    assert not matches("path:srv -> x", ev)
    assert matches("error.type:[ab] -> x", event(exceptions=(exc("[ab]"),)))
    assert not matches("error.type:[ab] -> x", event(exceptions=(exc("a"),)))


def test_negation() -> None:
    assert matches("!level:info -> x", event(level=Level.ERROR))
    assert not matches("!level:info -> x", event(level=Level.INFO))
    # A negated event matcher holds when the field is missing entirely.
    assert matches("!logger:celery* -> x", event())
    assert not matches("!logger:celery* -> x", event(logger="celery.worker"))


def test_tags_and_event_fields() -> None:
    ev = event(
        tags={"region": "eu-west-1"},
        release="shop@1.2",
        environment="prod",
        service="api",
        logger="app.payments",
    )
    assert matches("tags.region:eu-* -> eu", ev)
    assert not matches("tags.region:us-* -> us", ev)
    assert not matches("tags.other:* -> x", ev)
    assert matches("release:shop@1.* environment:PROD service:api logger:app.* -> x", ev)
    assert not matches("release:shop@1.* environment:staging -> x", ev)


def test_error_value_and_aliases() -> None:
    ev = event(exceptions=(exc("KeyError", "'user_id'"),))
    assert matches("value:*user_id* -> x", ev)
    assert matches("type:keyerror -> x", ev)
    assert one("type:A -> x").matchers[0].key == "error.type"
    assert one("filename:a -> x").matchers[0].key == "path"


def test_frame_matchers_need_the_same_frame() -> None:
    ev = event(exceptions=(exc("E", None, frame("app.db", "helper"), frame("app.web", "connect")),))
    assert not matches("module:app.db function:connect -> x", ev)
    assert matches("module:app.web function:connect -> x", ev)
    # A negated frame matcher is also judged on that one frame.
    assert matches("module:app.db !function:connect -> x", ev)
    assert not matches("module:app.web !function:connect -> x", ev)


def test_app_matcher_and_thread_frames() -> None:
    threaded = event(threads=(Thread("1", "main", True, True, (frame("lib", in_app=None),)),))
    assert matches("app:no module:lib -> x", threaded)
    assert not matches("app:yes -> x", threaded)
    assert matches("app:TRUE -> x", event(exceptions=(exc("E", None, frame("m")),)))
    assert not matches("module:* -> x", event(message="no frames"))


def test_first_match_wins() -> None:
    rules = parse_rules("level:error -> first\nlevel:* -> second\n")
    assert first_match(event(), rules) == rules[0]
    assert first_match(event(level=Level.INFO), rules) == rules[1]
    assert first_match(event(), ()) is None


def test_variables_expand() -> None:
    ev = event(
        exceptions=(
            exc("OSError", None),
            exc("ValueError", "bad", frame("app.core", "parse"), frame("json", "loads", False)),
        )
    )
    rule = one("level:* -> {{type}}, {{ function }},{{  module }}, {{ default }}, lit")
    assert rule.fingerprint == (
        "{{ type }}",
        "{{ function }}",
        "{{ module }}",
        "{{ default }}",
        "lit",
    )
    expanded = fingerprint_for(ev, rule)
    assert expanded == ("ValueError", "parse", "app.core", "{{ default }}", "lit")
    assert fingerprint_for(event(), rule)[:3] == ("<no-type>", "<no-function>", "<no-module>")


def test_comments_quotes_and_text() -> None:
    rules = parse_rules(
        '# header\n\n  message:"a # b -> c, d" -> "x, y", "say \\"hi\\"" # trailing\n'
    )
    assert len(rules) == 1
    assert rules[0].matchers[0].pattern == "a # b -> c, d"
    assert rules[0].fingerprint == ("x, y", 'say "hi"')
    assert rules[0].text.startswith("message:")


# --- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "needle"),
    [
        ("module:a level:b  ", 1, 19, "missing '->'"),
        ("module:a ->", 1, 12, "empty fingerprint"),
        ("module:a -> x,", 1, 15, "empty fingerprint part"),
        ("module:a -> ,x", 1, 13, "empty fingerprint part"),
        ("-> x", 1, 1, "no matchers"),
        ("\n\nmodle:a -> x", 3, 1, "unknown matcher 'modle' (known: error.type"),
        ("module: -> x", 1, 8, "missing value for matcher 'module'"),
        ("module -> x", 1, 7, "missing value for matcher 'module'"),
        ('message:"abc -> x', 1, 9, "unterminated quote"),
        ('level:* -> "abc', 1, 12, "unterminated quote"),
        ("app:maybe -> x", 1, 5, "bad app value 'maybe'"),
        ("tags.:x -> y", 1, 1, "missing tag name"),
        ("level:* -> {{ nope }}", 1, 12, "unknown variable"),
        ('level:* -> a"b', 1, 13, "unexpected"),
        ('level:* -> "a" b', 1, 16, "expected ','"),
        ('message:"a"b -> x', 1, 12, "unexpected 'b'"),
        ("! -> x", 1, 2, "expected a matcher"),
        (" ".join(["level:*"] * 21) + " -> x", 1, 161, "too many matchers"),
        ("level:* -> " + ",".join("abcdefghijk"), 1, 32, "too many fingerprint parts"),
        ("level:* -> " + "x" * 990, 1, 1001, "line too long"),
        ("level:* -> x\n" * 201, 201, 1, "too many rules"),
    ],
)
def test_errors_are_located(text: str, line: int, column: int, needle: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rules(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert needle in str(info.value)
    assert str(info.value).startswith(f"line {line}, column {column}: ")


def test_limits_are_inclusive() -> None:
    assert len(parse_rules("level:* -> x\n" * 200)) == 200
    assert len(one(" ".join(["level:*"] * 20) + " -> x").matchers) == 20
    assert len(one("level:* -> " + ",".join("abcdefghij")).fingerprint) == 10
    line = "level:* -> " + "x" * 989
    assert len(line) == 1000 and one(line).fingerprint == ("x" * 989,)


# --- properties -------------------------------------------------------------


@given(st.text())
def test_parse_only_raises_rule_syntax_error(text: str) -> None:
    try:
        parse_rules(text)
    except RuleSyntaxError:
        pass


_ALPHABET = st.sampled_from(list('ab*?.-> #",\\!:{} \t') + ["é", "x"])


@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_parse_only_raises_rule_syntax_error_on_syntax_soup(text: str) -> None:
    try:
        rules = parse_rules(text)
    except RuleSyntaxError:
        return
    assert parse_rules(format_rules(rules)) == rules


_KEYS = ["error.type", "error.value", "message", "logger", "level", "release", "environment"]
_KEYS += ["service", "tags.x-y", "module", "function", "path"]
_TEXT = st.text(st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=15)


@st.composite
def matchers(draw: st.DrawFn) -> Matcher:
    negated = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        return Matcher("app", draw(st.sampled_from(["yes", "no"])), negated)
    return Matcher(draw(st.sampled_from(_KEYS)), draw(_TEXT), negated)


_PARTS = st.one_of(
    _TEXT.filter(lambda p: p.strip() != "" and "{{" not in p),
    st.sampled_from(["{{ default }}", "{{ type }}", "{{ function }}", "{{ module }}"]),
)


@given(
    st.lists(
        st.builds(
            FingerprintRule,
            st.lists(matchers(), min_size=1, max_size=5).map(tuple),
            st.lists(_PARTS, min_size=1, max_size=5).map(tuple),
        ),
        max_size=5,
    )
)
def test_format_round_trips(rules: list[FingerprintRule]) -> None:
    parsed = parse_rules(format_rules(rules))
    assert parsed == tuple(rules)
    assert [r.text for r in parsed] == format_rules(rules).split("\n")[:-1]


def reference_match(pattern: str, text: str) -> bool:
    if not pattern:
        return not text
    if pattern[0] == "*":
        return reference_match(pattern[1:], text) or (
            bool(text) and reference_match(pattern, text[1:])
        )
    return bool(text) and pattern[0] == text[0] and reference_match(pattern[1:], text[1:])


@given(
    st.text(alphabet="ab*", max_size=8),
    st.text(alphabet="abAB", max_size=10),
)
def test_glob_agrees_with_reference(pattern: str, text: str) -> None:
    assert Matcher("message", pattern).match(text) == reference_match(pattern, text.lower())


@given(st.text(alphabet="ab?*", max_size=8), st.text(alphabet="ab", max_size=10))
def test_question_mark_is_one_character(pattern: str, text: str) -> None:
    # Substituting the text's own characters for `?` keeps the reference simple.
    def ref(p: str, t: str) -> bool:
        if not p:
            return not t
        if p[0] == "*":
            return ref(p[1:], t) or (bool(t) and ref(p, t[1:]))
        return bool(t) and p[0] in ("?", t[0]) and ref(p[1:], t[1:])

    assert Matcher("message", pattern).match(text) == ref(pattern, text)


def test_glob_is_not_catastrophic() -> None:
    # A backtracking translation would take ages here; the greedy scan is instant.
    assert not Matcher("message", "*a*a*a*a*a*a*a*a*b").match("a" * 5000)
