"""Signed acknowledge links: the URL in a page that acknowledges its incident without
signing in (the token is the authority), valid for seven days.

A token is ``v1.<incident id>.<expiry>.<signature>``: the signature is the
HMAC-SHA256 of everything before it, under a key derived from the server's secret
key for this purpose only (HKDF), so a token can never be made from anything else
the secret signs or seals. It is compared as text in constant time: any changed byte
fails (even in the signature's last base64 character, whose low bits carry nothing).
Changing the secret key invalidates every link out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LIFETIME = 7 * 86400.0
VERSION = "v1"
_PURPOSE = b"faultbox incident acknowledge links v1"
_TOKEN = re.compile(r"v1\.([1-9][0-9]{0,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
MAX_TOKEN = 100  # longer is not one of ours: refused before any work


class BadAckLink(ValueError):
    """Not a token we made: malformed, tampered with, or signed with another key."""


class ExpiredAckLink(BadAckLink):
    """A real token whose seven days have passed."""


def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode()
    )


def _signature(secret_key: str, signed: str) -> str:
    mac = hmac.new(_key(secret_key), signed.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def token_for(secret_key: str, incident_id: int, now: float) -> str:
    if not 0 < incident_id < 2**63:
        raise ValueError(f"not an incident id: {incident_id}")
    signed = f"{VERSION}.{incident_id}.{int(now + LIFETIME)}"
    return f"{signed}.{_signature(secret_key, signed)}"


def url_for(public_url: str, secret_key: str, incident_id: int, now: float) -> str:
    return f"{public_url.rstrip('/')}/alerts/ack/{token_for(secret_key, incident_id, now)}"


def verify(secret_key: str, token: str, now: float) -> int:
    """The incident id the token acknowledges; :class:`BadAckLink` when it is not one
    of ours, :class:`ExpiredAckLink` when it is but too old."""
    match = _TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN else None
    if match is None:
        raise BadAckLink("this acknowledge link is malformed (was it cut or changed?)")
    signed = token[: match.start(3) - 1]
    if not hmac.compare_digest(_signature(secret_key, signed), match.group(3)):
        raise BadAckLink("this acknowledge link's signature is not valid")
    incident_id = int(match.group(1))
    if not incident_id < 2**63:
        raise BadAckLink("this acknowledge link names no incident")
    if now > int(match.group(2)):
        raise ExpiredAckLink(
            "this acknowledge link has expired (links are valid for 7 days): "
            "acknowledge from the dashboard instead"
        )
    return incident_id
