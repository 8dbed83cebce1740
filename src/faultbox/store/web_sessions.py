"""Browser sessions and sign-in attempts (for throttling), shared by every server process."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from faultbox.store.schema import login_attempts, users, web_sessions


@dataclass(frozen=True, slots=True)
class SessionUser:
    session_id: int
    user_id: int
    email: str
    is_superuser: bool
    csrf_token: str
    expires_at: float


def _hash(token: str) -> str:
    # 256-bit random tokens: a fast unsalted hash is enough, as for API tokens.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    conn: Connection, *, user_id: int, now: float, lifetime: float, user_agent: str, ip: str
) -> str:
    """A new session; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        web_sessions.insert().values(
            token_hash=_hash(token),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            user_agent=user_agent[:300],
            ip=ip[:64],
        )
    )
    return token


def session_user(conn: Connection, token: str, *, now: float) -> SessionUser | None:
    row = conn.execute(
        select(
            web_sessions.c.id,
            web_sessions.c.user_id,
            web_sessions.c.csrf_token,
            web_sessions.c.expires_at,
            users.c.email,
            users.c.is_superuser,
        )
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(
            web_sessions.c.token_hash == _hash(token),
            web_sessions.c.expires_at > now,
            users.c.is_active.is_(True),
        )
    ).first()
    if row is None:
        return None
    return SessionUser(
        int(row.id),
        int(row.user_id),
        row.email,
        bool(row.is_superuser),
        row.csrf_token,
        float(row.expires_at),
    )


def touch_session(conn: Connection, session_id: int, *, now: float, expires_at: float) -> None:
    conn.execute(
        web_sessions.update()
        .where(web_sessions.c.id == session_id)
        .values(last_seen_at=now, expires_at=expires_at)
    )


def end_session(conn: Connection, token: str) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.token_hash == _hash(token)))


def end_other_sessions(conn: Connection, *, user_id: int, keep_session_id: int | None) -> int:
    """Sign a user out everywhere else (after a password change); returns how many."""
    query = web_sessions.delete().where(web_sessions.c.user_id == user_id)
    if keep_session_id is not None:
        query = query.where(web_sessions.c.id != keep_session_id)
    return int(conn.execute(query).rowcount or 0)


def purge_expired_sessions(conn: Connection, *, now: float) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.expires_at <= now))


def record_login_attempt(
    conn: Connection, *, email: str, ip: str, succeeded: bool, now: float
) -> None:
    conn.execute(
        login_attempts.insert().values(
            email=email.lower()[:254], ip=ip[:64], succeeded=succeeded, created_at=now
        )
    )


@dataclass(frozen=True, slots=True)
class RecentFailures:
    by_email: int
    by_ip: int
    oldest_at: float | None  # the oldest failure in the window, to say when it frees up


def recent_failures(conn: Connection, *, email: str, ip: str, since: float) -> RecentFailures:
    failed = login_attempts.c.succeeded.is_(False)
    recent = login_attempts.c.created_at >= since
    by_email, oldest_email = conn.execute(
        select(func.count(), func.min(login_attempts.c.created_at)).where(
            login_attempts.c.email == email.lower(), failed, recent
        )
    ).one()
    by_ip, oldest_ip = conn.execute(
        select(func.count(), func.min(login_attempts.c.created_at)).where(
            login_attempts.c.ip == ip, failed, recent
        )
    ).one()
    oldest = [t for t in (oldest_email, oldest_ip) if t is not None]
    return RecentFailures(int(by_email), int(by_ip), float(min(oldest)) if oldest else None)


def purge_login_attempts(conn: Connection, *, before: float) -> None:
    conn.execute(login_attempts.delete().where(login_attempts.c.created_at < before))
