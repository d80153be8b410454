"""Shared pieces of the report number tests: a migrated database per backend, Hong Kong
times, the staff principals and small row builders. All personal data here is made up."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from databases import empty_database
from sqlalchemy.orm import Session

from crm_backend import migrate
from crm_backend.models import Customer, Order
from crm_backend.models.enums import (
    Department,
    OrderStatus,
    SalesChannel,
    StaffRole,
)
from crm_backend.reports.runner import ReportResult, run_report
from crm_backend.services.tokens import Principal

HK = timedelta(hours=8)  # Hong Kong is UTC+8 all year
# 12:00 on Sunday 15 Nov 2026 in Hong Kong: "last month" is October 2026.
NOW = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)
MANAGER = Principal(
    kind="staff", subject="mgmt.test", department=Department.MANAGEMENT, role=StaffRole.SUPERVISOR
)
COMPLIANCE = Principal(
    kind="staff", subject="comp.test", department=Department.COMPLIANCE, role=StaffRole.AGENT
)


def migrated_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A migrated, empty database; PostgreSQL gets a uniquely named one, dropped after."""
    with empty_database(kind, tmp_dir) as url:
        migrate.upgrade(url)
        yield url


def hk(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A Hong Kong wall-clock time as the aware UTC datetime the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - HK


def customer(n: int, **fields: object) -> Customer:
    values: dict[str, object] = {
        "customer_no": f"TC{n:04d}",
        "given_name": "Test",
        "family_name": f"Customer {n}",
        "email": f"test.customer{n}@example.com",
        "phone": f"5123 00{n:02d}",
        "district": "Sha Tin",
        "address_line": f"Flat {n}, 1/F, 1 Sample Street, Sha Tin",
        "updated_at": NOW - timedelta(days=10),
    }
    values.update(fields)
    return Customer(**values)


class OrderBook:
    """Numbers orders as they are made: ORD-000001, ORD-000002, ..."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        who: Customer,
        at: datetime,
        amount: str,
        store: str | None = None,
        status: OrderStatus = OrderStatus.COMPLETED,
    ) -> Order:
        self.count += 1
        return Order(
            order_no=f"ORD-{self.count:06d}",
            customer_id=who.id,
            channel=SalesChannel.STORE if store else SalesChannel.ONLINE,
            store_name=store,
            status=status,
            ordered_at=at,
            total_amount=Decimal(amount),
        )


def run(session: Session, name: str, **params: Any) -> ReportResult:
    """A live run as the manager (or ``principal=``) at ``NOW``: never a stored snapshot."""
    principal = params.pop("principal", MANAGER)
    return run_report(session=session, principal=principal, name=name, now=NOW,
                      source="live", **params)  # fmt: skip


def rows(result: ReportResult, *keys: str) -> list[tuple[Any, ...]]:
    """The result's rows as plain Python tuples (NaN as None) of the columns ``keys``."""
    data = result.frame.data
    return [tuple(_plain(v) for v in row) for row in data[list(keys)].itertuples(index=False)]


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value
