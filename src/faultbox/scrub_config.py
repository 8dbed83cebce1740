"""Per-project PII scrubbing settings: pure data, validated once.

Shared by the digest (which applies them) and the API and CLI (which edit them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

_MAX_FIELDS = 200
_MAX_FIELD_LEN = 100


def normalize_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def _field_list(obj: dict[Any, Any], name: str) -> tuple[str, ...]:
    value = obj.get(name, [])
    if not isinstance(value, list | tuple):
        raise ValueError(f"scrub config: {name!r} must be a list of strings")
    if len(value) > _MAX_FIELDS:
        raise ValueError(f"scrub config: {name!r} has more than {_MAX_FIELDS} entries")
    for item in value:
        if not isinstance(item, str) or not normalize_key(item.strip()):
            raise ValueError(f"scrub config: {name!r} entries must be non-empty field names")
        if len(item) > _MAX_FIELD_LEN:
            raise ValueError(f"scrub config: {name!r} entry longer than {_MAX_FIELD_LEN}")
    return tuple(item.strip() for item in value)


def _flag(obj: dict[Any, Any], name: str, default: bool) -> bool:
    value = obj.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"scrub config: {name!r} must be true or false")
    return value


@dataclass(frozen=True, slots=True)
class ScrubConfig:
    enabled: bool = True
    extra_fields: tuple[str, ...] = ()  # more denied key substrings
    safe_fields: tuple[str, ...] = ()  # keys never scrubbed, nor anything below them
    scrub_credit_cards: bool = True
    scrub_ip_addresses: bool = False

    @classmethod
    def from_json(cls, obj: object) -> ScrubConfig:
        """The per-project JSON object; ``None`` means the defaults."""
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise ValueError("scrub config must be a JSON object")
        unknown = sorted(str(k) for k in obj if k not in _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"scrub config: unknown key(s) {', '.join(unknown)}")
        return cls(
            enabled=_flag(obj, "enabled", True),
            extra_fields=_field_list(obj, "extra_fields"),
            safe_fields=_field_list(obj, "safe_fields"),
            scrub_credit_cards=_flag(obj, "scrub_credit_cards", True),
            scrub_ip_addresses=_flag(obj, "scrub_ip_addresses", False),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "extra_fields": list(self.extra_fields),
            "safe_fields": list(self.safe_fields),
            "scrub_credit_cards": self.scrub_credit_cards,
            "scrub_ip_addresses": self.scrub_ip_addresses,
        }


_CONFIG_KEYS = frozenset(f.name for f in dataclasses.fields(ScrubConfig))
