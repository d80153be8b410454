"""What a staff member's sentence asks for: which report, period, dimension, top N and
segment ("break down Q3 sales by channel" -> sales_summary, Q3, channel). Rasa knows the
sentence is a report request; this reads its parameters, in one place with the period
parser, so the chat and the API understand periods the same way."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.periods import find_period

# Checked in order: the first report whose words appear wins.
_REPORT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("audit_access", r"\baudit|access log|who (?:accessed|read|viewed)"),
        ("consent_summary", r"\bconsent|opt(?:ed)?[- ]?(?:in|out)|marketing (?:choices|preferences)"),
        ("data_quality", r"data quality|profile gaps|incomplete (?:profiles|records)|missing (?:emails|phones|details)"),
        ("forecast_backtest", r"forecast|backtest|predict"),
        ("churn_risk", r"\bchurn|lapsed|likely to (?:leave|stop)|stopped buying"),
        ("customer_value", r"customer value|lifetime value|\bclv\b|expected (?:spend|purchases|value)"),
        ("rfm_segments", r"\brfm\b|segment"),
        ("top_customers", r"\btop(?:\b|(?=\d)).*\bcustomers?|best customers|biggest (?:spenders|customers)|(?:spend|spent|spends|buy|bought) the most"),
        ("csat", r"\bcsat\b|satisf|\b(?:un)?happy\b|ratings?\b"),
        ("complaint_sla", r"\bsla\b|breach|response time|resolution time|within target"),
        ("complaints_summary", r"complain|\bcomplaa?nts?\b|\bcomplants?\b"),
        ("sales_summary", r"\bsales\b|revenue|turnover|takings|\bsold\b|\bsell"),
    )
)  # fmt: skip
_DIMENSION_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("channel", r"\bby channel|online (?:vs\.?|versus|and|or) (?:in[- ])?stores?|channel"),
        ("store", r"\bby (?:store|shop|branch)|(?:per|each|every) (?:store|shop|branch)"),
        ("month", r"\bby month|monthly|per month|each month|month by month"),
        ("category", r"\bby (?:category|type)|categor"),
        ("status", r"\bby status|status"),
        ("priority", r"\bby priority|priorit"),
        ("source", r"\bby source"),
        ("action", r"\bby action"),
        ("record_type", r"\bby record"),
        ("actor_type", r"\bby actor type"),
        ("actor", r"\bby (?:actor|user|staff)"),
        ("purpose", r"\bby purpose"),
        ("total", r"\btotal\b"),
    )
)  # fmt: skip
_TOP = re.compile(r"\btop\s*(-?\d{1,9})\b", re.I)


@dataclass
class Interpretation:
    report: str | None = None
    period: str | None = None
    dimension: str | None = None
    top: int | None = None
    segment: str | None = None
    missing: list[str] = field(default_factory=list)


def interpret(text: str) -> Interpretation:
    # Full-width letters and digits, as a Chinese input method types them, read as ASCII.
    text = unicodedata.normalize("NFKC", text[:500])
    found = Interpretation()
    found.report = next((name for name, words in _REPORT_WORDS if words.search(text)), None)
    spec = REPORTS.get(found.report or "")
    found.period = find_period(text)
    top = _TOP.search(text)
    if top:
        found.top = int(top.group(1))
    if spec is None:
        found.missing.append("report")
        return found
    found.dimension = next(
        (
            name
            for name, words in _DIMENSION_WORDS
            if name in spec.dimensions and words.search(text)
        ),
        None,
    )
    lowered = text.casefold().replace("_", " ")  # "at_risk" as the API reads it
    found.segment = next((s for s in spec.segments if re.search(rf"\b{s}\b", lowered)), None)
    if spec.takes_period and found.period is None:
        found.missing.append("period")
    if not spec.takes_period:  # "expected spend next quarter": the API would refuse a period
        found.period = None
    if spec.top is None:
        found.top = None
    return found
