"""The issue's search document (pure): tokens, the fields read, and growth only
when an event brings text the document cannot already answer for, within a bound."""

from __future__ import annotations

from faultbox.model import Event, ExceptionValue, Frame
from faultbox.store.facets import event_facets
from faultbox.store.search_text import MAX_DOCUMENT, event_texts, extend, tokens


def test_tokens_are_lowercase_letter_and_digit_runs() -> None:
    assert tokens("GET /api/Cart_2?x=1") == ["get", "api", "cart", "2", "x", "1"]
    assert tokens("app.db.ConnectionError: ÄRGER 30s") == [
        "app", "db", "connectionerror", "ärger", "30s"
    ]  # fmt: skip
    assert tokens("%_*") == []
    assert tokens("a" * 100) == ["a" * 64]


def _event(**fields: object) -> Event:
    return Event(event_id="e" * 32, project_id=1, timestamp=0.0, received_at=0.0, **fields)  # type: ignore[arg-type]


def test_an_event_gives_names_messages_url_tags_then_frames_innermost_first() -> None:
    event = _event(
        message="checkout failed",
        exceptions=(
            ExceptionValue(
                "TimeoutError",
                "gateway timed out",
                frames=(
                    Frame(filename="app/main.py", function="main", module="app.main"),
                    Frame(
                        filename="app/pay.py",
                        function="charge_card",
                        context_line="    raise TimeoutError('gateway timed out')",
                    ),
                ),
            ),
        ),
        request={"url": "https://shop.example.com/checkout?id=7"},
        tags={"tenant": "acme"},
        environment="production",
    )
    texts = list(
        event_texts(event, "TimeoutError: gateway", "app.pay in charge_card", event_facets(event))
    )
    assert texts == [
        "TimeoutError: gateway",
        "app.pay in charge_card",
        "checkout failed",
        "TimeoutError",
        "gateway timed out",
        "production",
        "acme",
        "https://shop.example.com/checkout",  # the url facet, without the query
        "charge_card",
        "app/pay.py",
        "    raise TimeoutError('gateway timed out')",
        "main",
        "app.main",
        "app/main.py",
    ]  # the level ("error") is not text: it would match nearly every issue


def test_the_document_grows_only_with_text_it_cannot_answer_for() -> None:
    doc = extend("", ["TimeoutError: gateway timed out", "gateway timed out", "TimeoutError"])
    assert doc == "timeouterror gateway timed out"  # the others stand in it already
    assert extend(doc, ["Gateway  TIMED-out", "timeouterror"]) is doc  # nothing new
    more = extend(doc, ["order 42 failed"])
    assert more == "timeouterror gateway timed out\norder 42 failed"
    assert extend(more, ["out order"]) is more  # pieces side by side count as one text


def test_the_document_is_bounded_and_keeps_the_first_pieces() -> None:
    doc = extend("", (f"message number {n}" for n in range(5000)))
    assert len(doc) <= MAX_DOCUMENT
    assert doc.startswith("message number 0\nmessage number 1\n")
    assert extend(doc, ["one more"]) is doc
