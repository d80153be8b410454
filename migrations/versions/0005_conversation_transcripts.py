"""conversation transcripts: the durable, redacted record of chat conversations

Revision ID: 0005_conversation_transcripts
Revises: 0004_report_snapshots
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_conversation_transcripts"
down_revision: str | None = "0004_report_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transcript_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("value_withheld", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_entry")),
        sa.UniqueConstraint("event_key", name=op.f("uq_transcript_entry_event_key")),
    )
    op.create_index(
        "ix_transcript_entry_sender_id_occurred_at",
        "transcript_entry",
        ["sender_id", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_transcript_entry_sender_id_occurred_at", table_name="transcript_entry")
    op.drop_table("transcript_entry")
