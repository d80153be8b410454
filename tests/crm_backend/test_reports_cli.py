"""``crm reports run``, ``crm reports refresh`` and ``crm forecast`` on a seeded database of
this module's own (SQLite and PostgreSQL): output, exit codes, access and audit."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from databases import empty_database
from sqlalchemy import func, select
from typer.testing import CliRunner

from crm_backend import migrate
from crm_backend.cli import app
from crm_backend.config import get_settings
from crm_backend.db import make_engine
from crm_backend.demo_data import seed_database
from crm_backend.models import AuditLogEntry, ReportSnapshot
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.periods import hk_today

SEED_NOW = datetime(2026, 11, 1, tzinfo=UTC)
FORECAST_KEYS = {
    "bgnbd": {"r", "alpha", "a", "b"},
    "gamma_gamma": {"p", "q", "v"},
    "holdout": {"predicted", "actual", "mae"},
}


def _seed(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        seed_database(engine, customers=60, orders=500, complaints=10, seed=5, now=SEED_NOW)
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A migrated, seeded database per backend for this module; PostgreSQL never skips."""
    with empty_database(request.param, tmp_path_factory.mktemp("reports_cli")) as url:
        _seed(url)
        yield url


@pytest.fixture
def crm(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:  # type: ignore[type-arg]
    monkeypatch.setenv("CRM_DATABASE_URL", db_url)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def scalar(url: str, query):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(query)
    finally:
        engine.dispose()


def runs_audited(url: str, report: str) -> int:
    return scalar(
        url,
        select(func.count(AuditLogEntry.id)).where(
            AuditLogEntry.actor_id == "management.demo",
            AuditLogEntry.record_id == report,
            AuditLogEntry.action == "run_report",
            AuditLogEntry.purpose == "operator_cli",
        ),
    )


def test_run_prints_the_report_and_is_audited(crm, db_url):
    before = runs_audited(db_url, "sales_summary")
    result = crm("reports", "run", "sales_summary", "--as", "management.demo",
                 "--period", "2026", "--dimension", "channel")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Sales summary (live, as of ")
    assert any("HKD " in line for line in lines[1:])
    assert any(line.startswith("online | ") or line.startswith("store | ") for line in lines)
    assert runs_audited(db_url, "sales_summary") == before + 1


def test_run_as_json(crm):
    result = crm("reports", "run", "top_customers", "--as", "management.demo",
                 "--period", "between 1 Jan and 31 Oct 2026", "--top", "5", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"report", "as_of", "source", "params", "summary", "columns", "rows"}
    assert body["report"] == "top_customers" and body["source"] == "live"
    assert body["params"]["top"] == 5
    assert body["params"]["period"]["start"] == "2026-01-01"
    assert body["params"]["period"]["end_inclusive"] == "2026-10-31"
    assert 1 <= len(body["rows"]) <= 5
    assert {"customer_no", "name", "email", "phone", "cents"} <= set(body["columns"])
    spend = [row[body["columns"].index("cents")] for row in body["rows"]]
    assert spend == sorted(spend, key=float, reverse=True)


def test_run_masks_for_a_department_that_does_not_need_contacts(crm):
    result = crm("reports", "run", "top_customers", "--as", "sales.demo", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    email = body["columns"].index("email")
    assert body["rows"] and all("*" in row[email] for row in body["rows"] if row[email])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit_access", "--as", "sales.demo"], "may not run the audit_access report"),
        (["no_such_report", "--as", "management.demo"], "there is no report by that name"),
        (["top_customers", "--as", "management.demo", "--top", "-5"],
         "top must be between 1 and 100"),
        (["top_customers", "--as", "management.demo", "--top", "100000"],
         "top must be between 1 and 100"),
        (["sales_summary", "--as", "management.demo", "--period", "next year"],
         "starts after today"),
        (["sales_summary", "--as", "management.demo", "--period", "31 Mar 2026 - 1 Jan 2026"],
         "before it starts"),
        (["sales_summary", "--as", "management.demo", "--dimension", "colour"],
         "dimension must be one of"),
        (["rfm_segments", "--as", "management.demo", "--segment", "vip"],
         "segment must be one of"),
        (["rfm_segments", "--as", "management.demo", "--period", "2025"], "takes no period"),
        (["forecast_backtest", "--as", "management.demo", "--period", "1995"],
         "not enough data for the forecast_backtest report"),
        (["sales_summary", "--as", "nobody.here"], "no active staff account named 'nobody.here'"),
    ],
)  # fmt: skip
def test_run_refuses_with_a_clear_message_and_exit_1(crm, args, message):
    result = crm("reports", "run", *args)
    assert result.exit_code == 1
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_refresh_writes_every_snapshot_and_a_run_reads_it(crm, db_url):
    result = crm("reports", "refresh")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    expected = sum(len(spec.snapshot_presets) for spec in REPORTS.values())
    assert len(lines) == expected
    assert all(line.endswith("s ok") for line in lines), lines
    assert scalar(db_url, select(func.count(ReportSnapshot.id))) == expected
    as_of = scalar(db_url, select(func.max(ReportSnapshot.as_of)))
    for name in ("rfm_segments", "churn_risk", "data_quality"):
        run = crm("reports", "run", name, "--as", "management.demo", "--json")
        assert run.exit_code == 0, run.output
        body = json.loads(run.stdout)
        assert body["source"] == "snapshot"
        stamp = datetime.fromisoformat(body["as_of"])
        assert abs(stamp.replace(tzinfo=None) - as_of.replace(tzinfo=None)) < timedelta(seconds=1)


def test_refresh_again_replaces_and_only_refreshes_one(crm, db_url):
    assert crm("reports", "refresh").exit_code == 0
    count = scalar(db_url, select(func.count(ReportSnapshot.id)))
    only = crm("reports", "refresh", "--only", "rfm_segments")
    assert only.exit_code == 0, only.output
    assert [line.split()[0] for line in only.stdout.splitlines()] == ["rfm_segments"]
    assert scalar(db_url, select(func.count(ReportSnapshot.id))) == count


def test_refresh_of_an_unknown_report_is_refused(crm):
    result = crm("reports", "refresh", "--only", "no_such_report")
    assert result.exit_code == 2
    assert "no report" in result.stderr


def test_forecast_json_has_exactly_the_documented_keys(crm):
    result = crm("forecast", "--calibration-end", "2026-03-31",
                 "--holdout-end", "2026-09-30", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {*FORECAST_KEYS, "customers"}
    for key, fields in FORECAST_KEYS.items():
        assert set(body[key]) == fields
        for value in body[key].values():
            assert isinstance(value, int | float) and not isinstance(value, bool)
            assert math.isfinite(value)
    assert isinstance(body["customers"], int) and 0 < body["customers"] <= 60
    assert all(body["bgnbd"][k] > 0 for k in ("r", "alpha", "a", "b"))
    assert all(body["gamma_gamma"][k] > 0 for k in ("p", "q", "v"))
    assert body["holdout"]["predicted"] >= 0 and body["holdout"]["mae"] >= 0
    assert isinstance(body["holdout"]["actual"], int) and body["holdout"]["actual"] >= 0


def test_forecast_without_json_prints_the_same_figures(crm):
    result = crm("forecast", "--calibration-end", "2026-03-31", "--holdout-end", "2026-09-30")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("customers: ")
    assert "BG/NBD: {" in result.stdout and "holdout: {" in result.stdout


@pytest.mark.parametrize(
    ("calibration", "holdout", "message"),
    [
        ("2026-09-30", "2026-03-31", "--holdout-end must be after --calibration-end"),
        ("2026-03-31", "2026-03-31", "--holdout-end must be after --calibration-end"),
        ("2026-03-31", "2099-12-31", "is in the future"),
        ("2099-01-01", "2099-12-31", "is in the future"),
        ("31/03/2026", "2026-09-30", "dates must be YYYY-MM-DD"),
        ("2026-02-30", "2026-09-30", "dates must be YYYY-MM-DD"),
        ("'; DROP TABLE customer;--", "2026-09-30", "dates must be YYYY-MM-DD"),
    ],
)
def test_forecast_refuses_bad_dates(crm, calibration, holdout, message):
    result = crm("forecast", "--calibration-end", calibration, "--holdout-end", holdout, "--json")
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_forecast_tomorrow_is_the_future_and_today_is_not(crm):
    today = hk_today()
    tomorrow = crm("forecast", "--calibration-end", "2026-03-31",
                   "--holdout-end", (today + timedelta(days=1)).isoformat())  # fmt: skip
    assert tomorrow.exit_code == 2
    on_today = crm("forecast", "--calibration-end", "2026-03-31",
                   "--holdout-end", today.isoformat(), "--json")  # fmt: skip
    assert on_today.exit_code == 0, on_today.output


def test_forecast_before_any_purchase_says_why(crm):
    result = crm("forecast", "--calibration-end", "1995-01-31", "--holdout-end", "1995-06-30")
    assert result.exit_code == 1
    assert "no customers purchased on or before the calibration end" in result.stderr
