"""Staff reports over the API: the department permission matrix, masking, audit entries,
bad parameters, snapshot answers and the signed CSV / XLSX / chart downloads."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm_backend.api.routes import reports as reports_route
from crm_backend.db import utcnow
from crm_backend.models import AuditLogEntry, Customer, Staff
from crm_backend.models.enums import Department, StaffRole
from crm_backend.paths import DATA_DIR
from crm_backend.reports import snapshots
from crm_backend.reports.base import Column, ReportContext, ReportFrame
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.clv import NotEnoughData
from crm_backend.reports.refresh import refresh_snapshots
from crm_backend.reports.render import to_csv, to_xlsx
from crm_backend.reports.runner import resolve_params
from crm_backend.services import access
from crm_backend.services.staff import add_staff
from crm_backend.services.tokens import Principal

API = "/api/v1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MATRIX: dict[str, dict[str, str]] = json.loads(
    (DATA_DIR / "permissions.json").read_text(encoding="utf-8")
)["reports"]
DEPARTMENT_USER = {
    "customer_service": "cs.demo",
    "sales": "sales.demo",
    "marketing": "marketing.demo",
    "management": "management.demo",
    "compliance": "compliance.demo",
}
CELLS = [(dept, name) for dept in DEPARTMENT_USER for name in REPORTS]


def get(client, headers, username, path, **params):  # type: ignore[no-untyped-def]
    return client.get(f"{API}{path}", params=params, headers=headers.staff(username))


def local(url: str) -> str:
    """The path and query of an absolute link from an answer (the test client's host)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def audit_count(session, username: str, report: str) -> int:  # type: ignore[no-untyped-def]
    session.rollback()  # a new transaction: SQLite reads from a snapshot
    return session.scalar(
        select(func.count(AuditLogEntry.id)).where(
            AuditLogEntry.actor_id == username,
            AuditLogEntry.record_id == report,
            AuditLogEntry.action == "run_report",
        )
    )


def test_the_matrix_names_every_department_and_only_catalogued_reports():
    assert set(MATRIX) == {d.value for d in Department}
    for levels in MATRIX.values():
        assert set(levels) <= set(REPORTS)
        assert set(levels.values()) <= {"full", "masked"}
    assert [d for d, levels in MATRIX.items() if "audit_access" in levels] == ["compliance"]


@pytest.mark.parametrize("department", list(DEPARTMENT_USER))
def test_the_catalogue_lists_exactly_what_the_department_may_run(client, headers, department):
    response = get(client, headers, DEPARTMENT_USER[department], "/reports")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["department"] == department
    listed = {item["name"]: item["personal_fields"] for item in body["reports"]}
    assert listed == MATRIX[department]
    for item in body["reports"]:
        spec = REPORTS[item["name"]]
        assert item["dimensions"] == list(spec.dimensions)
        assert item["default_period"] == spec.default_period


@pytest.mark.parametrize(("department", "report"), CELLS)
def test_running_a_report_follows_the_matrix(client, headers, department, report):
    response = get(client, headers, DEPARTMENT_USER[department], f"/reports/{report}")
    if report not in MATRIX[department]:
        assert response.status_code == 403, response.text
        assert response.json() == {"detail": response.json()["detail"]}  # nothing else
        assert report in response.json()["detail"]
        assert "HKD" not in response.text and "rows" not in response.text
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["report"] == report
    assert body["source"] in ("live", "snapshot")
    assert len(body["summary"]) >= 1
    assert len(body["rows"]) == len(body["display"]) <= 10
    assert all(len(row) == len(body["columns"]) for row in body["rows"])
    assert body["csv_url"].startswith("http") and "signature=" in body["xlsx_url"]


def test_a_customer_token_and_no_token_are_refused(client, headers, session):
    customer_no = session.scalar(select(Customer.customer_no).limit(1))
    customer = headers.customer(customer_no)
    for path in ("/reports", "/reports/sales_summary", "/reports/top_customers"):
        assert client.get(f"{API}{path}", headers=customer).status_code == 403
        assert client.get(f"{API}{path}").status_code == 401
    interpret = client.post(f"{API}/reports/interpret", json={"text": "sales last month"})
    assert interpret.status_code == 401
    as_customer = client.post(
        f"{API}/reports/interpret", json={"text": "sales last month"}, headers=customer
    )
    assert as_customer.status_code == 403


def _top_customers(client, headers, username):  # type: ignore[no-untyped-def]
    response = get(client, headers, username, "/reports/top_customers", top=20, rows=20)
    assert response.status_code == 200, response.text
    body = response.json()
    keys = [c["key"] for c in body["columns"]]
    assert {"customer_no", "name", "email", "phone"} <= set(keys)
    rows = [dict(zip(keys, row, strict=True)) for row in body["rows"]]
    assert rows, "the seeded database has sales this year"
    return body, rows


def _contacts(session, numbers):  # type: ignore[no-untyped-def]
    query = select(Customer).where(Customer.customer_no.in_(numbers))
    return {c.customer_no: c for c in session.scalars(query)}


@pytest.mark.parametrize("username", ["sales.demo", "marketing.demo"])
def test_sales_and_marketing_see_masked_contacts(client, headers, session, username):
    body, rows = _top_customers(client, headers, username)
    customers = _contacts(session, [row["customer_no"] for row in rows])
    text = json.dumps(body)
    for row in rows:
        customer = customers[row["customer_no"]]
        if customer.email:
            assert "***" in row["email"] and customer.email not in text
        if customer.phone:
            assert "*" in row["phone"] and customer.phone not in text
            assert customer.phone[-8:] not in text.replace(" ", "")
        if customer.display_name:
            assert customer.display_name not in text


def test_management_sees_contacts_in_full(client, headers, session):
    _body, rows = _top_customers(client, headers, "management.demo")
    customers = _contacts(session, [row["customer_no"] for row in rows])
    for row in rows:
        customer = customers[row["customer_no"]]
        assert row["email"] == (customer.email or "")
        assert row["phone"] == (customer.phone or "")
        assert row["name"] == customer.display_name


@pytest.mark.parametrize(
    ("username", "report", "customer_list"),
    [("management.demo", "sales_summary", False), ("sales.demo", "top_customers", True),
     ("compliance.demo", "audit_access", False), ("cs.demo", "complaints_summary", False)],
)  # fmt: skip
def test_every_run_writes_audit_entries(client, headers, session, username, report, customer_list):
    """One "run_report" entry per run, and a "read" of the customer list when it names
    customers (personal data); a refused run is no run."""
    before = audit_count(session, username, report)
    reads = select(func.count(AuditLogEntry.id)).where(
        AuditLogEntry.actor_id == username, AuditLogEntry.record_id == report,
        AuditLogEntry.record_type == "customer_list", AuditLogEntry.action == "read",
    )  # fmt: skip
    reads_before = session.scalar(reads)
    for _ in range(2):
        assert get(client, headers, username, f"/reports/{report}").status_code == 200
    assert audit_count(session, username, report) == before + 2
    assert session.scalar(reads) == reads_before + (2 if customer_list else 0)
    newest = session.scalars(
        select(AuditLogEntry.purpose)
        .where(AuditLogEntry.actor_id == username, AuditLogEntry.record_id == report)
        .order_by(AuditLogEntry.id.desc())
    ).first()
    assert newest == "staff_report"
    refused = "audit_access" if username != "compliance.demo" else "top_customers"
    before = audit_count(session, username, refused)
    assert get(client, headers, username, f"/reports/{refused}").status_code == 403
    assert audit_count(session, username, refused) == before


@pytest.mark.parametrize(
    ("report", "params", "field"),
    [
        ("sales_summary", {"period": "next year"}, "period"),
        ("sales_summary", {"period": "2099"}, "period"),
        ("sales_summary", {"period": "between 31 Mar 2026 and 1 Jan 2026"}, "period"),
        ("sales_summary", {"period": "gibberish words"}, "period"),
        ("sales_summary", {"period": "x" * 200}, "period"),
        ("sales_summary", {"period": "x" * 201}, "period"),
        ("top_customers", {"top": "-5"}, "top"),
        ("top_customers", {"top": "0"}, "top"),
        ("top_customers", {"top": "100000"}, "top"),
        ("top_customers", {"top": "ten"}, "top"),
        ("sales_summary", {"top": "5"}, "top"),
        ("sales_summary", {"dimension": "colour"}, "dimension"),
        ("sales_summary", {"dimension": "'; DROP TABLE customer;--"}, "dimension"),
        ("rfm_segments", {"segment": "vip"}, "segment"),
        ("top_customers", {"segment": "champions"}, "segment"),
        ("rfm_segments", {"period": "last month"}, "period"),
        ("churn_risk", {"period": "2025"}, "period"),
        ("sales_summary", {"rows": "0"}, "rows"),
        ("sales_summary", {"source": "cache"}, "source"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, headers, session, report, params, field):
    before = audit_count(session, "management.demo", report)
    response = get(client, headers, "management.demo", f"/reports/{report}", **params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", field]
    assert "DROP TABLE" not in response.text
    assert audit_count(session, "management.demo", report) == before


def test_the_422_message_says_what_is_allowed(client, headers):
    top = get(client, headers, "management.demo", "/reports/top_customers", top=100000)
    assert top.json()["detail"][0]["msg"] == "top must be between 1 and 100"
    future = get(client, headers, "management.demo", "/reports/sales_summary", period="next year")
    assert "starts after today" in future.json()["detail"][0]["msg"]
    reverse = get(
        client, headers, "management.demo", "/reports/sales_summary",
        period="between 31 Mar 2026 and 1 Jan 2026",
    )  # fmt: skip
    assert "before it starts" in reverse.json()["detail"][0]["msg"]
    dimension = get(client, headers, "management.demo", "/reports/sales_summary", dimension="x")
    assert dimension.json()["detail"][0]["msg"].endswith("total, channel, store, month")


def test_an_unknown_report_is_404(client, headers):
    response = get(client, headers, "management.demo", "/reports/no_such_report")
    assert response.status_code == 404
    assert "GET /api/v1/reports" in response.json()["detail"]


@pytest.mark.parametrize(
    "name",
    ["Sales_Summary", "sales-summary", "sales_summary;drop", "sales%20summary", "..%2Fhealthz",
     "a" * 65, "%E9%8A%B7%E5%94%AE", "sales_summary%00"],
)  # fmt: skip
def test_a_name_with_odd_characters_is_refused(client, headers, name):
    response = client.get(f"{API}/reports/{name}", headers=headers.staff("management.demo"))
    assert response.status_code in (404, 422), response.text
    if response.status_code == 422:
        assert response.json()["detail"][0]["loc"] == ["path", "name"]


def test_a_period_parameter_is_read_and_described(client, headers):
    response = get(
        client, headers, "management.demo", "/reports/sales_summary",
        period="between 1 Jan and 31 Mar 2026", dimension="channel",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    params = response.json()["params"]
    assert params["dimension"] == "channel"
    assert params["period"]["start"] == "2026-01-01"
    assert params["period"]["end_inclusive"] == "2026-03-31"


def test_a_snapshot_answer_says_its_as_of_time(client, headers, app):
    as_of = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    done = refresh_snapshots(app.state.session_factory, now=as_of, only="rfm_segments")
    assert [(item.report, item.error) for item in done] == [("rfm_segments", None)]
    response = get(client, headers, "management.demo", "/reports/rfm_segments")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "snapshot"
    assert body["as_of"][:19] == as_of.isoformat()[:19]
    live = get(client, headers, "management.demo", "/reports/rfm_segments", source="live")
    assert live.json()["source"] == "live"
    assert live.json()["as_of"] > body["as_of"]
    assert live.json()["total_rows"] == body["total_rows"]


def test_a_closed_period_is_answered_from_a_snapshot_taken_after_it_ended(
    client, headers, app, session
):
    as_of = (utcnow() - timedelta(minutes=3)).replace(microsecond=0)
    done = refresh_snapshots(app.state.session_factory, now=as_of, only="sales_summary")
    assert {item.report for item in done} == {"sales_summary"}
    assert len(done) == len(REPORTS["sales_summary"].snapshot_presets)
    last_month = {"period": "last month", "dimension": "channel"}
    auto = get(client, headers, "management.demo", "/reports/sales_summary", **last_month)
    assert auto.json()["source"] == "snapshot"
    assert auto.json()["as_of"][:19] == as_of.isoformat()[:19]
    live = get(client, headers, "management.demo", "/reports/sales_summary", source="live",
               **last_month)  # fmt: skip
    assert live.json()["source"] == "live" and live.json()["rows"] == auto.json()["rows"]
    # An open period is computed live even though a snapshot of it exists ...
    this_year = {"period": "this year", "dimension": "month"}
    assert get(client, headers, "management.demo", "/reports/sales_summary",
               **this_year).json()["source"] == "live"  # fmt: skip
    stored = get(client, headers, "management.demo", "/reports/sales_summary",
                 source="snapshot", **this_year)  # fmt: skip
    assert stored.json()["source"] == "snapshot"
    # ... and a snapshot taken before a period ended is not its answer.
    spec = REPORTS["sales_summary"]
    params = resolve_params(spec, period="last month", dimension="store", top=None,
                            segment=None, now=utcnow())  # fmt: skip
    assert params.period is not None
    before_end = params.period.end_utc() - timedelta(hours=1)
    frame = spec.compute(ReportContext(session=session, params=params, now=before_end))
    snapshots.save(session, "sales_summary", params, frame, before_end)
    session.commit()
    early = get(client, headers, "management.demo", "/reports/sales_summary",
                period="last month", dimension="store")  # fmt: skip
    assert early.json()["source"] == "live"


def _answer(client, headers, username="management.demo", report="sales_summary", **params):  # type: ignore[no-untyped-def]
    if report == "sales_summary" and not params:
        params = {"period": "this year", "dimension": "channel"}
    response = get(client, headers, username, f"/reports/{report}", **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_signed_links_download_csv_xlsx_and_png(client, headers):
    body = _answer(client, headers)
    downloaded = client.get(local(body["csv_url"]))
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"].startswith("text/csv")
    assert "attachment" in downloaded.headers["content-disposition"]
    assert downloaded.headers["cache-control"] == "private, no-store"
    table = list(csv.reader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
    assert len(table) == body["total_rows"] + 1
    assert table[0][0] == body["columns"][0]["label"]
    assert [row[0] for row in table[1:]] == [str(row[0]) for row in body["rows"]]

    xlsx = client.get(local(body["xlsx_url"]))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    cells = [row for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == body["title"]
    assert any(row and row[0] == body["columns"][0]["label"] for row in cells)

    assert body["chart_url"] is not None
    png = client.get(local(body["chart_url"]))
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(PNG_SIGNATURE)


def test_a_download_is_audited(client, headers, session):
    body = _answer(client, headers)

    def downloads() -> int:
        session.rollback()  # a new transaction: SQLite reads from a snapshot
        return session.scalar(
            select(func.count(AuditLogEntry.id)).where(
                AuditLogEntry.actor_id == "management.demo",
                AuditLogEntry.purpose == "staff_report_download",
            )
        )

    before = downloads()
    assert client.get(local(body["csv_url"])).status_code == 200
    assert downloads() == before + 1


def _tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def _requery(url: str, **fields: object) -> str:
    q = parse_qs(urlsplit(url).query)["q"][0]
    raw = json.loads(base64.urlsafe_b64decode(q + "=" * (-len(q) % 4)))
    raw.update(fields)
    encoded = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    return _tampered(url, q=encoded)


def test_a_tampered_or_changed_link_is_refused(client, headers):
    url = _answer(client, headers)["csv_url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    refused = [
        _tampered(url, signature=flipped),
        _tampered(url, signature=signature.upper()[:63] + "g"),
        _tampered(url, expires=str(int(parse_qs(urlsplit(url).query)["expires"][0]) + 3600)),
        _requery(url, u="management.demo", d="store"),
        _requery(url, u="cs.demo"),
        _requery(url, r="top_customers"),
        local(url).replace("report.csv", "report.xlsx"),
    ]
    for path in refused:
        response = client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json() == {"detail": "no such report download"}
    missing = client.get(local(url).split("&signature=")[0])
    assert missing.status_code == 422


def test_an_expired_link_is_gone(client, headers, settings, monkeypatch):
    body = _answer(client, headers)
    later = utcnow() + timedelta(minutes=settings.staff_token_minutes, seconds=5)
    monkeypatch.setattr(reports_route, "utcnow", lambda: later)
    response = client.get(local(body["csv_url"]))
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]
    monkeypatch.setattr(reports_route, "utcnow", lambda: later - timedelta(seconds=60))
    assert client.get(local(body["csv_url"])).status_code == 200


def test_an_old_link_stops_when_the_department_loses_the_report(client, headers, monkeypatch):
    body = _answer(client, headers, "sales.demo", "top_customers", top="5")
    assert client.get(local(body["csv_url"])).status_code == 200
    reduced = {dept: dict(levels) for dept, levels in MATRIX.items()}
    del reduced["sales"]["top_customers"]
    monkeypatch.setattr(access, "report_permissions", lambda: reduced)
    for url in (body["csv_url"], body["xlsx_url"]):
        response = client.get(local(url))
        assert response.status_code == 403
        assert "HKD" not in response.text


def test_an_old_link_follows_the_staff_members_current_account(client, headers, session):
    username = f"rpt{uuid.uuid4().hex[:10]}"
    add_staff(session=session, username=username, password=uuid.uuid4().hex,
              department=Department.SALES)  # fmt: skip
    session.commit()
    token = headers.principal(
        Principal(kind="staff", subject=username, department=Department.SALES,
                  role=StaffRole.AGENT)
    )  # fmt: skip
    response = client.get(f"{API}/reports/top_customers", headers=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert client.get(local(body["csv_url"])).status_code == 200
    staff = session.scalar(select(Staff).where(Staff.username == username))
    staff.department = Department.CUSTOMER_SERVICE  # moved: no top_customers there
    session.commit()
    assert client.get(local(body["csv_url"])).status_code == 403
    staff.department = Department.SALES
    staff.is_active = False
    session.commit()
    assert client.get(local(body["csv_url"])).status_code == 401


@pytest.mark.parametrize(
    ("username", "text", "report", "allowed"),
    [("sales.demo", "break down Q3 sales by channel", "sales_summary", True),
     ("cs.demo", "top 10 customers this year", "top_customers", False),
     ("compliance.demo", "who accessed personal data this month", "audit_access", True),
     ("management.demo", "hello there", None, False)],
)  # fmt: skip
def test_interpret_says_whether_the_department_may_run_it(
    client, headers, username, text, report, allowed
):
    response = client.post(
        f"{API}/reports/interpret", json={"text": text}, headers=headers.staff(username)
    )
    assert response.status_code == 200, response.text
    assert response.json()["report"] == report
    assert response.json()["allowed"] is allowed


def _xlsx_as_of(client, url: str) -> str:  # type: ignore[no-untyped-def]
    sheet = load_workbook(io.BytesIO(client.get(local(url)).content)).active
    stamps = [c for (c,) in sheet.iter_rows(max_col=1, values_only=True)
              if isinstance(c, str) and c.startswith("As of ")]  # fmt: skip
    assert len(stamps) == 1
    return stamps[0].removeprefix("As of ")[:16]


def test_a_download_holds_the_same_result_as_its_answer(client, headers, app):
    """An answer asked for live is downloaded live, one from the snapshot from it."""
    snapshot_at = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    refresh_snapshots(app.state.session_factory, now=snapshot_at, only="rfm_segments")
    stored = _answer(client, headers, report="rfm_segments")
    assert stored["source"] == "snapshot"
    assert _xlsx_as_of(client, stored["xlsx_url"]) == snapshot_at.isoformat()[:16]
    live = _answer(client, headers, report="rfm_segments", source="live")
    assert live["source"] == "live"
    assert _xlsx_as_of(client, live["xlsx_url"]) >= live["as_of"][:16]
    as_sales = _answer(client, headers, "management.demo", "sales_summary", source="snapshot",
                       period="last month", dimension="channel")  # fmt: skip
    assert _xlsx_as_of(client, as_sales["xlsx_url"]) == as_sales["as_of"][:16]


def test_a_period_with_too_little_data_is_422_on_period(client, headers):
    response = get(client, headers, "management.demo", "/reports/forecast_backtest",
                   period="1995")  # fmt: skip
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["query", "period"]
    assert detail["msg"].startswith("there is not enough data for the forecast_backtest report")


def test_a_model_that_cannot_be_fitted_is_409_not_500(client, headers, monkeypatch):
    def cannot_fit(_ctx):  # type: ignore[no-untyped-def]
        raise NotEnoughData("BG/NBD cannot be fitted: no customer made a repeat purchase")

    spec = REPORTS["customer_value"]
    monkeypatch.setitem(REPORTS, "customer_value", replace(spec, compute=cannot_fit))
    response = get(client, headers, "management.demo", "/reports/customer_value", source="live")
    assert response.status_code == 409
    assert response.json()["detail"].endswith("no customer made a repeat purchase")


def test_spreadsheet_formulas_in_text_are_not_run():
    frame = ReportFrame(
        columns=[Column("store", "Store"), Column("cents", "Sales", "money")],
        data=pd.DataFrame({"store": ['=HYPERLINK("http://example.invalid","x")', "+1", "Mall"],
                           "cents": [100, -250, 0]}),
        summary=["=1+1 summary"],
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(to_csv(frame).decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://example.invalid","x")', "1.00"]
    assert rows[2] == ["'+1", "-2.50"] and rows[3] == ["Mall", "0.00"]
    book = load_workbook(io.BytesIO(to_xlsx(frame, title="T", as_of=utcnow())))
    cells = [cell for row in book.active.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    assert '=HYPERLINK("http://example.invalid","x")' in [cell.value for cell in cells]
