"""createuser, project, token and deadletter commands."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, TextIO

import click
import orjson

from faultbox.accounts.passwords import WeakPassword, hash_password
from faultbox.accounts.scopes import ROLES, ScopeError, allowed_scopes, parse_scopes
from faultbox.cli.common import (
    CommandError,
    emit,
    json_option,
    migrated_engine,
    settings_from,
    settings_options,
)
from faultbox.digest.dead_letters import retry_dead_letter
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.preview import preview_rules
from faultbox.digest.grouping.rules import RuleSyntaxError, parse_rules
from faultbox.query.dsn import dsn_for
from faultbox.queue import open_queue
from faultbox.scrub_config import ScrubConfig
from faultbox.store.accounts import (
    DEFAULT_TEAM,
    add_member,
    create_token,
    create_user,
    ensure_team,
    get_user_by_email,
    user_roles,
)
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.deadletter import DeadLetter, list_dead_letters
from faultbox.store.projects import (
    create_project,
    get_project,
    list_projects,
    set_fingerprint_rules,
    set_scrub_config,
)


@click.command()
@click.option("--email", required=True, help="Login email.")
@click.option("--password", default=None, help="Password (or --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--superuser", is_flag=True, help="Sees and may change everything.")
@click.option("--team", default=DEFAULT_TEAM, show_default=True, help="Team to join.")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@json_option
@settings_options
def createuser(
    email: str,
    password: str | None,
    password_stdin: bool,
    superuser: bool,
    team: str,
    role: str,
    as_json: bool,
    **overrides: Any,
) -> None:
    """Create a user."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise CommandError("give --password or --password-stdin")
    if "@" not in email or len(email) > 254:
        raise CommandError(f"--email: {email!r} is not an email address")
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        raise CommandError(f"--password: {exc}") from None
    engine = migrated_engine(settings_from(**overrides))
    with write_transaction(engine) as conn:
        user = create_user(conn, email=email, password_hash=password_hash, is_superuser=superuser)
        team_id = ensure_team(conn, team)
        add_member(conn, team_id=team_id, user_id=user.id, role="owner" if superuser else role)
    emit(
        {"id": user.id, "email": user.email, "superuser": superuser, "team": team, "role": role},
        as_json,
        f"created user {user.email}",
    )


@click.group()
def project() -> None:
    """Create and list projects, print DSNs."""


@project.command("create")
@click.argument("name")
@click.option("--team", default=DEFAULT_TEAM, show_default=True, help="Owning team.")
@json_option
@settings_options
def project_create(name: str, team: str, as_json: bool, **overrides: Any) -> None:
    """Create a project and print its DSN."""
    settings = settings_from(**overrides)
    engine = migrated_engine(settings)
    with write_transaction(engine) as conn:
        created = create_project(conn, name=name, team_id=ensure_team(conn, team))
    dsn = dsn_for(settings.public_url, created)
    emit(
        {"id": created.id, "slug": created.slug, "dsn": dsn},
        as_json,
        f"created project {created.slug} (id {created.id})\nDSN: {dsn}",
    )


@project.command("list")
@json_option
@settings_options
def project_list(as_json: bool, **overrides: Any) -> None:
    """List projects."""
    settings = settings_from(**overrides)
    with read_connection(migrated_engine(settings)) as conn:
        projects = list_projects(conn)
    data = [
        {
            "id": p.id,
            "slug": p.slug,
            "name": p.name,
            "team": p.team_slug,
            "dsn": dsn_for(settings.public_url, p),
        }
        for p in projects
    ]

    def table() -> None:
        for p in data:
            click.echo(f"{p['id']:>4}  {p['slug']:<24} {p['team']:<12} {p['dsn']}")

    emit(data, as_json, table)


@project.command("dsn")
@click.argument("name")
@json_option
@settings_options
def project_dsn(name: str, as_json: bool, **overrides: Any) -> None:
    """Print a project's DSN (NAME is the slug or the name)."""
    settings = settings_from(**overrides)
    with read_connection(migrated_engine(settings)) as conn:
        matches = [p for p in list_projects(conn) if name in (p.slug, p.name)]
        found = matches[0] if matches else get_project(conn, name)
    dsn = dsn_for(settings.public_url, found)
    emit({"id": found.id, "slug": found.slug, "dsn": dsn}, as_json, str(dsn))


@project.command("scrubbing")
@click.argument("name")
@click.option("--extra-field", "extra_fields", multiple=True, help="Another field name to filter.")
@click.option("--safe-field", "safe_fields", multiple=True, help="A field never filtered.")
@click.option("--credit-cards/--no-credit-cards", default=None, help="Filter card numbers.")
@click.option("--ip-addresses/--no-ip-addresses", default=None, help="Filter IP addresses.")
@click.option("--enable/--disable", "enabled", default=None, help="Scrub at all.")
@click.option("--reset", is_flag=True, help="Back to the defaults first.")
@json_option
@settings_options
def project_scrubbing(
    name: str,
    extra_fields: tuple[str, ...],
    safe_fields: tuple[str, ...],
    credit_cards: bool | None,
    ip_addresses: bool | None,
    enabled: bool | None,
    reset: bool,
    as_json: bool,
    **overrides: Any,
) -> None:
    """Show or change a project's PII scrubbing (with no options: show it)."""
    engine = migrated_engine(settings_from(**overrides))
    with write_transaction(engine) as conn:
        found = get_project(conn, name)
        current = {} if reset or not found.scrub_config else orjson.loads(found.scrub_config)
        changes: dict[str, Any] = {
            "extra_fields": sorted({*current.get("extra_fields", []), *extra_fields}),
            "safe_fields": sorted({*current.get("safe_fields", []), *safe_fields}),
        }
        for key, value in (
            ("scrub_credit_cards", credit_cards),
            ("scrub_ip_addresses", ip_addresses),
            ("enabled", enabled),
        ):
            if value is not None:
                changes[key] = value
        try:
            config = ScrubConfig.from_json({**current, **changes})
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        set_scrub_config(conn, found.id, orjson.dumps(config.to_json()).decode())
    data = config.to_json()
    emit(data, as_json, "\n".join(f"{k}: {v}" for k, v in data.items()))


@project.command("fingerprint-rules")
@click.argument("name")
@click.option(
    "--file",
    "rules_file",
    type=click.File("r"),
    help="Replace the rules with this file ('-' = stdin).",
)
@click.option("--clear", is_flag=True, help="Remove all rules.")
@click.option(
    "--dry-run", is_flag=True, help="With --file: show which issues would regroup; change nothing."
)
@json_option
@settings_options
def project_fingerprint_rules(
    name: str,
    rules_file: TextIO | None,
    clear: bool,
    dry_run: bool,
    as_json: bool,
    **overrides: Any,
) -> None:
    """Show, replace or preview a project's server-side fingerprint rules."""
    if dry_run and rules_file is None:
        raise CommandError("--dry-run needs --file with the proposed rules")
    text = "" if clear else (rules_file.read() if rules_file is not None else None)
    try:
        proposed = parse_rules(text) if text is not None else None
    except RuleSyntaxError as exc:
        raise CommandError(f"rules: {exc}") from None
    engine = migrated_engine(settings_from(**overrides))
    with write_transaction(engine) as conn:
        found = get_project(conn, name)
        if proposed is not None and dry_run:
            current = parse_rules(found.fingerprint_rules or "")
            in_app = InAppRules.from_json(orjson.loads(found.in_app_rules or "null"))
            preview = preview_rules(conn, found.id, current, proposed, in_app)
            emit(preview, as_json, lambda: _print_preview(preview))
            return
        if text is not None:
            set_fingerprint_rules(conn, found.id, text if text.strip() else None)
        else:
            text = found.fingerprint_rules or ""
    emit({"rules": text}, as_json, text.rstrip("\n") or "(no rules)")


def _print_preview(preview: dict[str, Any]) -> None:
    click.echo(
        f"{len(preview['would_change'])} of {preview['issues_checked']} issues would regroup"
    )
    for change in preview["would_change"]:
        joined = ", ".join(str(i) for i in change["grouped_with"]) or "nobody else"
        click.echo(f"  {change['short_id']} {change['title']!r}: with {joined} ({change['rule']})")


@click.group()
def token() -> None:
    """API tokens for the REST API."""


@token.command("create")
@click.option("--email", required=True, help="The user the token acts for.")
@click.option(
    "--scopes",
    multiple=True,
    help="Scopes, e.g. 'project:read event:read' (default: all the user's role allows).",
)
@click.option("--label", default="", help="A note to recognise the token by.")
@json_option
@settings_options
def token_create(
    email: str, scopes: tuple[str, ...], label: str, as_json: bool, **overrides: Any
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    engine = migrated_engine(settings_from(**overrides))
    with write_transaction(engine) as conn:
        user = get_user_by_email(conn, email)
        allowed = allowed_scopes(is_superuser=user.is_superuser, roles=user_roles(conn, user.id))
        try:
            chosen = parse_scopes(list(scopes), allowed)
        except ScopeError as exc:
            raise CommandError(f"--scopes: {exc}") from None
        secret = create_token(conn, user_id=user.id, scopes=chosen, label=label)
    emit(
        {"token": secret, "scopes": chosen},
        as_json,
        f"{secret}\n(scopes: {' '.join(chosen)}; shown once — store it now)",
    )


@click.group()
def deadletter() -> None:
    """Events the digest could not process."""


@deadletter.command("list")
@click.option("--limit", default=100, show_default=True)
@json_option
@settings_options
def deadletter_list(limit: int, as_json: bool, **overrides: Any) -> None:
    """List dead letters, newest first, with the reason."""
    with read_connection(migrated_engine(settings_from(**overrides))) as conn:
        letters = list_dead_letters(conn, limit)

    def table() -> None:
        for d in letters:
            click.echo(f"{d['id']:>6}  {d['event_id']}  {d['kind']:<14} {d['reason']}")

    emit(letters, as_json, table)


@deadletter.command("retry")
@click.argument("letter_id", type=int)
@json_option
@settings_options
def deadletter_retry(letter_id: int, as_json: bool, **overrides: Any) -> None:
    """Put a dead letter back on the queue (after a fix)."""
    settings = settings_from(**overrides)
    engine = migrated_engine(settings)
    queue = open_queue(settings)

    async def retry() -> DeadLetter | None:
        try:
            return await retry_dead_letter(engine, queue, letter_id, now=_now())
        finally:
            await queue.aclose()

    letter = asyncio.run(retry())
    if letter is None:
        raise CommandError(f"no dead letter {letter_id}")
    emit({"requeued": letter_id}, as_json, f"dead letter {letter_id} queued again")


def _now() -> float:
    return time.time()
