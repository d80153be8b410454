"""``crm import-transactions FILE.csv``: a thin wrapper over services.transaction_import.

Registered in cli.py as ``app.command("import-transactions")(import_transactions)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from crm_backend.config import get_settings
from crm_backend.db import make_engine, make_session_factory, utcnow
from crm_backend.services.transaction_import import (
    ImportFailed,
    ImportFileError,
    ImportSummary,
    ProgressCallback,
    import_file,
)

# Its own stderr console: importing cli.py's would be a circular import.
err = Console(stderr=True, soft_wrap=True)  # soft wrap: one message, one line


def import_transactions(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV with customer_ref,date,amount and optionally "
            "order_ref,quantity,channel,store (comma or semicolon separated)",
        ),
    ],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Import the good rows and report the bad ones")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object on stdout")
    ] = False,
) -> None:
    """Import sales transactions in one transaction: all rows or none.

    Exit code 1: bad rows (nothing imported unless --skip-bad) or the database refused the
    import; 2: the file cannot be used (missing column, not UTF-8 CSV)."""
    engine = make_engine(get_settings().database_url)
    try:
        with _progress_bar() as progress:
            summary = import_file(
                session_factory=make_session_factory(engine),
                path=file,
                skip_bad=skip_bad,
                now=utcnow(),
                progress=progress,
            )
    except ImportFileError as exc:
        err.print(f"[red]{escape(str(exc))}; nothing imported[/red]")
        raise typer.Exit(2) from exc
    except ImportFailed as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    refused = bool(summary.bad_rows) and not skip_bad
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        _print_summary(summary, refused)
    if refused:
        raise typer.Exit(1)


@contextmanager
def _progress_bar() -> Iterator[ProgressCallback]:
    """A bar on stderr when it is a terminal; the first half of the work is validation."""
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("checking rows", total=None)

        def progress(done: int, total: int) -> None:
            stage = "checking rows" if 2 * done < total else "importing"
            bar.update(task, completed=done, total=total, description=stage)

        yield progress


def _print_summary(summary: ImportSummary, refused: bool) -> None:
    for error in summary.errors:
        err.print(f"line {error.line}, {error.field}: {escape(error.message)}", highlight=False)
    if summary.bad_rows > len(summary.errors):
        err.print(f"... and {summary.bad_rows - len(summary.errors)} more bad rows")
    if refused:
        err.print(
            f"[red]{summary.bad_rows} bad rows; nothing imported "
            "(fix them, or use --skip-bad to import the good rows)[/red]"
        )
    typer.echo(f"rows read:          {summary.rows}")
    typer.echo(f"imported orders:    {summary.imported}")
    typer.echo(f"customers created:  {summary.customers_created}")
    typer.echo(f"duplicates skipped: {summary.duplicates}")
    typer.echo(f"already imported:   {summary.already_imported}")
    typer.echo(f"bad rows:           {summary.bad_rows}")
    if summary.ignored_columns:
        typer.echo(f"ignored columns:    {', '.join(summary.ignored_columns)}")
