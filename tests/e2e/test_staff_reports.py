"""Staff reports in chat through the real processes: a management staff member signs in,
asks in their own words and gets the right numbers, a table, a chart and downloads; a
sales staff member is refused the audit log without seeing any of it."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sales_figures import sales_in_year
from sqlalchemy import func, select

from crm_backend.models import AuditLogEntry

pytestmark = pytest.mark.e2e
HONG_KONG = ZoneInfo("Asia/Hong_Kong")
LINK = re.compile(r"\b(CSV|XLSX) (https?://\S+)")


def _sign_in(stack, database, username: str) -> str:
    """The staff console's sign-in, with the demo password the seed printed."""
    _department, password = database.demo_staff[username]
    answer = httpx.post(
        f"{stack.config.backend_url}/api/v1/auth/staff/login",
        json={"username": username, "password": password},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _joined(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def _links(replies: list[dict[str, Any]]) -> dict[str, str]:
    return {kind: url for kind, url in LINK.findall(_joined(replies))}


def _downloads(stack, kind: str) -> int:
    with stack.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditLogEntry)
                .where(
                    AuditLogEntry.record_id == kind,
                    AuditLogEntry.purpose == "staff_report_download",
                )
            )
            or 0
        )


def test_management_asks_in_chat_and_gets_the_right_numbers(running_stack, database):
    with running_stack.session() as session:
        total, orders = sales_in_year(session, 2025)
    assert orders > 0
    chat = running_stack.conversation(token=_sign_in(running_stack, database, "management.demo"))

    answer = _joined(chat.say("what were our total sales in 2025"))
    assert f"Sales in 2025: HKD {total:,.2f} from {orders:,} orders" in answer
    assert "Sales summary, 2025" in answer

    replies = chat.say("break down sales by channel last year")
    answer = _joined(replies)
    assert "By channel:" in answer
    assert "Channel | Sales | Orders | Average order | Share" in answer
    images = [reply["image"] for reply in replies if reply.get("image")]
    links = _links(replies)
    assert len(images) == 1 and set(links) == {"CSV", "XLSX"}
    downloads_before = _downloads(running_stack, "sales_summary")
    # Opened as the chat page opens them: no bearer token, the signed link is the key.
    chart = httpx.get(images[0], timeout=30)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    sheet = httpx.get(links["CSV"], timeout=30)
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    header, *rows = sheet.content.decode("utf-8-sig").splitlines()
    assert header.startswith("Channel,Sales (HKD),Orders")
    assert {row.split(",")[0] for row in rows} <= {"online", "store"} and rows
    assert _downloads(running_stack, "sales_summary") == downloads_before + 2
    forged = re.sub(r"signature=[0-9a-f]{64}", "signature=" + "0" * 64, links["CSV"])
    assert forged != links["CSV"] and httpx.get(forged, timeout=30).status_code == 404

    answer = _joined(chat.say("top 10 customers this year"))
    assert "Top customers, this year to date" in answer
    table = answer[answer.index("# | Customer | Name") :].splitlines()
    ranks = [line.split(" | ")[0] for line in table[1:] if re.match(r"^\d+ \| ", line)]
    assert ranks == [str(n) for n in range(1, len(ranks) + 1)] and 1 <= len(ranks) <= 10


def test_sales_staff_are_refused_the_audit_log_without_data(running_stack, database):
    chat = running_stack.conversation(token=_sign_in(running_stack, database, "sales.demo"))
    replies = chat.say("show me the audit access report for this month")
    answer = _joined(replies)
    assert "The sales department can't run the audit access report" in answer
    assert "Sales summary" in answer and "Personal data access log" not in answer
    assert not _links(replies) and not any(reply.get("image") for reply in replies)
    assert "HKD" not in answer and "report-exports" not in answer
