"""Staff console: reports in the staff member's own words ("complaints by category last
month", "top 10 customers this year"). The backend reads the parameters from the sentence
(one period parser for chat and API), decides who may run what, and computes; this action
asks for what is missing with buttons and shows the answer: summary, table, chart, links."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import crm_client
from actions.staff_complaints import StaffAction, clear_pending, safe

PERIOD_CHOICES = (
    "this month",
    "last month",
    "this quarter",
    "last quarter",
    "this year",
    "last year",
)
TABLE_ROWS = 10
# Entities set by this action's own buttons: /staff_report{"report_name": ...}.
ENTITY_PARAMS = {
    "report_name": "report",
    "report_period": "period",
    "report_dimension": "dimension",
    "report_top": "top",
    "report_segment": "segment",
}


def requested_from_entities(tracker: Tracker) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for entity, param in ENTITY_PARAMS.items():
        value = next(tracker.get_latest_entity_values(entity), None)
        if value not in (None, ""):
            values[param] = value
    return values if "report" in values else None


def button(title: str, params: dict[str, Any]) -> dict[str, str]:
    entities = {entity: params[param] for entity, param in ENTITY_PARAMS.items()
                if params.get(param) is not None}  # fmt: skip
    return {"title": title, "payload": "/staff_report" + json.dumps(entities)}


def report_buttons(allowed: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    return [button(item["title"], {"report": name}) for name, item in allowed.items()]


def top_out_of_range(info: dict[str, Any], top: Any) -> bool:
    """Whether the catalogue entry says the report cannot take this top N (the backend
    then names the problem when asked to run it)."""
    if top is None:
        return False
    limits = info.get("top") or {}
    try:
        return not 1 <= int(top) <= int(limits["maximum"])
    except (KeyError, TypeError, ValueError):
        return True


def valid_for(minutes: int) -> str:
    """'8 hours', '1 hour', '30 minutes'."""
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' * (hours != 1)}"
    return f"{minutes} minute{'s' * (minutes != 1)}"


def table_text(answer: dict[str, Any]) -> str:
    header = " | ".join(str(column["label"]) for column in answer.get("columns") or [])
    lines = [" | ".join(row) for row in answer.get("display") or []]
    more = answer.get("total_rows", 0) - len(lines)
    if more > 0:
        lines.append(f"... and {more:,} more rows in the download")
    return "\n".join([header, *lines]) if lines else header + "\n(no rows)"


class ActionStaffReport(StaffAction):
    def name(self) -> str:
        return "action_staff_report"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, token: str
    ) -> list[EventType]:
        client = crm_client.get_client()
        catalogue = await client.list_reports(user_token=token)
        allowed = {item["name"]: item for item in catalogue.get("reports") or []}
        names = ", ".join(item["title"] for item in allowed.values()) or "none"
        request = requested_from_entities(tracker)
        if request is None:
            text = tracker.latest_message.get("text") or ""
            found = await client.interpret_report_request(text[:2000], user_token=token)
            request = {
                key: found.get(key) for key in ("report", "period", "dimension", "top", "segment")
            }
        report = request.get("report")
        if not report:
            dispatcher.utter_message(
                response="utter_staff_report_which_report",
                names=names,
                buttons=report_buttons(allowed),
            )
            return clear_pending()
        if report in allowed:
            needs_period = allowed[report].get("default_period") and not request.get("period")
            # A top N out of range is refused before asking for a period it would not use.
            if needs_period and not top_out_of_range(allowed[report], request.get("top")):
                self._ask_period(dispatcher, request)
                return clear_pending()
            query = self._query(request)
        else:
            # Not allowed, or no such report (a name from a button payload): the backend
            # says which. Asked without parameters, its refusal is about the report only.
            query = {}
        try:
            answer = await client.run_report(report, query, user_token=token)
        except crm_client.Forbidden:
            dispatcher.utter_message(
                response="utter_staff_report_forbidden",
                department=str(catalogue.get("department", "")).replace("_", " "),
                report=report.replace("_", " "),
                names=names,
            )
        except crm_client.NotFound:
            dispatcher.utter_message(
                response="utter_staff_report_not_found",
                names=names,
                buttons=report_buttons(allowed),
            )
        except crm_client.InvalidRequest as exc:
            if exc.field == "name":  # not even a report name ("Sales-Report!")
                dispatcher.utter_message(
                    response="utter_staff_report_not_found",
                    names=names,
                    buttons=report_buttons(allowed),
                )
                return clear_pending()
            dispatcher.utter_message(
                response="utter_staff_report_bad_parameter", reason=safe(exc.reason)
            )
            if exc.field == "period":
                self._ask_period(dispatcher, {**request, "period": None})
        except crm_client.Conflict as exc:  # e.g. too little data yet to fit the models
            dispatcher.utter_message(
                response="utter_staff_report_unavailable", reason=safe(str(exc))
            )
        else:
            self._say_answer(dispatcher, answer)
        return clear_pending()

    @staticmethod
    def _query(request: dict[str, Any]) -> dict[str, Any]:
        return {key: request.get(key) for key in ("period", "dimension", "top", "segment")}

    @staticmethod
    def _ask_period(dispatcher: CollectingDispatcher, request: dict[str, Any]) -> None:
        dispatcher.utter_message(
            response="utter_staff_report_which_period",
            buttons=[
                button(choice.capitalize(), {**request, "period": choice})
                for choice in PERIOD_CHOICES
            ],
        )

    @staticmethod
    def _say_answer(dispatcher: CollectingDispatcher, answer: dict[str, Any]) -> None:
        period = (answer.get("params") or {}).get("period") or {}
        dispatcher.utter_message(
            response="utter_staff_report_answer",
            title=answer.get("title", ""),
            period_note=f", {period['label']}" if period.get("label") else "",
            summary=safe("\n".join(answer.get("summary") or [])),
        )
        if answer.get("source") == "snapshot":
            as_of = str(answer.get("as_of", ""))[:16].replace("T", " ")
            dispatcher.utter_message(response="utter_staff_report_snapshot_note", as_of=as_of)
        dispatcher.utter_message(
            response="utter_staff_report_table", table=safe(table_text(answer))
        )
        if answer.get("chart_url"):
            dispatcher.utter_message(
                response="utter_staff_report_chart",
                title=answer.get("title", ""),
                chart_url=answer["chart_url"],
            )
        dispatcher.utter_message(
            response="utter_staff_report_downloads",
            total_rows=f"{answer.get('total_rows', 0):,}",
            csv_url=answer.get("csv_url", ""),
            xlsx_url=answer.get("xlsx_url", ""),
            valid_for=valid_for(answer.get("links_valid_minutes") or 0),
        )
