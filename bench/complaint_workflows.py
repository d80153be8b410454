"""Benchmark: the complaint workflows on a large database (follow-up run, staff queues).

Builds a fresh database (a temporary SQLite file by default), seeds small reference data
(2,000 customers, 5,000 orders, the demo staff plus 19 more customer-service agents), then
bulk-inserts complaints with Core INSERTs: 100,000 by default, in a realistic mix of
statuses, priorities and categories with due times around now, each with its timeline
events. Exactly --followups of them are resolved complaints whose satisfaction follow-up is
due (no conversation, a phone contact: the follow-up goes to the SMS outbox). Everything
else is as a backend whose periodic run keeps up would leave it, except that SLA breaches
of the last hour are not escalated yet, so the first follow-up run escalates those too.

Then it measures, and prints (figures, not pass/fail):
- run_followups() as of one moment, --repeats times; before each repeat the follow-ups are
  made due again (one UPDATE) and their outbox messages and events deleted;
- GET /api/v1/complaints through the real app in process (fastapi TestClient) as cs.demo:
  queue=overdue, queue=mine, and the open queue filtered by priority=high&category=delivery,
  limit 10, 50 requests each after 3 warm-ups.

    .venv/bin/python bench/complaint_workflows.py [--complaints 100000] [--followups 10000]
        [--repeats 3] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

A PostgreSQL URL names an admin connection: the benchmark creates its own database on that
server and drops it at the end. A SQLite URL must name a new file (it is kept afterwards).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from bench_databases import postgres_database
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.engine import make_url

from crm_backend import migrate
from crm_backend.config import Settings
from crm_backend.db import make_engine, make_session_factory, utcnow
from crm_backend.demo_data import seed_database
from crm_backend.demo_data import vocabulary as v
from crm_backend.demo_data.complaints import CATEGORY_WEIGHTS
from crm_backend.main import create_app
from crm_backend.models import Complaint, ComplaintEvent, Order, OutboxMessage, Product, Staff
from crm_backend.models.enums import ComplaintStatus as S
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.complaint_lifecycle import OPEN
from crm_backend.services.complaints import complaint_reference
from crm_backend.services.followup_policy import load_followup_policy
from crm_backend.services.followups import FollowupRunSummary, run_followups
from crm_backend.services.sla import SlaTargets, load_sla_policy
from crm_backend.services.tokens import Principal, issue_token

Row = dict[str, Any]
CHUNK = 5_000  # complaints per INSERT batch (their events go in the same round)
BACKLOG = timedelta(hours=1)  # SLA breaches the periodic run has not escalated yet
EXTRA_AGENTS = 19
NO_SIGN_IN = "!"  # not an argon2 hash: the extra agents cannot sign in
SLA = load_sla_policy()
FOLLOWUP = load_followup_policy()
STATUS_WEIGHTS = {S.NEW: 5, S.ACKNOWLEDGED: 7, S.IN_PROGRESS: 12, S.AWAITING_CUSTOMER: 6,
                  S.RESOLVED: 15, S.CLOSED: 55}  # fmt: skip
# What some customers add, which raises the priority under the SLA policy's keyword rules.
ESCALATING = (" The parcel never arrived.", " I was charged twice.",
              " I will go to the Consumer Council.", " It gave me an electric shock.")  # fmt: skip
QUERIES = (
    ("queue=overdue", {"queue": "overdue"}),
    ("queue=mine", {"queue": "mine"}),
    ("priority=high&category=delivery", {"priority": "high", "category": "delivery"}),
)


@dataclass(frozen=True)
class Reference:
    products: list[str]
    orders: list[tuple[int, int]]  # (order id, customer id)
    agents: dict[int, str]  # customer-service agents: staff id -> username


def _times(rng: random.Random, now: datetime, status: S, t: SlaTargets, due: bool) -> Row:
    """Created, first response, resolution, follow-up and rating times fitting the status."""
    resolved = closed = csat_at = followup_due = followup_sent = None
    if status in OPEN:
        window = t.first_response * 2 if status == S.NEW else t.resolution * 1.6
        created = now - timedelta(minutes=1) - window * rng.random()
    elif status == S.RESOLVED:
        back = timedelta(hours=rng.uniform(25, 72)) if due else timedelta(days=rng.uniform(0, 14))
        resolved = now - back
        created = resolved - t.resolution * rng.uniform(0.2, 1.5)
    else:
        created = now - timedelta(days=rng.uniform(30, 365))
        resolved = created + t.resolution * rng.uniform(0.2, 1.5)
    end = resolved or now
    responded = None
    if status != S.NEW:
        responded = created + min(t.first_response * rng.uniform(0.2, 1.5), (end - created) / 2)
    if resolved is not None:
        followup_due = resolved + FOLLOWUP.followup_delay
        if status == S.CLOSED or (not due and followup_due <= now):
            followup_sent, followup_due = followup_due, None
    score = None
    if status == S.CLOSED:
        assert followup_sent is not None
        if rng.random() < 0.7:
            csat_at = followup_sent + timedelta(hours=rng.uniform(1, 72))
            score = rng.choices((3, 4, 5), (2, 4, 5))[0]
            closed = csat_at
        else:
            closed = followup_sent + FOLLOWUP.answer_window
    return {"created_at": created, "first_responded_at": responded, "resolved_at": resolved,
            "closed_at": closed, "followup_due_at": followup_due,
            "followup_sent_at": followup_sent, "csat_at": csat_at, "csat_score": score}  # fmt: skip


def complaint(
    rng: random.Random, ref: Reference, now: datetime, complaint_id: int, due_followup: bool
) -> tuple[Row, list[Row]]:
    """One complaint row and its timeline events."""
    category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
    text_ = rng.choice(v.COMPLAINT_TEXTS[category.value])
    product, store = rng.choice(ref.products).lower(), rng.choice(v.STORES)
    description = text_.format(product=product, store=store, days=rng.randrange(3, 30))
    if rng.random() < 0.06:
        description += rng.choice(ESCALATING)
    priority = SLA.priority_for(category, description)
    status = S.RESOLVED
    if not due_followup:
        status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
    row = _times(rng, now, status, SLA.targets[priority], due_followup)
    first_due, resolution_due = SLA.due_times(priority, row["created_at"])
    # Breach marks as the periodic run leaves them (it escalates each breach once).
    responded, end = row["first_responded_at"], row["resolved_at"] or now
    settled = status not in OPEN or (end - BACKLOG >= resolution_due)
    first_mark = first_due if (responded or now - BACKLOG) > first_due else None
    resolution_mark = resolution_due if end > resolution_due and settled else None
    customer_id = order_id = None
    if rng.random() < 0.6:
        order_id, customer_id = rng.choice(ref.orders)
    channel = rng.choices(("chat", "email", "phone", "store"), (40, 25, 20, 15))[0]
    if due_followup or rng.random() < 0.45:
        first_digit = "9" if due_followup else rng.choice("569")
        method, value = "phone", f"+852{first_digit}{rng.randrange(10**7):07d}"
    elif rng.random() < 0.8:
        method, value = "email", f"guest{rng.randrange(100_000)}@{rng.choice(v.EMAIL_DOMAINS)}"
    else:
        method = value = None
    staff_id = None if status == S.NEW else rng.choice(list(ref.agents))
    in_chat = channel == "chat" and not due_followup
    conversation = f"bench-{rng.getrandbits(64):016x}" if in_chat else None
    resolution = None if row["resolved_at"] is None else rng.choice(v.RESOLUTIONS[category.value])
    row.update(
        id=complaint_id, reference=complaint_reference(complaint_id), customer_id=customer_id,
        order_id=order_id, category=category.value, description=description,
        priority=priority.value, status=status.value,
        escalation_level=(first_mark is not None) + (resolution_mark is not None),
        channel=channel, contact_method=method, contact_value=value,
        conversation_id=conversation,
        idempotency_key=None, assigned_staff_id=staff_id, sla_policy_version=SLA.version,
        first_response_due_at=first_due, resolution_due_at=resolution_due, resolution=resolution,
        csat_comment=None, recovery_offer=None, first_response_breach_at=first_mark,
        resolution_breach_at=resolution_mark, version=1,
    )  # fmt: skip
    return row, _events(rng, row, status, ref.agents.get(staff_id or 0, "cs.supervisor"), now)


def _events(rng: random.Random, row: Row, status: S, handler: str, now: datetime) -> list[Row]:
    created, responded = row["created_at"], row["first_responded_at"]
    steps: list[tuple[datetime, str, S | None, S]] = [(created, "created", None, S.NEW)]
    if responded is not None:
        steps.append((responded, "acknowledged", S.NEW, S.ACKNOWLEDGED))
        working = responded + ((row["resolved_at"] or now) - responded) / 3
        if status != S.ACKNOWLEDGED:
            steps.append((working, "status_changed", S.ACKNOWLEDGED, S.IN_PROGRESS))
        if status == S.AWAITING_CUSTOMER:
            steps.append((working + (now - working) / 2, "status_changed", S.IN_PROGRESS, status))
    if row["resolved_at"] is not None:
        steps.append((row["resolved_at"], "resolved", S.IN_PROGRESS, S.RESOLVED))
    if row["closed_at"] is not None:
        steps.append((row["closed_at"], "closed", S.RESOLVED, S.CLOSED))
    row["updated_at"] = steps[-1][0]
    return [
        {"complaint_id": row["id"], "event_type": kind,
         "from_status": before.value if before else None, "to_status": after.value,
         "note": None if before is None else rng.choice(v.STAFF_NOTES),
         "actor_type": "system" if before is None else "staff",
         "actor_id": None if before is None else handler, "created_at": moment}
        for moment, kind, before, after in steps
    ]  # fmt: skip


def build(url: str, now: datetime, complaints: int, followups: int) -> tuple[int, float, float]:
    """Migrate, seed and bulk-insert; returns (events inserted, seed seconds, insert seconds)."""
    started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    seed_database(engine, customers=2000, orders=5000, complaints=0, seed=7)
    seeded = time.perf_counter()
    rng = random.Random(7)
    events = 0
    with engine.begin() as conn:
        agents = [{"username": f"cs.agent{n:02d}", "display_name": f"Agent {n}",
                   "department": "customer_service", "role": "agent",
                   "password_hash": NO_SIGN_IN, "is_active": True, "created_at": now}
                  for n in range(1, EXTRA_AGENTS + 1)]  # fmt: skip
        conn.execute(insert(Staff.__table__), agents)
        ref = Reference(
            products=list(conn.scalars(select(Product.name))),
            orders=[(o, c) for o, c in conn.execute(select(Order.id, Order.customer_id))],
            agents=dict(
                conn.execute(
                    select(Staff.id, Staff.username).where(
                        Staff.department == Department.CUSTOMER_SERVICE,
                        Staff.role == StaffRole.AGENT,
                    )
                ).all()
            ),
        )
        due = set(rng.sample(range(1, complaints + 1), followups))
        for start in range(1, complaints + 1, CHUNK):
            rows, timeline = [], []
            for complaint_id in range(start, min(start + CHUNK, complaints + 1)):
                row, row_events = complaint(rng, ref, now, complaint_id, complaint_id in due)
                rows.append(row)
                timeline.extend(row_events)
            conn.execute(insert(Complaint.__table__), rows)
            conn.execute(insert(ComplaintEvent.__table__), timeline)
            events += len(timeline)
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('complaint', 'id'), :n)"),
                {"n": complaints},
            )
            conn.execute(text("ANALYZE"))  # autovacuum would do this on a live server
    engine.dispose()
    return events, seeded - started, time.perf_counter() - seeded


def reset_followups(engine: Engine, now: datetime) -> None:
    """Make the follow-ups sent as of ``now`` due again and remove what the run wrote."""
    complaint, event = Complaint.__table__, ComplaintEvent.__table__
    outbox = OutboxMessage.__table__
    with engine.begin() as conn:
        conn.execute(
            update(complaint)
            .where(complaint.c.followup_sent_at == now, complaint.c.status == S.RESOLVED.value)
            .values(followup_sent_at=None, followup_due_at=now - timedelta(hours=1))
        )
        conn.execute(delete(outbox).where(outbox.c.kind == "satisfaction_followup"))
        conn.execute(
            delete(event).where(event.c.event_type == "followup_sent", event.c.created_at == now)
        )


def time_followups(
    engine: Engine, settings: Settings, now: datetime, repeats: int
) -> list[tuple[float, float, FollowupRunSummary]]:
    """(wall seconds, this process's CPU seconds, summary) for each run."""
    factory = make_session_factory(engine)
    runs = []
    for attempt in range(repeats):
        if attempt:
            reset_followups(engine, now)
        started, cpu = time.perf_counter(), time.process_time()
        summary = run_followups(session_factory=factory, settings=settings, now=now, pusher=None)
        runs.append((time.perf_counter() - started, time.process_time() - cpu, summary))
    return runs


def time_queues(settings: Settings, requests: int) -> list[tuple[str, list[float], int]]:
    token, _ = issue_token(
        settings,
        Principal(
            kind="staff",
            subject="cs.demo",
            department=Department.CUSTOMER_SERVICE,
            role=StaffRole.AGENT,
        ),
    )
    headers = {"Authorization": f"Bearer {token}"}
    with warnings.catch_warnings():
        # Starlette's TestClient prefers the httpx2 fork now (pyproject ignores this too).
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    app = create_app(settings)
    results = []
    try:
        with TestClient(app) as client:
            for label, params in QUERIES:
                query = {**params, "limit": "10"}
                for _ in range(3):
                    client.get("/api/v1/complaints", params=query, headers=headers)
                latencies, total = [], 0
                for _ in range(requests):
                    started = time.perf_counter()
                    response = client.get("/api/v1/complaints", params=query, headers=headers)
                    latencies.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    total = response.json()["total"]
                results.append((label, sorted(latencies), total))
    finally:
        app.state.engine.dispose()
    return results


@contextmanager
def database(url: str | None, tmp: Path) -> Iterator[str]:
    """The URL of a fresh, empty database; a PostgreSQL one is dropped afterwards."""
    if url is None:
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and Path(parsed.database).exists():
            raise SystemExit(f"{parsed.database} exists; name a new SQLite file")
        yield url
        return
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"unsupported database: {parsed.get_backend_name()}")
    with postgres_database(url) as fresh:
        yield fresh


def machine_facts() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    model = names[0] if names else platform.machine()
    return f"{os.cpu_count()} CPUs, {model}; load average {os.getloadavg()[0]:.2f} at start"


def db_facts(url: str) -> tuple[str, str]:
    """What the database is, and the complaint mix in it."""
    engine = make_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            kind = f"SQLite {sqlite3.sqlite_version} (file, WAL, no ANALYZE)"
        else:
            version = ".".join(map(str, engine.dialect.server_version_info or ()))
            kind = f"PostgreSQL {version} (ANALYZE after the load)"
        events = conn.scalar(select(func.count()).select_from(ComplaintEvent.__table__))
        by_status = dict(
            conn.execute(select(Complaint.status, func.count()).group_by(Complaint.status)).all()
        )
    engine.dispose()
    mix = ", ".join(f"{status.value} {by_status.get(status, 0)}" for status in S)
    return f"{kind}; {sum(by_status.values())} complaints, {events} events", mix


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL or SQLite")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not 0 < args.followups <= args.complaints:
        parser.error("--followups must be between 1 and --complaints")
    now = utcnow().replace(microsecond=0)
    machine = machine_facts()  # before we load the machine ourselves

    with (
        tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp,
        database(args.database_url, Path(tmp)) as url,
    ):
        events, seed_s, insert_s = build(url, now, args.complaints, args.followups)
        facts, mix = db_facts(url)
        settings = Settings(
            environment="test",
            var_dir=Path(tmp) / "var",
            database_url=url,
            signing_key=secrets.token_urlsafe(32),
            service_token=secrets.token_urlsafe(32),
            rasa_token=secrets.token_urlsafe(32),
            followup_interval_seconds=0,
        )
        engine = make_engine(url)
        runs = time_followups(engine, settings, now, args.repeats)
        engine.dispose()
        queues = time_queues(settings, 50)

    print("complaint workflows at scale")
    show("python", f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}")
    show("machine", machine)
    show("database", facts)
    show("complaints by status", mix)
    rows = args.complaints + events
    show("build", f"migrate + seed {seed_s:.1f} s, complaints + events {insert_s:.1f} s "
         f"({rows / insert_s:,.0f} rows/s)")  # fmt: skip
    show("run_followups", f"{args.followups} due follow-ups to the SMS outbox, pusher=None, "
         "one fixed 'now'")  # fmt: skip
    show("", "SLA escalations due at that moment are processed too: run 1 escalates")
    show("", "the one-hour backlog of breaches; the later runs find none.")
    for number, (seconds, cpu, summary) in enumerate(runs, start=1):
        sent = summary.followups_to_outbox + summary.followups_to_chat
        show(f"  run {number}", f"{seconds:6.2f} s  {sent / seconds:6.0f} follow-ups/s  "
             f"({sent} sent; CPU in this process {cpu:.2f} s)")  # fmt: skip
    median = statistics.median(seconds for seconds, _, _ in runs)
    show("  median", f"{median:6.2f} s  {args.followups / median:6.0f} follow-ups/s")
    counts = runs[0][2].as_dict()
    shown = " ".join(f"{k}={n}" for k, n in counts.items() if n)
    show("  run 1 summary", f"{shown} (the other {sum(not n for n in counts.values())} are 0)")
    show("GET /api/v1/complaints", "as cs.demo, limit=10, 50 requests after 3 warm-ups each")
    for label, ms, total in queues:
        p95 = ms[int(0.95 * (len(ms) - 1))]
        show(f"  {label}", f"p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  "
             f"total {total}")  # fmt: skip


def show(label: str, value: str) -> None:
    print(f"{label:<34}{value}")


if __name__ == "__main__":
    main()
