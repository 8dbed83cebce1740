"""Building ``/api/v1/errors`` payloads (the native API) for the text-trace bugs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TRACES = Path(__file__).resolve().parent / "traces"

Labeled = tuple[str, str, dict[str, Any]]  # (bug label, "sentry" | "native", payload)


def trace(name: str) -> str:
    """A trace template from ``traces/`` (kept as text: real traces have long lines)."""
    return (TRACES / name).read_text(encoding="utf-8").removesuffix("\n")


def fill(template: str, **values: object) -> str:
    """``@@name@@`` markers replaced: traces are full of braces, ``$`` and ``%``."""
    for name, value in values.items():
        template = template.replace(f"@@{name}@@", str(value))
    if "@@" in template:
        raise ValueError(f"unfilled marker in {template[:80]!r}")
    return template


def native(
    label: str,
    error_type: str,
    message: str,
    stack: str | None = None,
    *,
    service: str,
    source: str = "backend",
    **extra: Any,
) -> Labeled:
    payload: dict[str, Any] = {
        "errorCode": "E_UNHANDLED",
        "errorType": error_type,
        "message": message,
        "sourceType": source,
        "serviceName": service,
        "environment": "production",
        "severity": "error",
        "appId": "shop",
        **extra,
    }
    if stack is not None:
        payload["stackTrace"] = stack
    return (label, "native", payload)
