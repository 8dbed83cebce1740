"""Channel secrets (webhook URLs, tokens) sealed with the server's secret key.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived from
``FAULTBOX_SECRET_KEY`` with HKDF, so the signing key itself never encrypts anything
and a different purpose can never decrypt these. Changing the secret key makes sealed
secrets unreadable: :class:`UnreadableSecrets` says so, and the channel must be given
its secrets again.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"faultbox alert channel secrets v1"


class UnreadableSecrets(Exception):
    """Sealed with another secret key (or damaged)."""


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, values: Mapping[str, Any]) -> str:
    return _fernet(secret_key).encrypt(json.dumps(dict(values)).encode()).decode()


def unseal(secret_key: str, sealed: str | None) -> dict[str, Any]:
    if not sealed:
        return {}
    try:
        opened = json.loads(_fernet(secret_key).decrypt(sealed.encode()))
    except (InvalidToken, ValueError) as error:
        raise UnreadableSecrets(
            "the channel's secrets were sealed with another secret key; set them again"
        ) from error
    if not isinstance(opened, dict):
        raise UnreadableSecrets("the channel's sealed secrets are damaged; set them again")
    return opened


def hint(value: object) -> str:
    """Enough to recognise a secret, never enough to use it: its last 4 characters
    (none at all when it is shorter than 12)."""
    text = str(value)
    return "…" + text[-4:] if len(text) >= 12 else "…"
