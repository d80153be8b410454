"""A realistic, deterministic demo data set: ``seed_database(engine, seed=42)``.

Same seed and same ``now``: the same customers, orders and complaints. Staff demo passwords
are the one exception: they are random each time (they would otherwise be guessable from
this source) and are returned to the caller.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from crm_backend.db import Base
from crm_backend.demo_data.complaints import complaint_rows
from crm_backend.demo_data.orders import OrderIndex, order_batches
from crm_backend.demo_data.people import customer_rows, product_rows
from crm_backend.models import Complaint, ComplaintEvent, Customer, Order, OrderLine, Product, Staff
from crm_backend.services.passwords import hash_password
from crm_backend.services.sla import load_sla_policy

Progress = Callable[[str, int, int], None]
DEMO_STAFF = (
    ("cs.demo", "customer_service", "agent", "Customer Service (demo)"),
    ("cs.supervisor", "customer_service", "supervisor", "CS Supervisor (demo)"),
    ("sales.demo", "sales", "agent", "Sales (demo)"),
    ("marketing.demo", "marketing", "agent", "Marketing (demo)"),
    ("management.demo", "management", "supervisor", "Management (demo)"),
    ("compliance.demo", "compliance", "agent", "Compliance (demo)"),
)


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    products: int
    orders: int
    order_lines: int
    complaints: int
    complaint_events: int
    staff: int
    demo_staff: list[tuple[str, str, str]] = field(default_factory=list)  # user, dept, password


def seed_database(
    engine: Engine,
    *,
    customers: int = 2000,
    orders: int = 50_000,
    complaints: int = 300,
    seed: int = 42,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SeedSummary:
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    report = progress or (lambda _stage, _done, _total: None)
    rng = random.Random(seed)  # noqa: S311  (demo data, reproducible on purpose)
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Customer)):
            raise ValueError("the customer table is not empty; seed an empty database")
        staff_rows, accounts = _staff_rows(now)
        _insert(conn, Staff, staff_rows)
        report("staff", len(staff_rows), len(staff_rows))
        product_list = product_rows(rng, now)
        _insert(conn, Product, product_list)
        report("products", len(product_list), len(product_list))
        customer_list = customer_rows(rng, customers, now)
        for start in range(0, customers, 20_000):
            _insert(conn, Customer, customer_list[start : start + 20_000])
            report("customers", min(start + 20_000, customers), customers)

        index = OrderIndex()
        line_count = 0
        for order_batch, line_batch in order_batches(
            rng, customer_list, product_list, orders, now, index
        ):
            _insert(conn, Order, order_batch)
            _insert(conn, OrderLine, line_batch)
            line_count += len(line_batch)
            report("orders", len(index.times), orders)

        complaint_list, event_list = complaint_rows(
            rng, complaints, now, index, customer_list, product_list, load_sla_policy(),
            {row["username"]: row["id"] for row in staff_rows},
        )  # fmt: skip
        _insert(conn, Complaint, complaint_list)
        _insert(conn, ComplaintEvent, event_list)
        report("complaints", complaints, complaints)
        _advance_sequences(conn)
    return SeedSummary(
        customers=customers,
        products=len(product_list),
        orders=orders,
        order_lines=line_count,
        complaints=complaints,
        complaint_events=len(event_list),
        staff=len(staff_rows),
        demo_staff=accounts,
    )


def _staff_rows(now: datetime) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    rows, accounts = [], []
    for staff_id, (username, department, role, display_name) in enumerate(DEMO_STAFF, start=1):
        password = secrets.token_urlsafe(9)
        accounts.append((username, department, password))
        rows.append(
            {"id": staff_id, "username": username, "display_name": display_name,
             "department": department, "role": role, "password_hash": hash_password(password),
             "is_active": True, "created_at": now}
        )  # fmt: skip
    return rows, accounts


def _insert(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), rows)
        return
    # COPY is several times faster than INSERT for the million-row case.
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{model.__tablename__}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _advance_sequences(conn: Connection) -> None:
    """Rows were inserted with explicit ids; PostgreSQL's id sequences must catch up."""
    if conn.dialect.name != "postgresql":
        return
    for table in (Staff, Product, Customer, Order, OrderLine, Complaint, ComplaintEvent):
        # pg_get_serial_sequence takes the (quoted) table name as a value.
        sequence = func.pg_get_serial_sequence(f'"{table.__tablename__}"', "id")
        highest = select(func.max(table.id)).scalar_subquery()
        # An empty table keeps id 1 free: setval(seq, 1, is_called=false).
        conn.execute(select(func.setval(sequence, func.coalesce(highest, 1), highest.is_not(None))))
