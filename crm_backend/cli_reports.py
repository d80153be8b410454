"""Report commands: ``crm reports run NAME``, ``crm reports refresh``, ``crm forecast``."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from crm_backend.config import get_settings
from crm_backend.db import make_engine, make_session_factory, transaction, utcnow
from crm_backend.errors import DomainError, NotAuthenticated

reports_app = typer.Typer(
    help="Staff reports: run one, or refresh the snapshots.", no_args_is_help=True
)
err = Console(stderr=True)


@reports_app.command("run")
def reports_run(
    name: str,
    as_staff: Annotated[str, typer.Option("--as", help="Staff username whose access applies")],
    period: str | None = None,
    dimension: str | None = None,
    top: int | None = None,
    segment: str | None = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every row as JSON")] = False,
) -> None:
    """Run report NAME as a staff member (their department's access applies; audited)."""
    from crm_backend.reports.render import display_rows, rows_of
    from crm_backend.reports.runner import run_report
    from crm_backend.services.staff import staff_principal

    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            try:
                principal = staff_principal(session=session, username=as_staff)
            except NotAuthenticated as exc:  # its message, "invalid token", is for the API
                raise NotAuthenticated(f"no active staff account named {as_staff!r}") from exc
            result = run_report(
                session=session, principal=principal, name=name, period=period,
                dimension=dimension, top=top, segment=segment, now=utcnow(), purpose="operator_cli",
            )  # fmt: skip
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    frame = result.frame
    if as_json:
        from crm_backend.reports.answers import json_value

        kinds = [c.kind for c in frame.columns]
        typer.echo(
            json.dumps(
                {
                    "report": name,
                    "as_of": result.as_of.isoformat(),
                    "source": result.source,
                    "params": result.params.describe(),
                    "summary": frame.summary,
                    "columns": [c.key for c in frame.columns],
                    "rows": [
                        [json_value(v, k) for v, k in zip(row, kinds, strict=True)]
                        for row in rows_of(frame)
                    ],
                }
            )
        )
        return
    typer.echo(f"{result.spec.title} ({result.source}, as of {result.as_of:%Y-%m-%d %H:%M} UTC)")
    for line in frame.summary:
        typer.echo(line)
    typer.echo(" | ".join(c.label for c in frame.columns))
    for row in display_rows(frame, 20):
        typer.echo(" | ".join(row))


@reports_app.command("refresh")
def reports_refresh(
    only: Annotated[str | None, typer.Option(help="Refresh just this report")] = None,
) -> None:
    """Pre-calculate the snapshot reports (the backend also does this nightly)."""
    from crm_backend.reports.catalogue import REPORTS
    from crm_backend.reports.refresh import refresh_snapshots

    if only is not None and only not in REPORTS:
        err.print(
            f"[red]there is no report named {only!r}; choose one of: {', '.join(REPORTS)}[/red]"
        )
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    try:
        done = refresh_snapshots(make_session_factory(engine), now=utcnow(), only=only)
    finally:
        engine.dispose()
    for item in done:
        state = f"failed: {item.error}" if item.error else "ok"
        typer.echo(f"{item.report} {json.dumps(item.params)} {item.seconds:.2f}s {state}")
    if any(item.error for item in done):
        raise typer.Exit(1)


def forecast(
    calibration_end: Annotated[
        str, typer.Option(help="Last day of the fitting period (YYYY-MM-DD)")
    ],
    holdout_end: Annotated[str, typer.Option(help="Last day of the holdout period (YYYY-MM-DD)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Fit BG/NBD and Gamma-Gamma on purchases up to the calibration end and compare the
    predicted holdout purchases with the real ones."""
    from crm_backend.reports.clv import NotEnoughData
    from crm_backend.reports.forecast_report import run_backtest
    from crm_backend.reports.periods import hk_today

    try:
        calibration, holdout = date.fromisoformat(calibration_end), date.fromisoformat(holdout_end)
    except ValueError as exc:
        err.print(f"[red]dates must be YYYY-MM-DD: {exc}[/red]")
        raise typer.Exit(2) from exc
    if holdout <= calibration:
        err.print("[red]--holdout-end must be after --calibration-end[/red]")
        raise typer.Exit(2)
    today = hk_today()
    if holdout > today:
        err.print(
            f"[red]--holdout-end {holdout} is in the future (today is {today}); the backtest "
            "compares the forecast with purchases that have already happened[/red]"
        )
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            result = run_backtest(session, calibration_end=calibration, holdout_end=holdout)
    except NotEnoughData as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.as_json()))
        return
    payload = result.as_json()
    typer.echo(f"customers: {payload['customers']}")
    typer.echo(f"BG/NBD: {payload['bgnbd']}")
    typer.echo(f"Gamma-Gamma: {payload['gamma_gamma']}")
    typer.echo(f"holdout: {payload['holdout']}")
