"""A user's own API tokens: list, revoke, and when each was last used."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, or_, select

from faultbox.store.schema import api_tokens

# Recording every use would write on every API request; once a minute is enough to
# answer "is this token still in use?".
TOUCH_EVERY = 60.0


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    label: str
    scopes: tuple[str, ...]
    created_at: float
    last_used_at: float | None


def tokens_of(conn: Connection, user_id: int) -> list[TokenRow]:
    rows = conn.execute(
        select(api_tokens)
        .where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
    )
    return [
        TokenRow(
            int(r.id),
            r.label,
            tuple(r.scopes.split()),
            float(r.created_at),
            None if r.last_used_at is None else float(r.last_used_at),
        )
        for r in rows
    ]


def revoke_token(conn: Connection, *, user_id: int, token_id: int) -> bool:
    """Delete one of the user's tokens; False when the user has no such token."""
    result = conn.execute(
        api_tokens.delete().where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
    )
    return bool(result.rowcount)


def token_needs_touch(conn: Connection, token_id: int, *, now: float) -> bool:
    last: float | None = conn.execute(
        select(api_tokens.c.last_used_at).where(api_tokens.c.id == token_id)
    ).scalar_one_or_none()
    return last is None or last < now - TOUCH_EVERY


def touch_token(conn: Connection, token_id: int, *, now: float) -> None:
    conn.execute(
        api_tokens.update()
        .where(
            api_tokens.c.id == token_id,
            or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )
