"""Benchmark: the staff reports on a large database, with DuckDB as a reference.

Seeds 100,000 customers and 1,000,000 orders (``seed_database``, seed 42) into a SQLite file
cached under var/bench/ (keyed by sizes, seed and migration head; rebuilt when it was seeded
on an earlier day, so "this month" means the same thing to the data and to the reports), and
seeds a fresh, uniquely named PostgreSQL database with the same seed and the same "now" (so
both hold the same rows; checked), dropped at the end. Each run works on a copy of the
cached SQLite file, since reports write audit entries and snapshots.

Then, for each backend, it prints (figures, not pass/fail; p50 and max of --repeats runs):
- every catalogue report computed live with its default parameters through ``run_report``
  (permission, audit entry and personal fields included, one transaction each), plus
  sales_summary by channel, store and month, and two bigger chat questions;
- ``crm reports refresh`` (``refresh_snapshots``): total and per snapshot;
- every snapshot read (``run_report(source="snapshot")`` with each refresh preset);
- DuckDB (in process, over pandas frames: its sqlite/postgres scanners cannot be installed
  offline) against pandas for the sales_summary-by-channel and rfm_segments aggregations:
  aggregation alone (both over the same frame already in memory) and end to end (both read
  the rows through ``data.sales``, the only read path both have, then aggregate);
- peak resident memory of this process.

    .venv/bin/python bench/reports.py [--customers 100000] [--orders 1000000]
        [--complaints 5000] [--backends sqlite,postgres] [--repeats 5]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy
from alembic.script import ScriptDirectory
from bench_databases import postgres_database
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from crm_backend import migrate
from crm_backend.db import make_engine, make_session_factory, transaction, utcnow
from crm_backend.demo_data import seed_database
from crm_backend.models import Customer, Order
from crm_backend.models.enums import Department, StaffRole
from crm_backend.paths import PROJECT_ROOT
from crm_backend.reports import data
from crm_backend.reports.base import ReportContext
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.customer_reports import SEGMENTS, rfm_table, segment_of
from crm_backend.reports.periods import HONG_KONG
from crm_backend.reports.refresh import refresh_snapshots
from crm_backend.reports.runner import resolve_params, run_report
from crm_backend.reports.sales_reports import sales_by
from crm_backend.services.access import allowed_reports
from crm_backend.services.tokens import Principal

CHAT_LIMIT, SNAPSHOT_LIMIT, DUCKDB_LIMIT = 2.0, 0.2, 3.0
PREFERRED = ("management", "compliance", "sales", "marketing", "customer_service")
# Beyond the defaults: the breakdowns the issue names, and two bigger questions from chat.
EXTRA_CASES = (
    ("sales_summary", {"dimension": "channel"}),
    ("sales_summary", {"dimension": "store"}),
    ("sales_summary", {"dimension": "month"}),
    ("sales_summary", {"dimension": "month", "period": "this year"}),
    ("sales_summary", {"dimension": "channel", "period": "last year"}),
)
SEGMENT_GRID = [segment_of(r, f) for r in range(1, 6) for f in range(1, 6)]
REFERENCE_PERIOD = "last year"  # the sales_summary-by-channel period DuckDB is compared on
DUCK_SALES = """
    SELECT channel, sum(cents)::BIGINT AS cents, count(*) AS orders,
           round(sum(cents) / count(*))::BIGINT AS average_cents,
           round(sum(cents) * 100.0 / sum(sum(cents)) OVER (), 1) AS share
    FROM {table} GROUP BY channel ORDER BY cents DESC, channel"""
DUCK_RFM = """
    WITH per AS (
        SELECT customer_id, max("at") AS last, count(*) AS orders, sum(cents) AS cents
        FROM {table} WHERE "at" < $as_of GROUP BY customer_id
    ), days AS (
        SELECT *, date_diff('day', date_trunc('day', last), $today) AS recency_days,
               count(*) OVER () AS n FROM per
    ), scored AS (
        -- pandas: ceil(rank(method="first", pct=True) * 5), clipped to 1..5
        SELECT *, least(greatest(ceil((row_number() OVER (ORDER BY recency_days DESC,
                   customer_id))::DOUBLE / n * 5), 1), 5)::INTEGER AS r,
               least(greatest(ceil((row_number() OVER (ORDER BY orders, customer_id))::DOUBLE
                   / n * 5), 1), 5)::INTEGER AS f
        FROM days
    )
    SELECT segments[(r - 1) * 5 + f] AS segment, count(*) AS customers,
           avg(recency_days) AS recency_days, avg(orders) AS orders,
           sum(cents)::BIGINT AS cents
    FROM scored, (SELECT $segments AS segments) GROUP BY segment ORDER BY segment"""


@dataclass
class Backend:
    name: str
    url: str
    seed_note: str
    figures: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def p50(times: list[float]) -> float:
    return statistics.median(times)


def show(label: str, value: str) -> None:
    print(f"{label:<46}{value}")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def principal_for(report: str) -> Principal:
    for name in PREFERRED:
        who = Principal(
            kind="staff",
            subject=f"{name}.bench",
            department=Department(name),
            role=StaffRole.SUPERVISOR,
        )
        if report in allowed_reports(who):
            return who
    raise SystemExit(f"no department may run {report}")


def timed(action: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return times, result


# --- databases ------------------------------------------------------------------------


def seed_into(url: str, args: argparse.Namespace, now: datetime) -> float:
    started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    seed_database(
        engine,
        customers=args.customers,
        orders=args.orders,
        complaints=args.complaints,
        seed=args.seed,
        now=now,
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))  # autovacuum would do this on a live server
    engine.dispose()
    return time.perf_counter() - started


def cached_sqlite(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """The seeded SQLite file for these sizes (built once a day) and what it holds."""
    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    key = f"reports-c{args.customers}-o{args.orders}-k{args.complaints}-s{args.seed}-{head}"
    cache = Path(args.cache_dir)
    path, meta_path = cache / f"{key}.sqlite3", cache / f"{key}.json"
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    if path.exists() and meta_path.exists():  # the .json is written only after a full seed
        meta = json.loads(meta_path.read_text())
        if meta["now"] == today.isoformat() and not args.rebuild:
            meta["cached"] = True
            return path, meta
    cache.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    seconds = seed_into(f"sqlite:///{building}", args, today)
    engine = make_engine(f"sqlite:///{building}")
    with engine.connect() as conn:  # fold the WAL into the file before it is copied
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    building.replace(path)
    meta = {"now": today.isoformat(), "seed_seconds": round(seconds, 1)}
    meta_path.write_text(json.dumps(meta))
    return path, {**meta, "cached": False}


def fingerprint(url: str) -> tuple[int, int, int, float]:
    """Customers, orders, orders that count as sales and their total (HKD): what must be
    the same on both backends."""
    engine = make_engine(url)
    with engine.connect() as conn:
        customers = conn.scalar(select(func.count()).select_from(Customer)) or 0
        orders = conn.scalar(select(func.count()).select_from(Order)) or 0
        sales, total = conn.execute(
            select(func.count(), func.sum(Order.total_amount)).where(
                Order.status.not_in(data.NOT_SALES)
            )
        ).one()
    engine.dispose()
    return customers, orders, sales, round(float(total or 0), 2)


# --- measurements ---------------------------------------------------------------------


def run_case(
    factory: sessionmaker[Session], name: str, params: dict[str, Any], source: str, now: datetime
) -> tuple[int, str]:
    with transaction(factory) as session:
        result = run_report(
            session=session,
            principal=principal_for(name),
            name=name,
            source=source,
            now=now,
            purpose="benchmark",
            **params,
        )
    return len(result.frame.data), result.source


def describe(name: str, params: dict[str, Any]) -> str:
    """'sales_summary this month, channel': the report and its parameters after defaults."""
    spec = REPORTS[name]
    shown = [params.get("period") or spec.default_period or ""]
    if spec.dimensions:
        shown.append(params.get("dimension") or spec.dimensions[0])
    if spec.top:
        shown.append(f"top {params.get('top') or spec.top.default}")
    return f"{name} {', '.join(v for v in shown if v)}".strip()


def live_reports(b: Backend, factory: sessionmaker[Session], now: datetime, repeats: int) -> None:
    print(f"real-time reports (run_report source=live, {repeats} runs)")
    cases = [(name, {}) for name in REPORTS] + list(EXTRA_CASES)
    rows: list[tuple[str, float]] = []
    for name, params in cases:
        times, (count, _) = timed(partial(run_case, factory, name, params, "live", now), repeats)
        label = describe(name, params)
        mode = REPORTS[name].default_source
        mark = "" if p50(times) < CHAT_LIMIT else "  > 2 s"
        show(
            f"  {label}",
            f"p50 {p50(times):7.3f} s  max {max(times):7.3f} s  "
            f"{count:>6} rows  chat default: {mode}{mark}",
        )
        rows.append((f"{label}|{mode}", p50(times)))
    b.figures["live"] = rows


def refresh(b: Backend, factory: sessionmaker[Session], now: datetime) -> None:
    started = time.perf_counter()
    done = refresh_snapshots(factory, now=now)
    total = time.perf_counter() - started
    show(
        "crm reports refresh (refresh_snapshots)",
        f"{total:7.2f} s total, {len(done)} snapshots, {sum(bool(d.error) for d in done)} failed",
    )
    for item in done:
        state = f"  FAILED: {item.error}" if item.error else ""
        shown = " ".join(str(v) for v in item.params.values())
        show(f"  {item.report} {shown}", f"{item.seconds:7.2f} s{state}")
    b.figures["refresh"] = [("total", total)]


def snapshot_reads(b: Backend, factory: sessionmaker[Session], now: datetime, repeats: int) -> None:
    print(f"snapshot reads (run_report source=snapshot, {repeats} runs)")
    rows: list[tuple[str, float]] = []
    for spec in REPORTS.values():
        for preset in spec.snapshot_presets:
            action = partial(run_case, factory, spec.name, dict(preset), "snapshot", now)
            times, (count, used) = timed(action, repeats)
            label = describe(spec.name, dict(preset))
            note = "" if used == "snapshot" else "  (no snapshot: computed live)"
            mark = "" if p50(times) < SNAPSHOT_LIMIT else "  > 200 ms"
            show(
                f"  {label}",
                f"p50 {p50(times) * 1000:7.1f} ms  max "
                f"{max(times) * 1000:7.1f} ms  {count:>6} rows{note}{mark}",
            )
            rows.append((label, p50(times)))
    b.figures["snapshot"] = rows


def pandas_rfm(rows: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame:
    """The aggregation inside rfm_segments (after the read), as the report does it."""
    rows = rows[rows["at"] < today + pd.Timedelta(days=1)]
    per = rfm_table(rows, today)
    return per.groupby("segment").agg(
        customers=("orders", "size"),
        recency_days=("recency_days", "mean"),
        orders=("orders", "mean"),
        cents=("cents", "sum"),
    )


def duck(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    return con.execute(sql, params).fetchdf()


def plain_channel(frame: pd.DataFrame) -> pd.DataFrame:
    """The channel as plain str (DuckDB cannot scan SalesChannel members)."""
    return frame.assign(channel=frame["channel"].astype(str))


def duckdb_reference(
    b: Backend, factory: sessionmaker[Session], now: datetime, repeats: int
) -> None:
    sales_spec, rfm_spec = REPORTS["sales_summary"], REPORTS["rfm_segments"]
    params = resolve_params(
        sales_spec, period=REFERENCE_PERIOD, dimension="channel", top=None, segment=None, now=now
    )
    rfm_params = resolve_params(
        rfm_spec, period=None, dimension=None, top=None, segment=None, now=now
    )
    today = pd.Timestamp(now.astimezone(HONG_KONG).date())
    rfm_args = {
        "today": today.to_pydatetime(),
        "as_of": (today + pd.Timedelta(days=1)).to_pydatetime(),
        "segments": SEGMENT_GRID,
    }
    period = params.period
    assert period is not None
    with factory() as session:
        year = data.sales(session, period)
        everything = data.sales(session, None)
    con = duckdb.connect()
    started = time.perf_counter()
    for table, frame in (("sales_period", year), ("sales_all", everything)):
        con.from_df(plain_channel(frame)).create(table)
    ingest = time.perf_counter() - started
    print(f"DuckDB reference (in process, over frames from data.sales; {repeats} runs)")
    show(
        "  rows",
        f"sales {period.label}: {len(year):,}; all sales (rfm): {len(everything):,}; "
        f"frames -> DuckDB tables {ingest:.2f} s, untimed",
    )

    # Aggregation alone: the same rows in memory for both (a DuckDB table, a pandas frame).
    p_sales, p_sales_out = timed(lambda: sales_by(year, "channel"), repeats)
    d_sales, d_sales_out = timed(
        lambda: duck(con, DUCK_SALES.format(table="sales_period")), repeats
    )
    p_rfm, p_rfm_out = timed(lambda: pandas_rfm(everything, today), repeats)
    d_rfm, d_rfm_out = timed(
        lambda: duck(con, DUCK_RFM.format(table="sales_all"), rfm_args), repeats
    )
    con.close()

    # End to end: both read through data.sales (DuckDB's scanners are not installable
    # offline), then aggregate; pandas is the report's own compute.
    def pandas_sales_e2e() -> Any:
        with factory() as s:
            return sales_spec.compute(ReportContext(session=s, params=params, now=now))

    def duck_sales_e2e() -> Any:
        with factory() as s:
            current, previous = data.sales(s, period), data.sales(s, period.previous())
        with duckdb.connect() as c:
            c.register("sales", plain_channel(current))
            c.register("prev", previous[["cents"]])
            return duck(c, DUCK_SALES.format(table="sales")), duck(c, "SELECT sum(cents) FROM prev")

    def pandas_rfm_e2e() -> Any:
        with factory() as s:
            return rfm_spec.compute(ReportContext(session=s, params=rfm_params, now=now))

    def duck_rfm_e2e() -> Any:
        with factory() as s:
            rows = data.sales(s, None)
        with duckdb.connect() as c:
            c.register("sales", rows[["customer_id", "at", "cents"]])
            return duck(c, DUCK_RFM.format(table="sales"), rfm_args)

    def read_all() -> Any:
        with factory() as s:
            return data.sales(s, None)

    pe_sales, _ = timed(pandas_sales_e2e, repeats)
    de_sales, _ = timed(duck_sales_e2e, repeats)
    pe_rfm, _ = timed(pandas_rfm_e2e, repeats)
    de_rfm, _ = timed(duck_rfm_e2e, repeats)
    reads, _ = timed(read_all, repeats)
    ratios = []
    for label, pandas_t, duck_t, same in (
        (
            f"sales by channel {period.label}: aggregation",
            p_sales,
            d_sales,
            same_sales(p_sales_out, d_sales_out),
        ),
        ("rfm_segments: aggregation", p_rfm, d_rfm, same_rfm(p_rfm_out, d_rfm_out)),
        (f"sales by channel {period.label}: end to end", pe_sales, de_sales, None),
        ("rfm_segments: end to end", pe_rfm, de_rfm, None),
    ):
        ratio = p50(pandas_t) / p50(duck_t)
        agreed = "" if same is None else f"  same numbers: {'yes' if same else 'NO'}"
        show(
            f"  {label}",
            f"pandas {p50(pandas_t) * 1000:8.1f} ms  DuckDB "
            f"{p50(duck_t) * 1000:8.1f} ms  ratio {ratio:5.2f}x{agreed}",
        )
        ratios.append((label, ratio))
    show("  reading all sales alone (data.sales)", f"p50 {p50(reads) * 1000:8.1f} ms")
    b.figures["duckdb"] = ratios


def same_sales(pandas_out: pd.DataFrame, duck_out: pd.DataFrame) -> bool:
    left = pandas_out.set_index("channel").sort_index()
    right = duck_out.set_index("channel").sort_index()
    exact = all((left[k].astype(int) == right[k].astype(int)).all() for k in ("cents", "orders"))
    average = (left["average_cents"] - right["average_cents"]).abs().max() <= 1  # half-cents
    share = (left["share"] - right["share"]).abs().max() <= 0.1 + 1e-9
    return bool(exact and average and share)


def same_rfm(pandas_out: pd.DataFrame, duck_out: pd.DataFrame) -> bool:
    left = pandas_out.reindex(list(SEGMENTS)).dropna(subset=["customers"])
    right = duck_out.set_index("segment").reindex(left.index)
    exact = all(
        (left[k].astype(int) == right[k].fillna(-1).astype(int)).all()
        for k in ("customers", "cents")
    )
    means = all((left[k] - right[k]).abs().max() < 1e-6 for k in ("orders", "recency_days"))
    return bool(exact and means and len(duck_out) == len(left))


# --- the run --------------------------------------------------------------------------


def bench_backend(b: Backend, now: datetime, repeats: int) -> None:
    print()
    print(f"== {b.name}: {b.seed_note}")
    engine = make_engine(b.url)
    factory = make_session_factory(engine)
    try:
        live_reports(b, factory, now, repeats)
        refresh(b, factory, now)
        snapshot_reads(b, factory, now, repeats)
        duckdb_reference(b, factory, now, repeats)
    finally:
        engine.dispose()
    show("peak RSS of this process so far", f"{peak_rss_mib():,.0f} MiB")


def verdicts(backends: list[Backend]) -> None:
    print()
    print("== verdicts (p50)")
    for b in backends:
        live = b.figures["live"]
        chat_live = [(k, t) for k, t in live if k.endswith("|live")]
        slow = [f"{k.split('|')[0]} {t:.2f} s" for k, t in chat_live if t >= CHAT_LIMIT]
        show(
            f"{b.name}: live-default chat reports < 2 s",
            "met" if not slow else "MISSED: " + "; ".join(slow),
        )
        slow_all = [f"{k.split('|')[0]} {t:.2f} s" for k, t in live if t >= CHAT_LIMIT]
        show(
            f"{b.name}: every report computed live < 2 s",
            "met" if not slow_all else "missed: " + "; ".join(slow_all),
        )
        slow_snap = [
            f"{k} {t * 1000:.0f} ms" for k, t in b.figures["snapshot"] if t >= SNAPSHOT_LIMIT
        ]
        show(
            f"{b.name}: snapshot reads < 200 ms",
            "met" if not slow_snap else "MISSED: " + "; ".join(slow_snap),
        )
        far = [f"{k} {r:.2f}x" for k, r in b.figures["duckdb"] if r > DUCKDB_LIMIT]
        show(
            f"{b.name}: pandas within 3x of DuckDB",
            "met" if not far else "MISSED: " + "; ".join(far),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--cache-dir", default=str(PROJECT_ROOT / "var" / "bench"))
    parser.add_argument("--rebuild", action="store_true", help="seed the SQLite cache again")
    args = parser.parse_args()
    wanted = [name.strip() for name in args.backends.split(",") if name.strip()]
    if not wanted or set(wanted) - {"sqlite", "postgres"}:
        parser.error("--backends takes sqlite and/or postgres")
    load = os.getloadavg()[0]
    print("staff reports at scale")
    show(
        "python",
        f"{platform.python_version()}, pandas {pd.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, DuckDB {duckdb.__version__}",
    )
    show("machine", f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    show(
        "data",
        f"{args.customers:,} customers, {args.orders:,} orders, "
        f"{args.complaints:,} complaints, seed {args.seed}",
    )

    started = time.perf_counter()
    cache, meta = cached_sqlite(args)
    seeded_now = datetime.fromisoformat(meta["now"])
    how = "reused from" if meta["cached"] else "seeded into"
    show(
        "SQLite seed (migrate + seed_database)",
        f"{meta['seed_seconds']:.1f} s ({how} {os.path.relpath(cache)})",
    )
    now = utcnow().replace(microsecond=0)
    show("reports 'now'", f"{now:%Y-%m-%d %H:%M} UTC; data seeded as of {seeded_now:%Y-%m-%d}")
    backends: list[Backend] = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-reports-") as tmp:
        work = Path(tmp) / "reports.sqlite3"
        shutil.copyfile(cache, work)
        sqlite_url = f"sqlite:///{work}"
        expected = fingerprint(sqlite_url)
        show("SQLite copy ready", f"{time.perf_counter() - started:.1f} s after start")
        if "sqlite" in wanted:
            customers, orders, sales, total = expected
            note = (
                f"working copy of the cached file; {customers:,} customers, {orders:,} orders, "
                f"{sales:,} of them sales worth HKD {total:,.2f}"
            )
            b = Backend("SQLite", sqlite_url, note)
            bench_backend(b, now, args.repeats)
            backends.append(b)
        if "postgres" in wanted:
            with postgres_database(args.postgres_url, "crm_bench_reports") as pg_url:
                seconds = seed_into(pg_url, args, seeded_now)
                got = fingerprint(pg_url)
                same = "same rows as SQLite" if got == expected else f"DIFFERS: {got} vs {expected}"
                b = Backend(
                    "PostgreSQL",
                    pg_url,
                    f"fresh database, seeded in {seconds:.1f} s "
                    f"(migrate + seed_database via COPY + ANALYZE); {same}",
                )
                bench_backend(b, now, args.repeats)
                backends.append(b)
    verdicts(backends)
    show("peak RSS of this process", f"{peak_rss_mib():,.0f} MiB")
    show("wall time", f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
