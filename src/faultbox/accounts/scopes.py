"""API token scopes, named as Sentry names them, and what each role may hold."""

from __future__ import annotations

ALL_SCOPES: tuple[str, ...] = (
    "org:read",
    "org:write",
    "org:admin",
    "team:read",
    "team:write",
    "team:admin",
    "project:read",
    "project:write",
    "project:admin",
    "project:releases",
    "event:read",
    "event:write",
    "event:admin",
    "member:read",
    "member:write",
    "member:admin",
    # Alert rules and channels (Sentry's names; members may change them, as in Sentry)
    "alerts:read",
    "alerts:write",
)

ROLES: tuple[str, ...] = ("owner", "admin", "member", "viewer")

_READ = ("org:read", "team:read", "project:read", "event:read", "member:read", "alerts:read")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset(_READ),
    "member": frozenset(_READ + ("project:releases", "event:write", "event:admin", "alerts:write")),
    "admin": frozenset(
        _READ
        + ("team:write", "project:write", "project:admin", "project:releases")
        + ("event:write", "event:admin", "member:write", "alerts:write")
    ),
    "owner": frozenset(ALL_SCOPES),
}


class ScopeError(ValueError):
    pass


def allowed_scopes(*, is_superuser: bool, roles: list[str]) -> frozenset[str]:
    if is_superuser:
        return frozenset(ALL_SCOPES)
    allowed: set[str] = set()
    for role in roles:
        allowed |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(allowed)


def parse_scopes(requested: list[str], allowed: frozenset[str]) -> list[str]:
    """Validate requested scopes; an empty request means everything the roles allow."""
    names = [s for part in requested for s in part.replace(",", " ").split()]
    if not names:
        return sorted(allowed)
    unknown = [s for s in names if s not in ALL_SCOPES]
    if unknown:
        raise ScopeError(f"unknown scope {unknown[0]!r}; known: {', '.join(ALL_SCOPES)}")
    denied = [s for s in names if s not in allowed]
    if denied:
        raise ScopeError(f"scope {denied[0]!r} is beyond what the user's role allows")
    return sorted(set(names))
