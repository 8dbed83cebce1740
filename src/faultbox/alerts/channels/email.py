"""Email over SMTP: a text and an HTML part (autoescaped), digest emails for storms."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import jinja2

from faultbox import clock
from faultbox.alerts.channels.base import (
    DEFAULT_TIMEOUT,
    ConfigKey,
    DeliveryResult,
    Notification,
    excerpt,
    misconfigured,
    truncate,
)

SUBJECT_LIMIT = 200
TEXT_LIMIT = 100_000
MAX_DIGEST_ITEMS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SLUG = re.compile(r"[^a-z0-9-]+")
_PREFIX = {
    "trigger": "",
    "acknowledge": "[acknowledged] ",
    "resolve": "[resolved] ",
    "test": "[test] ",
}

_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_HTML = _env.from_string(
    """<!doctype html>
<html><body style="font-family:sans-serif">
<h2>{{ title }}</h2>
{% if text %}<pre style="white-space:pre-wrap">{{ text }}</pre>{% endif %}
{% if fields %}<table>
{% for k, v in fields %}<tr><th align="left">{{ k }}</th><td>{{ v }}</td></tr>
{% endfor %}</table>{% endif %}
{% if items %}<ul>
{% for item in items %}<li>
{%- if item.url %}<a href="{{ item.url }}">{{ item.title }}</a>{% else %}{{ item.title }}{% endif %}
{%- if item.event_count %} ({{ item.event_count }} events){% endif %}</li>
{% endfor %}</ul>{% if more %}<p>… and {{ more }} more</p>{% endif %}{% endif %}
{% if url %}<p><a href="{{ url }}">Open the issue in Faultbox</a></p>{% endif %}
{% if ack_url %}<p><a href="{{ ack_url }}">Acknowledge</a> (stops the escalation)</p>{% endif %}
</body></html>
"""
)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _header(text: str, limit: int) -> str:
    return truncate(" ".join(_HEADER_CONTROL.sub(" ", text).split()), limit)


def _safe_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


def recipients(config: Mapping[str, Any]) -> list[str]:
    to = config.get("to") or []
    if isinstance(to, str):
        to = to.split(",")
    return [str(a).strip() for a in to if str(a).strip()]


def build_message(notification: Notification, config: Mapping[str, Any]) -> EmailMessage:
    n = notification
    domain = str(config.get("domain") or "faultbox.local")
    digest = hashlib.sha256(n.dedup_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    subject = _PREFIX[n.kind] + n.title
    if n.items:
        subject = f"{_PREFIX[n.kind]}{len(n.items)} issues: {n.title}"
    text = truncate(_clean(n.text), TEXT_LIMIT)
    items = n.items[:MAX_DIGEST_ITEMS]
    lines = [_clean(subject), "", text] if text else [_clean(subject)]
    for k, v in n.fields():
        lines.append(f"{k}: {_clean(v)}")
    for item in items:
        count = f" ({item.event_count} events)" if item.event_count else ""
        lines.append(f"- {_clean(truncate(item.title, 500))}{count} {_safe_url(item.url)}".rstrip())
    if len(n.items) > len(items):
        lines.append(f"… and {len(n.items) - len(items)} more")
    if n.url:
        lines += ["", f"Open the issue: {n.url}"]
    ack_url = _safe_url(n.ack_url)
    if ack_url:
        lines += ["", f"Acknowledge (stops the escalation): {ack_url}"]
    html = _HTML.render(
        title=_clean(subject),
        text=text,
        fields=[(k, _clean(v)) for k, v in n.fields()],
        items=[
            {
                "title": _clean(truncate(i.title, 500)),
                "url": _safe_url(i.url),
                "event_count": i.event_count,
            }
            for i in items
        ],
        more=len(n.items) - len(items),
        url=_safe_url(n.url),
        ack_url=ack_url,
    )
    msg = EmailMessage()
    msg["Subject"] = _header(subject, SUBJECT_LIMIT) or "Faultbox alert"
    msg["From"] = str(config["from_addr"])
    msg["To"] = ", ".join(recipients(config))
    msg["Date"] = formatdate(clock.now(), usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=digest[:12], domain=domain)
    # One thread per rule + issue in mail clients: every message refers to the same root.
    root = f"<{digest}@{domain}>"
    msg["In-Reply-To"] = root
    msg["References"] = root
    project = _SLUG.sub("-", n.project.lower()).strip("-") or "alerts"
    msg["List-Id"] = f"Faultbox {project} alerts <{project}.alerts.{domain}>"
    msg["X-Faultbox-Dedup-Key"] = _header(n.dedup_key, 500)
    msg["X-Faultbox-Kind"] = n.kind
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("\n".join(lines) + "\n")
    msg.add_alternative(html, subtype="html")
    return msg


def _smtp_failure(exc: Exception) -> DeliveryResult:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = min(codes) if codes else None
    permanent = isinstance(code, int) and 500 <= code < 600
    return DeliveryResult(
        ok=False,
        status_code=code if isinstance(code, int) else None,
        response=excerpt(f"smtp: {exc!r}"),
        permanent=permanent,
    )


class EmailChannel:
    name = "email"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("host", required=True, help="SMTP server"),
        ConfigKey("port", help="default 587 (starttls), 465 (ssl) or 25 (none)"),
        ConfigKey("security", choices=("starttls", "ssl", "none"), help="default starttls"),
        ConfigKey("username", help="SMTP login; none: no authentication"),
        ConfigKey("password", secret=True, help="SMTP password"),
        ConfigKey("from_addr", required=True, help="From address"),
        ConfigKey("to", required=True, help="recipients, a list or comma-separated"),
        ConfigKey("domain", help="domain for Message-ID and List-Id"),
        ConfigKey("ca_file", help="CA bundle (PEM) for a server with a private CA"),
    )

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        if not config.get("host") or not config.get("from_addr") or not recipients(config):
            return misconfigured("email: host, from_addr and to are required")
        security = str(config.get("security") or "starttls")
        default_port = {"ssl": 465, "none": 25}.get(security, 587)
        port = int(config.get("port") or default_port)
        host = str(config["host"])
        try:
            context = ssl.create_default_context(cafile=str(config.get("ca_file") or "") or None)
        except (OSError, ssl.SSLError) as exc:
            return misconfigured(f"email: ca_file: {exc}")
        try:
            msg = build_message(notification, config)
            smtp: smtplib.SMTP
            if security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=context)
                username = config.get("username")
                if username:
                    smtp.login(str(username), str(secrets.get("password") or ""))
                refused = smtp.send_message(msg)
        except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as exc:
            # No STARTTLS offered, or a certificate we do not trust: never fall back to
            # plain text; a person has to fix the settings.
            return DeliveryResult(ok=False, response=excerpt(f"smtp: {exc!r}"), permanent=True)
        except (smtplib.SMTPException, OSError) as exc:
            return _smtp_failure(exc)
        except ValueError as exc:  # a malformed address
            return misconfigured(f"email: {exc}")
        if refused:
            return DeliveryResult(ok=True, status_code=250, response=excerpt(f"refused: {refused}"))
        return DeliveryResult(ok=True, status_code=250, response="250 accepted")
