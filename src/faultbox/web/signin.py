"""Sign-in checks: the password, and throttling of repeated failures (shared through the
database, so every server process counts the same attempts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from faultbox.accounts.passwords import verify_password
from faultbox.store.accounts import get_user_by_email
from faultbox.store.errors import NotFound
from faultbox.store.web_sessions import recent_failures, record_login_attempt

WINDOW_SECONDS = 15 * 60
# A client address may fail for several people (an office behind one NAT).
IP_FACTOR = 6
# Verifying against a fixed hash when the email is unknown takes as long as a real
# check, so the answer's timing does not tell which emails have accounts.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "I9vSPw7c4pHsNKlqD7qWyqUG1I9hS9gGZl5m3xWq4mE"
)


@dataclass(frozen=True)
class SignInResult:
    user_id: int | None
    retry_after: int | None = None  # seconds, when throttled


def check_sign_in(
    conn: Connection, *, email: str, password: str, ip: str, now: float, max_failures: int
) -> SignInResult:
    failures = recent_failures(conn, email=email, ip=ip, since=now - WINDOW_SECONDS)
    if failures.by_email >= max_failures or failures.by_ip >= max_failures * IP_FACTOR:
        oldest = failures.oldest_at if failures.oldest_at is not None else now
        return SignInResult(None, retry_after=max(1, int(oldest + WINDOW_SECONDS - now) + 1))
    try:
        user = get_user_by_email(conn, email.strip())
    except NotFound:
        verify_password(_DUMMY_HASH, password)
        user_id = None
    else:
        user_id = (
            user.id if user.is_active and verify_password(user.password_hash, password) else None
        )
    record_login_attempt(conn, email=email.strip(), ip=ip, succeeded=user_id is not None, now=now)
    return SignInResult(user_id)
