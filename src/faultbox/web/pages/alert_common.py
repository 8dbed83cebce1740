"""What the alerting pages share: who may change alerts, the posted form (its fields
depend on the chosen condition or channel kind, so they are read by name), limits and
notices."""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import FormData

ALERTS_READ = "project:read"
# Sentry's scope: members, admins and owners change rules and channels; viewers look.
ALERTS_WRITE = "alerts:write"
MAX_FORM_BYTES = 64 * 1024  # a rule or channel form is a few hundred bytes
MAX_FIELD = 4000  # characters of any one field

NOTICES = {
    "rule-created": "Rule created.",
    "rule-saved": "Rule saved.",
    "rule-enabled": "Rule enabled.",
    "rule-disabled": "Rule disabled.",
    "rule-deleted": "Rule deleted.",
    "channel-created": "Channel created. Its secrets are sealed and will not be shown again.",
    "channel-saved": "Channel saved.",
    "channel-deleted": "Channel deleted.",
}


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("ok", ""))


async def posted_form(request: Request) -> FormData:
    """The form, refused whole when oversized (413) and per field when too long (400)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, f"form over {MAX_FORM_BYTES} bytes")
    form = await request.form(max_fields=300)
    for name, value in form.multi_items():
        if len(name) > 100 or (isinstance(value, str) and len(value) > MAX_FIELD):
            raise HTTPException(400, f"field {name[:100]!r} is longer than {MAX_FIELD}")
        if not isinstance(value, str):
            raise HTTPException(400, "files are not accepted here")
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def checked(form: FormData, name: str) -> bool:
    return bool(text(form, name))
