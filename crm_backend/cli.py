"""Operator CLI: ``crm db upgrade``, ``crm seed``, ``crm staff add``, ``crm token``, ``crm run``;
the report commands are in ``cli_reports.py``, the CSV import in ``cli_transactions.py``."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from crm_backend import migrate
from crm_backend.cli_reports import forecast, reports_app
from crm_backend.cli_scrub import scrub
from crm_backend.cli_transactions import import_transactions
from crm_backend.config import get_settings
from crm_backend.db import make_engine, make_session_factory, transaction
from crm_backend.errors import Conflict, NotAuthenticated
from crm_backend.models import Customer
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.tokens import Principal, issue_token

app = typer.Typer(help="HK retail CRM operator commands.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Print a bearer token (operator tool).", no_args_is_help=True)
followups_app = typer.Typer(
    help="Complaint workflows that run by themselves.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(token_app, name="token")
retention_app = typer.Typer(
    help="Delete or anonymise personal data kept past its retention period.", no_args_is_help=True
)
app.add_typer(followups_app, name="followups")
app.add_typer(retention_app, name="retention")
app.add_typer(reports_app, name="reports")
app.command("forecast")(forecast)
app.command("import-transactions")(import_transactions)
app.command("scrub")(scrub)
err = Console(stderr=True)


def demo_staff_file() -> Path:
    return get_settings().var_dir / "secrets" / "demo_staff.json"


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations up to REVISION."""
    migrate.upgrade(get_settings().database_url, revision)
    err.print(f"database at revision {revision}")


@app.command()
def seed(
    customers: Annotated[int, typer.Option(min=1)] = 2000,
    orders: Annotated[int, typer.Option(min=0)] = 50_000,
    complaints: Annotated[int, typer.Option(min=0)] = 300,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data")] = 42,
    if_empty: Annotated[bool, typer.Option(help="Do nothing when customers exist")] = False,
) -> None:
    """Fill an empty database with a realistic, deterministic demo data set."""
    from crm_backend.demo_data import seed_database

    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(Customer))
    if existing:
        if if_empty:
            err.print(f"database already has {existing} customers; not seeding")
            return
        err.print("[red]the database already has customers; seed an empty database[/red]")
        raise typer.Exit(1)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err) as bar:
        tasks: dict[str, object] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        summary = seed_database(
            engine,
            customers=customers,
            orders=orders,
            complaints=complaints,
            seed=seed,
            progress=progress,
        )
    _save_demo_staff(summary.demo_staff)
    err.print(
        f"seeded {summary.customers} customers, {summary.orders} orders, "
        f"{summary.complaints} complaints, {summary.staff} staff; "
        f"demo sign-ins in {demo_staff_file()}"
    )


def _save_demo_staff(accounts: list[tuple[str, str, str]]) -> None:
    path = demo_staff_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    rows = [{"username": u, "department": d, "password": p} for u, d, p in accounts]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=2)


@staff_app.command("add")
def staff_add(
    username: str,
    department: Annotated[Department, typer.Option(case_sensitive=False)],
    role: Annotated[StaffRole, typer.Option(case_sensitive=False)] = StaffRole.AGENT,
    display_name: str | None = None,
) -> None:
    """Create a staff account; the password is read from stdin (first line)."""
    from crm_backend.services.staff import add_staff

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    factory = make_session_factory(make_engine(get_settings().database_url))
    try:
        with transaction(factory) as session:
            add_staff(
                session=session,
                username=username,
                password=password,
                department=department,
                role=role,
                display_name=display_name,
            )
    except (ValueError, Conflict) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    err.print(f"staff account {username} created in {department.value}")


@token_app.command("customer")
def token_customer(customer_no: str) -> None:
    """Print a customer bearer token for CUSTOMER_NO."""
    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        if session.scalar(select(Customer.id).where(Customer.customer_no == customer_no)) is None:
            err.print(f"[red]no customer {customer_no}[/red]")
            raise typer.Exit(1)
    token, _ = issue_token(settings, Principal(kind="customer", subject=customer_no))
    typer.echo(token)


@token_app.command("staff")
def token_staff(username: str) -> None:
    """Print a staff bearer token for USERNAME."""
    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    from crm_backend.services.staff import staff_principal

    try:
        with factory() as session:
            principal = staff_principal(session=session, username=username)
    except NotAuthenticated as exc:
        err.print(f"[red]no active staff account {username}[/red]")
        raise typer.Exit(1) from exc
    token, _ = issue_token(settings, principal)
    typer.echo(token)


@followups_app.command("run")
def followups_run(
    as_of: Annotated[
        str | None,
        typer.Option(help="ISO date-time to act as of (default now; no offset means UTC)"),
    ] = None,
    push: Annotated[bool, typer.Option(help="Push chat follow-ups into Rasa")] = True,
) -> None:
    """Escalate SLA breaches, send due satisfaction follow-ups, close unanswered ones."""
    from crm_backend.services.chat_push import RasaChatPusher
    from crm_backend.services.followups import run_followups

    now = _as_of_or_now(as_of)
    settings = get_settings()
    engine = make_engine(settings.database_url)
    pusher = RasaChatPusher(settings.rasa_url, settings.rasa_token) if push else None
    try:
        summary = run_followups(
            session_factory=make_session_factory(engine),
            settings=settings,
            now=now,
            pusher=pusher,
        )
    finally:
        if pusher is not None:
            pusher.close()
        engine.dispose()
    typer.echo(json.dumps({"as_of": now.isoformat(), **summary.as_dict()}))


@retention_app.command("run")
def retention_run(
    as_of: Annotated[
        str | None,
        typer.Option(help="Date (YYYY-MM-DD) or ISO date-time to act as of (default now; UTC)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False,
) -> None:
    """Apply the retention policy: counts per category are printed, never contents."""
    from crm_backend.services.retention import run_retention

    now = _as_of_or_now(as_of)
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            counts = run_retention(session, now)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"as_of": now.isoformat(), **counts}))
        return
    typer.echo(f"retention run as of {now.isoformat()}")
    for category, count in counts.items():
        typer.echo(f"  {category}: {count}")


def _as_of_or_now(as_of: str | None) -> datetime:
    """The moment a job acts as of: ``--as-of`` (no offset means UTC), else now; a bad
    value ends the command with exit code 2."""
    from crm_backend.db import utcnow

    if not as_of:
        return utcnow()
    try:
        moment = datetime.fromisoformat(as_of)
    except ValueError as exc:
        err.print(f"[red]--as-of: {exc}[/red]")
        raise typer.Exit(2) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("run")
def run_stack(
    train: Annotated[bool, typer.Option(help="Train the Rasa model if data changed")] = True,
) -> None:
    """Start backend, action server and Rasa; Ctrl-C stops all three."""
    from crm_backend.devstack import run_until_interrupted

    run_until_interrupted(train=train)
