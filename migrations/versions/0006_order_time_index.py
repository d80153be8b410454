"""order time index: reports select a period's orders across all customers

Revision ID: 0006_order_time_index
Revises: 0005_conversation_transcripts
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_order_time_index"
down_revision: str | None = "0005_conversation_transcripts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_order_ordered_at", "order", ["ordered_at"])


def downgrade() -> None:
    op.drop_index("ix_order_ordered_at", table_name="order")
