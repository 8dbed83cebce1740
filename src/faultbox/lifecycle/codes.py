"""How the catalogue names issues and patterns to people: ERR-142, PAT-001."""

from __future__ import annotations


def issue_code(short_id: int) -> str:
    return f"ERR-{short_id}"


def pattern_code(number: int) -> str:
    """Zero-padded to three digits, as the team's hand-kept catalogue numbers them."""
    return f"PAT-{number:03d}"
