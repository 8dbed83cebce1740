"""issue search: a full-text index of each issue's text (FTS5 / tsvector + GIN), filled;
an issues index for the severity sort

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00

Issues stored before this revision are indexed here, from their title, culprit and
newest events (``store.search_index.rebuild_documents``); the digest extends their
documents as new events arrive.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from faultbox.store.search_index import rebuild_documents

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BACKFILL_CHUNK = 2000
# Title and culprit, and the text of each issue's newest events: enough to find old
# issues by, in about a minute for 10 000 issues (later events extend the document).
_EVENTS_PER_ISSUE = 20


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Tokens arrive pre-cut and lowercased (store/search_text.py); diacritics are
        # kept so that both databases match the same words.
        op.execute(
            "CREATE VIRTUAL TABLE issue_search USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER issue_search_forget AFTER DELETE ON issues BEGIN "
            "DELETE FROM issue_search WHERE rowid = old.id; END"
        )
    else:
        op.execute(
            "CREATE TABLE issue_search ("
            " issue_id BIGINT NOT NULL,"
            " body TEXT NOT NULL,"
            " tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body)) STORED,"
            " CONSTRAINT pk_issue_search PRIMARY KEY (issue_id),"
            " CONSTRAINT fk_issue_search_issue_id_issues FOREIGN KEY (issue_id)"
            "  REFERENCES issues (id) ON DELETE CASCADE)"
        )
        op.execute("CREATE INDEX ix_issue_search_tsv ON issue_search USING gin (tsv)")
    op.create_index(
        op.f("ix_issues_project_id_severity_last_seen"),
        "issues",
        ["project_id", "severity", "last_seen"],
    )
    ids = [int(i) for i in bind.execute(sa.text("SELECT id FROM issues ORDER BY id")).scalars()]
    for start in range(0, len(ids), _BACKFILL_CHUNK):
        rebuild_documents(
            bind, ids[start : start + _BACKFILL_CHUNK], events_per_issue=_EVENTS_PER_ISSUE
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_issues_project_id_severity_last_seen"), table_name="issues")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS issue_search_forget")
    op.execute("DROP TABLE issue_search")
