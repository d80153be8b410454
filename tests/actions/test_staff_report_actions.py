"""Staff asking for reports in the chat, against the real backend app in process.

The expected numbers are computed here from the seeded database with plain SQL, not with
the report code, so a report that sums the wrong orders or the wrong year fails.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher
from sales_figures import hkd, sales_in_year
from sqlalchemy import text

from actions.staff_reports import PERIOD_CHOICES, ActionStaffReport
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.clv import NotEnoughData

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
# What the backend's catalogue (crm_backend/data/permissions.json) lets each department run.
SALES_REPORTS = {
    "sales_summary",
    "top_customers",
    "rfm_segments",
    "churn_risk",
    "customer_value",
    "forecast_backtest",
    "csat",
}
MANAGEMENT_REPORTS = SALES_REPORTS | {
    "complaints_summary",
    "complaint_sla",
    "data_quality",
    "consent_summary",
}


@pytest.fixture
def staff_token(headers) -> Callable[[str], str]:  # type: ignore[no-untyped-def]
    """The bare token of a demo staff member, as the staff console puts it in metadata."""
    return lambda username: headers.staff(username)["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def ask(tracker_factory, dispatcher, domain, staff_token, backend):  # type: ignore[no-untyped-def]
    """Run the report action for what a staff member typed (or a button they pressed);
    returns the events."""

    async def say(
        text: str,
        *,
        as_user: str | None = "management.demo",
        entities: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> list[dict[str, Any]]:
        if token is None and as_user is not None:
            token = staff_token(as_user)
        tracker = tracker_factory(
            text=text, intent="staff_report", entities=entities, token=token, active_loop=None
        )
        events: list[dict[str, Any]] = await ActionStaffReport().run(dispatcher, tracker, domain)
        return events

    return say


def message(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in dispatcher.messages if m.get("response") == response)
    return found


def pressed(button: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """What Rasa makes of a button payload ``/intent{json}``: the intent and its entities."""
    payload = button["payload"]
    assert payload.startswith("/")
    brace = payload.index("{")
    return payload[1:brace], json.loads(payload[brace:])


def shown_text(dispatcher: CollectingDispatcher) -> str:
    """Every template variable the action sent, joined: for asserting nothing leaked."""
    return "\n".join(
        str(value)
        for m in dispatcher.messages
        for key, value in m.items()
        if key not in ("response", "buttons", "template")
    )


ANSWER = [
    "utter_staff_report_answer",
    "utter_staff_report_table",
    "utter_staff_report_downloads",
]
SNAPSHOT_NOTE = "utter_staff_report_snapshot_note"


def answer_parts(responses: list[str]) -> list[str]:
    """A closed period may be answered from a nightly snapshot (other tests refresh them in
    the shared database), which adds its as-of note; the figures are the same."""
    return [response for response in responses if response != SNAPSHOT_NOTE]


# --- answers -------------------------------------------------------------------------------


async def test_management_gets_the_exact_2025_sales_total(ask, said, dispatcher, session):
    total, orders = sales_in_year(session, 2025)
    assert orders > 0, "the seed has no 2025 sales to check against"

    events = await ask("what were our total sales in 2025")

    assert answer_parts(said()) == ANSWER  # a single total: no chart
    answer = message(dispatcher, "utter_staff_report_answer")
    assert answer["title"] == "Sales summary"
    assert answer["period_note"] == ", 2025"
    first, second = answer["summary"].splitlines()
    assert first.startswith(f"Sales in 2025: {hkd(total)} from {orders:,} orders")
    assert "vs the previous period" in first or "nothing in the previous period" in first
    assert second.endswith("bought in the period.")
    table = message(dispatcher, "utter_staff_report_table")["table"].splitlines()
    assert table[0] == "Scope | Sales | Orders | Average order | Share"
    assert table[1].split(" | ")[1:3] == [hkd(total), f"{orders:,}"]
    downloads = message(dispatcher, "utter_staff_report_downloads")
    assert downloads["total_rows"] == "1" and downloads["valid_for"] == "8 hours"
    for fmt in ("csv", "xlsx"):
        link = urlsplit(downloads[f"{fmt}_url"])
        assert link.path == f"/api/v1/report-exports/report.{fmt}"
        assert "signature=" in link.query and "expires=" in link.query
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "staff_pending": None,
        "staff_note": None,
    }


async def test_the_download_links_give_the_same_total(ask, dispatcher, session, app):
    total, _ = sales_in_year(session, 2025)
    await ask("what were our total sales in 2025")
    downloads = message(dispatcher, "utter_staff_report_downloads")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as web:
        link = urlsplit(downloads["csv_url"])
        got = await web.get(f"{link.path}?{link.query}")  # no bearer: the link is the key
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("text/csv")
        lines = got.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("Scope,Sales (HKD),Orders")
        assert lines[1].split(",")[1] == f"{total:.2f}"
        xlsx = urlsplit(downloads["xlsx_url"])
        got = await web.get(f"{xlsx.path}?{xlsx.query}")
        assert got.status_code == 200 and got.content[:2] == b"PK"


async def test_sales_by_channel_has_a_table_and_a_chart(ask, said, dispatcher):
    await ask("break down sales by channel last year")
    assert answer_parts(said()) == [
        "utter_staff_report_answer",
        "utter_staff_report_table",
        "utter_staff_report_chart",
        "utter_staff_report_downloads",
    ]
    summary = message(dispatcher, "utter_staff_report_answer")["summary"]
    assert "By channel:" in summary and "HKD" in summary
    table = message(dispatcher, "utter_staff_report_table")["table"].splitlines()
    assert table[0].startswith("Channel | Sales")
    assert {row.split(" | ")[0] for row in table[1:]} <= {"online", "store"}
    chart = message(dispatcher, "utter_staff_report_chart")
    assert urlsplit(chart["chart_url"]).path == "/api/v1/report-exports/report.png"


async def test_top_customers_lists_ten_with_full_details_for_management(ask, dispatcher):
    await ask("top 10 customers this year")
    answer = message(dispatcher, "utter_staff_report_answer")
    assert answer["title"] == "Top customers"
    assert answer["period_note"].startswith(", this year to date (1 Jan")
    table = message(dispatcher, "utter_staff_report_table")["table"].splitlines()
    assert table[0].split(" | ")[:5] == ["#", "Customer", "Name", "Email", "Phone"]
    rows = [row.split(" | ") for row in table[1:]]
    assert 1 <= len(rows) <= 10
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]


async def test_sales_sees_the_same_customers_with_contacts_masked(ask, dispatcher, session):
    def phones(rows: list[list[str]]) -> dict[str, str]:
        return {row[1]: row[4] for row in rows}

    await ask("top 5 customers last year")
    full = [r.split(" | ") for r in message(dispatcher, "utter_staff_report_table")["table"]
            .splitlines()[1:]]  # fmt: skip
    dispatcher.messages.clear()
    await ask("top 5 customers last year", as_user="sales.demo")
    masked = [r.split(" | ") for r in message(dispatcher, "utter_staff_report_table")["table"]
              .splitlines()[1:]]  # fmt: skip
    assert [row[1] for row in masked] == [row[1] for row in full] and full
    on_file = dict(session.execute(text("SELECT customer_no, phone FROM customer")).all())
    for number, phone in phones(full).items():
        assert phone == (on_file[number] or "")
    for number, phone in phones(masked).items():
        if on_file[number]:
            assert phone != on_file[number] and "*" in phone


async def test_a_report_from_a_snapshot_says_how_old_it_is(ask, said, dispatcher):
    await ask("rfm segments")
    dispatcher.messages.clear()
    await ask("show me the RFM segmentation")  # the first run keeps a snapshot
    assert said()[:2] == ["utter_staff_report_answer", "utter_staff_report_snapshot_note"]
    as_of = message(dispatcher, "utter_staff_report_snapshot_note")["as_of"]
    assert datetime.strptime(as_of, "%Y-%m-%d %H:%M").date() <= date.today()


# --- asking for what is missing ------------------------------------------------------------


async def test_no_period_asks_with_buttons_and_a_button_runs_the_report(ask, said, dispatcher):
    await ask("top 5 customers")
    assert said() == ["utter_staff_report_which_period"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [p.capitalize() for p in PERIOD_CHOICES]
    intent, entities = pressed(buttons[5])
    assert intent == "staff_report"
    assert entities == {
        "report_name": "top_customers",
        "report_period": "last year",
        "report_top": 5,
    }

    dispatcher.messages.clear()
    await ask(buttons[5]["payload"], entities=entities)
    assert said()[0] == "utter_staff_report_answer"
    answer = message(dispatcher, "utter_staff_report_answer")
    assert answer["period_note"] == f", {datetime.now(HONG_KONG).year - 1}"
    assert answer["summary"].startswith("Top 5 customers in ")
    rows = message(dispatcher, "utter_staff_report_table")["table"].splitlines()[1:]
    assert len(rows) == 5


async def test_an_unknown_report_offers_only_the_allowed_ones(ask, said, dispatcher):
    await ask("run the unicorn report for me", as_user="sales.demo")
    assert said() == ["utter_staff_report_which_report"]
    asked = dispatcher.messages[0]
    offered = {pressed(b)[1]["report_name"] for b in asked["buttons"]}
    assert offered == SALES_REPORTS
    assert "Sales summary" in asked["names"] and "Complaints summary" not in asked["names"]

    dispatcher.messages.clear()
    await ask("what were our total sales in 2025")
    await ask("/staff_report", entities={"report_name": "unicorn_sales"})
    await ask("/staff_report", entities={"report_name": "Robert'); DROP TABLE"})
    assert said()[-2:] == ["utter_staff_report_not_found", "utter_staff_report_not_found"]
    offered = {pressed(b)[1]["report_name"] for b in dispatcher.messages[-1]["buttons"]}
    assert offered == MANAGEMENT_REPORTS


async def test_management_is_offered_every_report_but_the_audit_log(ask, dispatcher):
    await ask("reports")
    offered = {pressed(b)[1]["report_name"] for b in dispatcher.messages[0]["buttons"]}
    assert offered == MANAGEMENT_REPORTS


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entities", "report"),
    [
        ("complaints by category last month", None, "complaints summary"),
        ("complaints summary", None, "complaints summary"),
        ("show me the audit access report for this month", None, "audit access"),
        ("/staff_report", {"report_name": "audit_access", "report_period": "this month"},
         "audit access"),
    ],
)  # fmt: skip
async def test_sales_may_not_run_complaint_or_audit_reports(
    ask, said, dispatcher, text, entities, report
):
    await ask(text, as_user="sales.demo", entities=entities)
    assert said() == ["utter_staff_report_forbidden"]
    refusal = dispatcher.messages[0]
    assert refusal["department"] == "sales" and refusal["report"] == report
    assert "buttons" not in refusal or not refusal["buttons"]
    assert "HKD" not in shown_text(dispatcher) and "report-exports" not in shown_text(dispatcher)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("top -5 customers", "top must be between 1 and 100"),
        ("top 100000 customers", "top must be between 1 and 100"),
        ("top -5 customers this year", "top must be between 1 and 100"),
        ("top 100000 customers last month", "top must be between 1 and 100"),
        ("sales in 2099", "starts after today"),
        ("total sales next year", "starts after today"),
    ],
)
async def test_bad_parameters_are_refused_with_the_reason(ask, said, dispatcher, text, reason):
    await ask(text)
    assert said()[0] == "utter_staff_report_bad_parameter"
    assert reason in dispatcher.messages[0]["reason"]
    assert "report-exports" not in shown_text(dispatcher)
    if reason == "starts after today":  # a bad period is asked for again
        assert said() == ["utter_staff_report_bad_parameter", "utter_staff_report_which_period"]
        _intent, entities = pressed(dispatcher.messages[1]["buttons"][0])
        assert entities["report_name"] == "sales_summary"
    else:
        assert said() == ["utter_staff_report_bad_parameter"]


async def test_a_bad_top_from_a_button_is_refused(ask, said, dispatcher):
    await ask(
        "/staff_report",
        entities={"report_name": "top_customers", "report_period": "this year", "report_top": -5},
    )
    assert said() == ["utter_staff_report_bad_parameter"]
    assert "between 1 and 100" in dispatcher.messages[0]["reason"]


async def test_customers_and_guests_never_get_a_report(ask, said, dispatcher, headers):
    await ask("what were our total sales in 2025", token=headers.customer_token("C000001"))
    await ask("what were our total sales in 2025", as_user=None)
    await ask("/staff_report", as_user=None, entities={"report_name": "sales_summary",
                                                         "report_period": "2025"})  # fmt: skip
    assert said() == ["utter_staff_only"] * 3
    assert "HKD" not in shown_text(dispatcher)


async def test_a_forged_staff_token_asks_to_sign_in_again(ask, said, dispatcher):
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJraW5kIjoic3RhZmYifQ.c2lnbmF0dXJl"
    await ask("what were our total sales in 2025", token=forged)
    assert said() == ["utter_staff_sign_in_expired"]


async def test_backend_down_says_try_again(
    tracker_factory, dispatcher, domain, staff_token, backend_down, said
):
    tracker = tracker_factory(
        text="what were our total sales in 2025",
        intent="staff_report",
        token=staff_token("management.demo"),
        active_loop=None,
    )
    events = await ActionStaffReport().run(dispatcher, tracker, domain)
    assert said() == ["utter_staff_backend_down"]
    assert {e["name"] for e in events if e["event"] == "slot"} == {"staff_pending", "staff_note"}


async def test_a_report_the_data_cannot_support_yet_says_why(ask, said, dispatcher, monkeypatch):
    def too_little(_ctx: Any) -> Any:
        raise NotEnoughData("fewer than 10 repeat customers")

    spec = REPORTS["churn_risk"]
    monkeypatch.setitem(REPORTS, "churn_risk", dataclasses.replace(spec, compute=too_little))
    await ask("churn risk top 7")  # not a kept snapshot's parameters: computed now
    assert said() == ["utter_staff_report_unavailable"]
    assert "fewer than 10 repeat customers" in dispatcher.messages[0]["reason"]
