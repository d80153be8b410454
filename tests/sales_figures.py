"""The figures a sales report must show, worked out apart from the report code: plain SQL
picks the sales, the Hong Kong year is cut in Python. For the action and end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from crm_backend.services.clock import HONG_KONG


def hkd(amount: Decimal) -> str:
    return f"HKD {amount:,.2f}"


def sales_in_year(session: Session, year: int) -> tuple[Decimal, int]:
    """Total and count of the orders that are sales (not cancelled or returned) placed in
    ``year``, Hong Kong time."""
    rows = session.execute(
        text(
            'SELECT ordered_at, total_amount FROM "order" '
            "WHERE status NOT IN ('cancelled', 'returned')"
        )
    ).all()
    total, count = Decimal("0.00"), 0
    for ordered_at, amount in rows:
        at = datetime.fromisoformat(ordered_at) if isinstance(ordered_at, str) else ordered_at
        at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite keeps UTC without an offset
        if at.astimezone(HONG_KONG).year == year:
            total += Decimal(str(amount))
            count += 1
    return total, count
