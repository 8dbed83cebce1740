"""The DSN a client uses for a project: {scheme}://{key}@{host}{prefix}/{project_id}."""

from __future__ import annotations

from urllib.parse import urlsplit

from faultbox.store.projects import Project


def dsn_for(public_url: str, project: Project) -> str | None:
    if project.public_key is None:
        return None
    parts = urlsplit(public_url)
    prefix = parts.path.rstrip("/")
    return f"{parts.scheme}://{project.public_key}@{parts.netloc}{prefix}/{project.id}"
