"""The analysis report as Markdown, for people and for the dashboard to render.

Everything that came from events or names chosen by senders (titles, culprits,
messages, tag keys and values, releases, environments, frames) goes through
``markdown_escape``: it shows as text, never as markup. Source lines go into fenced
blocks no line can close. The catalogue fields are the team's own Markdown and are
kept as Markdown (they are written by signed-in members, and the dashboard renders
them with raw HTML escaped like everywhere else); a fence left open in one is closed
so it cannot swallow the rest of the report.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from faultbox.query.durations import relative
from faultbox.query.markdown_escape import code_block, inline
from faultbox.query.report_tags import percent

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def _when(iso_text: str | None) -> str:
    if not iso_text:
        return "—"
    parsed = datetime.fromisoformat(iso_text.replace("Z", "+00:00"))
    return parsed.strftime("%Y-%m-%d %H:%M UTC")


def _events(n: float) -> str:
    return f"{n:g} event" if n == 1 else f"{n:g} events"


def _counts(values: list[dict[str, Any]]) -> str:
    return ", ".join(f"{inline(v['value'], 80)} ({v['count']})" for v in values) or "—"


def render_report(report: dict[str, Any]) -> str:
    out: list[str] = []
    for section in (
        _summary,
        _impact,
        _timeline,
        _frame,
        _suspect,
        _outliers,
        _catalogue,
        _patterns,
        _incidents,
        _tickets,
        _activity,
    ):
        out.extend(section(report))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _summary(report: dict[str, Any]) -> list[str]:
    s = report["summary"]
    severity = inline(s["severity"]) or "—"
    if s["severity_reason"]:
        severity += f" ({inline(s['severity_reason'], 120)})"
    taxonomy = inline(s["taxonomy"]) or "—"
    if s["taxonomy_reason"]:
        taxonomy += f" ({inline(s['taxonomy_reason'], 120)})"
    status = inline(s["status"]) + (" (regression)" if s["is_regression"] else "")
    return [
        f"# {inline(s['short_id'])}: {inline(s['title'], 300)}",
        "",
        f"- **Project:** {inline(s['project'])}",
        f"- **Status:** {status}",
        f"- **Severity:** {severity}",
        f"- **Type:** {taxonomy}",
        f"- **Level:** {inline(s['level'])}",
        f"- **Culprit:** {inline(s['culprit'], 300) or '—'}",
        f"- **Assignee:** {inline(s['assignee']) or '—'}",
        f"- **Report generated:** {_when(report['generated_at'])}",
    ]


def _impact(report: dict[str, Any]) -> list[str]:
    i = report["impact"]
    return [
        "## Impact",
        "",
        f"- **Events:** {i['events']}",
        f"- **Users affected:** {i['users']}",
        f"- **Services:** {_counts(i['services'])}",
        f"- **Environments:** {_counts(i['environments'])}",
        f"- **Releases:** {_counts(i['releases'])}",
    ]


def _deploy_line(d: dict[str, Any], what: str) -> str:
    commit = f", commit {inline(d['commit'], 40)}" if d["commit"] else ""
    return (
        f"{inline(d['release'], 120)} to {inline(d['environment'], 64)}{commit} at "
        f"{_when(d['deployed_at'])} ({relative(d['offset_seconds'])} {what})"
    )


def _timeline(report: dict[str, Any]) -> list[str]:
    t = report["timeline"]
    out = [
        "## Timeline",
        "",
        f"- **First seen:** {_when(t['first_seen'])}",
        f"- **Last seen:** {_when(t['last_seen'])}",
        f"- **Typical hour:** a median of {_events(t['median_hourly'])} an hour over "
        f"{t['span_hours']} hours; a spike is an hour with at least "
        f"{_events(t['spike_threshold'])}",
        "- **Deploys within 2 hours of the first event:**"
        + ("" if t["deploys_near_first_seen"] else " none"),
    ]
    out.extend(f"  - {_deploy_line(d, 'the first event')}" for d in t["deploys_near_first_seen"])
    out += ["", "### Spikes", ""]
    if not t["spikes"]:
        out.append("No spikes.")
    for spike in t["spikes"]:
        out.append(
            f"- {_when(spike['start'])} to {_when(spike['end'])}: {spike['events']} events "
            f"(peak {spike['peak_count']} at {_when(spike['peak_hour'])}); deploys within "
            f"2 hours:" + ("" if spike["deploys"] else " none")
        )
        out.extend(f"  - {_deploy_line(d, 'the spike')}" for d in spike["deploys"])
    return out


def _frame(report: dict[str, Any]) -> list[str]:
    f = report["app_frame"]
    out = ["## Where it happens", ""]
    if f is None:
        return [*out, "The latest event has no in-app frame."]
    where = inline(f["module"] or f["filename"] or f["abs_path"] or "?", 200)
    line = f" line {f['lineno']}" if f["lineno"] is not None else ""
    exception = ": ".join(inline(x, 300) for x in (f["exception_type"], f["exception_value"]) if x)
    function = inline(f["function"] or "?", 200)
    out.append(
        f"In **{function}** ({where}{line}), in the latest event "
        f"{inline(f['event_id'])} at {_when(f['timestamp'])}."
    )
    if exception:
        out += ["", f"> {exception}"]
    if f["context_line"] is not None:
        out += ["", code_block(_source(f))]
    return out


def _source(f: dict[str, Any]) -> str:
    """Context lines numbered, the failing one marked with ``>``."""
    lineno = f["lineno"]
    rows = [
        *((line, False) for line in f["pre_context"]),
        (f["context_line"], True),
        *((line, False) for line in f["post_context"]),
    ]
    first = lineno - len(f["pre_context"]) if lineno is not None else None
    width = len(str((first or 0) + len(rows)))
    out = []
    for n, (text, current) in enumerate(rows):
        number = f"{first + n:>{width}} " if first is not None else ""
        out.append(f"{'>' if current else ' '} {number}| {text}")
    return "\n".join(out)


def _suspect(report: dict[str, Any]) -> list[str]:
    s = report["suspect_release"]
    out = ["## Suspect release", ""]
    release = s["first_release"]
    if release is None:
        out.append("- **First release:** unknown (events carry no release)")
    else:
        details = [
            f"commit {inline(release['commit'], 40)}" if release["commit"] else "",
            f"first deployed {_when(release['first_deployed_at'])}"
            if release["first_deployed_at"]
            else "",
        ]
        extra = "; ".join(d for d in details if d)
        out.append(
            f"- **First release:** {inline(release['version'], 120)}"
            + (f" ({extra})" if extra else "")
        )
    deploy = s["deploy_before_first_seen"]
    out.append(
        f"- **Last deploy before the first event:** {_deploy_line(deploy, 'the first event')}"
        if deploy
        else "- **Last deploy before the first event:** none recorded"
    )
    return out


def _outliers(report: dict[str, Any]) -> list[str]:
    out = ["## Over-represented tag values", ""]
    if not report["tag_outliers"]:
        return [*out, "None: this issue's tag values are spread like the project's."]
    for o in report["tag_outliers"]:
        out.append(
            f"- **{percent(o['issue_share'])} of events: "
            f"{inline(o['key'], 80)}={inline(o['value'], 120)}** "
            f"({percent(o['project_share'])} in the project, {o['lift']:g}× as common; "
            f"{o['issue_count']} events)"
        )
    return out


def _contained(markdown: str) -> str:
    """The team's Markdown with a fence it left open closed, so the report's next
    sections stay sections."""
    open_fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if match is None:
            continue
        fence, info = match.groups()
        if open_fence is None:
            open_fence = fence
        elif fence[0] == open_fence[0] and len(fence) >= len(open_fence) and not info.strip():
            open_fence = None
    text = markdown.rstrip("\n")
    return text if open_fence is None else f"{text}\n{open_fence}"


def _catalogue(report: dict[str, Any]) -> list[str]:
    out = ["## Catalogue"]
    for name, text in report["catalogue"].items():
        out += ["", f"### {name.capitalize()}", ""]
        out.append(_contained(text) if text else "_Not documented yet._")
    return out


def _patterns(report: dict[str, Any]) -> list[str]:
    out = ["## Patterns", ""]
    if not report["patterns"]:
        return [*out, "Not linked to a pattern."]
    return out + [f"- {p['id']}: {inline(p['title'], 200)}" for p in report["patterns"]]


def _incidents(report: dict[str, Any]) -> list[str]:
    out = ["## Incidents", ""]
    if not report.get("incidents"):
        return [*out, "It never paged anyone."]
    for i in report["incidents"]:
        status = inline(i["status"])
        out.append(f"### Incident {i['id']} ({inline(i['severity'])}, {status})")
        out.append("")
        paged = ", ".join(inline(name, 80) for name in i["paged"]) or "nobody (no channel took it)"
        acknowledged = "not acknowledged"
        if i["acknowledged_at"]:
            who = inline(i["acknowledged_by"]) or "a signed link"
            acknowledged = f"{_when(i['acknowledged_at'])} by {who}"
        out.append(f"- Opened: {_when(i['opened_at'])}")
        out.append(f"- Paged: {paged}")
        if i["escalation_level"]:
            out.append(f"- Escalated to level {i['escalation_level']}")
        out.append(f"- Acknowledged: {acknowledged}")
        out.append(f"- Resolved: {_when(i['resolved_at']) if i['resolved_at'] else 'not yet'}")
        out.append("")
        for e in i["timeline"]:
            detail = f": {inline(e['detail'], 200)}" if e["detail"] else ""
            out.append(f"  - {_when(e['at'])}, {inline(e['kind'])}{detail}")
        out.append("")
    return out[:-1]


def _tickets(report: dict[str, Any]) -> list[str]:
    out = ["## Tickets", ""]
    if not report.get("tickets"):
        return [*out, "No ticket was opened for it."]
    for t in report["tickets"]:
        name = f"{inline(t['provider_name'])} {inline(t['reference'], 100)}"
        if t["url"]:
            name = f"[{name}](<{t['url'].replace('>', '%3E').replace(' ', '%20')}>)"
        out.append(f"- {name}: {inline(t['state'])} (opened {_when(t['opened_at'])})")
    return out


def _activity(report: dict[str, Any]) -> list[str]:
    out = ["## Activity", ""]
    if not report["activity"]:
        return [*out, "No activity recorded."]
    for a in report["activity"]:
        what = inline(a["kind"])
        if a["field"] and a["field"] != a["kind"]:
            what += f" {inline(a['field'])}"
        if a["old_value"] is not None or a["new_value"] is not None:
            what += f": {inline(a['old_value'], 80) or '—'} → {inline(a['new_value'], 80) or '—'}"
        if a["note"]:
            what += f" ({inline(a['note'], 120)})"
        out.append(f"- {_when(a['at'])}, {inline(a['user']) or 'Faultbox'}: {what}")
    return out
