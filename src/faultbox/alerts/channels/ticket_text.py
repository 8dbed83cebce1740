"""What a ticket says, shared by GitHub, GitLab (Markdown) and Jira (ADF, from the same
pieces): a one-line title, the issue's summary fields, the link back to the issue, the
rule's explanation and the analysis report, trimmed to the service's limit; and the
comments for a later firing, an acknowledgement or a resolution.

Event text (titles, culprits) goes through ``markdown_escape.inline`` so it renders as
itself; ``@name`` gets a zero-width space so an event cannot ping people or teams."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from faultbox.alerts.channels.base import DigestItem, Notification, truncate
from faultbox.query.markdown_escape import inline

DEFAULT_TITLE = "Faultbox alert"
FIELD_LIMIT = 300  # characters of one summary value
TEXT_LIMIT = 4000  # characters of the rule's explanation
ITEM_LIMIT = 200  # issues listed from a storm message
_MENTION = re.compile(r"(?<![\w.])@(?=\w)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CUT_NOTE = "*The report was cut to fit; the whole report is on the issue in Faultbox.*"
FOOTER = (
    "*Opened by Faultbox: it comments here when the alert fires again and closes this "
    "ticket when the issue is resolved.*"
)

REOPENED = "Fired again after it was resolved: reopened by Faultbox"
_COMMENT_LEAD = {
    "trigger": "Fired again",
    "acknowledge": "Acknowledged in Faultbox",
    "resolve": "Resolved in Faultbox",
    "test": "Test from Faultbox",
}


def one_line(text: str, limit: int) -> str:
    """Plain text on one line (control characters and line breaks become spaces),
    at most ``limit`` characters; never empty."""
    plain = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return truncate(" ".join(plain.split()), limit) or DEFAULT_TITLE


def quiet(markdown: str) -> str:
    """No @mentions: a zero-width space after each ``@`` that would start one, outside
    fenced code (where GitHub and GitLab mention nobody, and source such as a
    ``@decorator`` must stay as written)."""
    out: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if match and not fence:
            fence = match.group(1)
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            fence = ""
        elif not fence:
            line = _MENTION.sub("@\u200b", line)
        out.append(line)
    return "\n".join(out)


def plain_lines(text: str, limit: int) -> list[str]:
    """Text as lines without control characters, at most ``limit`` characters in all."""
    kept = "".join(c for c in text if unicodedata.category(c) != "Cc" or c in "\n\t")
    return [line.rstrip() for line in truncate(kept, limit).split("\n")]


@dataclass(frozen=True)
class TicketText:
    """The parts of a ticket body, before a service's format."""

    summary: list[tuple[str, str]]  # label, plain value
    link: str  # the issue on the dashboard
    link_text: str
    text: str  # the rule's explanation, plain
    report: str  # Markdown


def parts(n: Notification) -> TicketText:
    label = n.short_id or "the issue"
    return TicketText(
        summary=[(k, truncate(v, FIELD_LIMIT)) for k, v in n.fields()],
        link=n.url,
        link_text=f"Open {label} in Faultbox",
        text=truncate(n.text, TEXT_LIMIT),
        report=n.report,
    )


def item_line(item: DigestItem) -> str:
    title = inline(truncate(f"{item.short_id} {item.title}".strip(), FIELD_LIMIT))
    events = f" ({item.event_count} events)" if item.event_count else ""
    return f"- {markdown_link(title, item.url) if item.url else title}{events}"


def markdown_link(text: str, url: str) -> str:
    return f"[{inline(text)}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"


def markdown_body(n: Notification, limit: int) -> str:
    """The ticket body in Markdown, at most ``limit`` characters: the report is what
    gets cut (on a line boundary, closing a code block left open)."""
    p = parts(n)
    head: list[str] = []
    if p.text:
        head += [inline(line) for line in plain_lines(p.text, TEXT_LIMIT) if line.strip()]
        head.append("")
    head += [f"- **{k}:** {inline(v)}" for k, v in p.summary]
    if n.items:  # a storm grouped into one message: one line per issue
        head += ["", *(item_line(item) for item in n.items[:ITEM_LIMIT])]
    if p.link:
        head += ["", markdown_link(p.link_text, p.link)]
    top = quiet("\n".join(head).strip()) + "\n\n"
    bottom = "\n\n---\n" + FOOTER + "\n"
    room = limit - len(top) - len(bottom)
    if room <= len(_CUT_NOTE) + 200:  # no room worth a report: keep the head whole
        return truncate(top + FOOTER, limit)
    report = quiet(p.report.strip())
    if len(report) > room:
        report = cut_markdown(report, room - len(_CUT_NOTE) - 20) + "\n\n" + _CUT_NOTE
    return top + report + bottom if report else top.rstrip("\n") + bottom


def cut_markdown(markdown: str, limit: int) -> str:
    """Whole lines of ``markdown`` within ``limit`` characters; a fenced block the cut
    leaves open is closed so it cannot swallow what follows."""
    kept: list[str] = []
    size = 0
    fence = ""
    for line in markdown.split("\n"):
        if size + len(line) + 1 > limit - 10:
            break
        kept.append(line)
        size += len(line) + 1
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
    if fence:
        kept.append(fence)
    return "\n".join(kept)


def comment_markdown(n: Notification, limit: int) -> str:
    """A comment for a firing again (or reopening), an acknowledgement or a resolution."""
    lines = [f"**{comment_lead(n)}**"]
    text = [inline(line) for line in plain_lines(n.text, TEXT_LIMIT) if line.strip()]
    if text:
        lines += ["", *text]
    facts = [(k, v) for k, v in n.fields() if k in ("Events", "Last seen", "Release")]
    if facts:
        lines += [""] + [f"- **{k}:** {inline(truncate(v, FIELD_LIMIT))}" for k, v in facts]
    if n.url:
        lines += ["", markdown_link(f"Open {n.short_id or 'the issue'} in Faultbox", n.url)]
    return truncate(quiet("\n".join(lines)), limit)


def comment_lead(n: Notification) -> str:
    if n.kind == "trigger" and n.reopen:
        return REOPENED
    return _COMMENT_LEAD[n.kind]
