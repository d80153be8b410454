"""Signed, expiring links to a report's CSV, XLSX and chart: a chat image or download
cannot carry the staff member's bearer token, so the link names who asked and what, and
the backend checks again, when it is opened, that they still may."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from crm_backend.config import Settings
from crm_backend.errors import Gone, NotFound
from crm_backend.services.signed_links import sign, signature_ok

ExportFormat = Literal["csv", "xlsx", "png"]
EXPORT_PATH = "/api/v1/report-exports"
_SOURCES: dict[str, Literal["auto", "live", "snapshot"]] = {
    "auto": "auto", "live": "live", "snapshot": "snapshot"}  # fmt: skip


@dataclass(frozen=True)
class ReportRequest:
    """What was asked, so the same report comes back: the period expression is resolved
    against the day it was asked on ("last month" stays the month it meant)."""

    report: str
    username: str
    day: date
    period: str | None = None
    dimension: str | None = None
    top: int | None = None
    segment: str | None = None
    # Where the answer came from, so the file holds the same result as the answer.
    source: Literal["auto", "live", "snapshot"] = "auto"

    def encode(self) -> str:
        raw = {"r": self.report, "u": self.username, "day": self.day.isoformat(),
               "p": self.period, "d": self.dimension, "t": self.top, "s": self.segment,
               "src": None if self.source == "auto" else self.source}  # fmt: skip
        compact = json.dumps({k: v for k, v in raw.items() if v is not None}, separators=(",", ":"))
        return base64.urlsafe_b64encode(compact.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> ReportRequest:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            return cls(
                report=str(raw["r"]),
                username=str(raw["u"]),
                day=date.fromisoformat(raw["day"]),
                period=raw.get("p"),
                dimension=raw.get("d"),
                top=int(raw["t"]) if raw.get("t") is not None else None,
                segment=raw.get("s"),
                source=_SOURCES[raw.get("src", "auto")],
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise NotFound("no such report download") from exc


def _subject(fmt: str, request: str) -> str:
    return f"report-export:{fmt}:{request}"


def export_url(
    settings: Settings, request: ReportRequest, fmt: ExportFormat, *, now: datetime
) -> str:
    expires = int((now + timedelta(minutes=settings.staff_token_minutes)).timestamp())
    encoded = request.encode()
    query = urlencode(
        {
            "q": encoded,
            "expires": expires,
            "signature": sign(settings, _subject(fmt, encoded), expires),
        }
    )
    return f"{settings.public_url.rstrip('/')}{EXPORT_PATH}/report.{fmt}?{query}"


def open_request(
    settings: Settings, fmt: str, encoded: str, expires: int, signature: str, *, now: datetime
) -> ReportRequest:
    """A bad signature is 404, the same as nothing there; an old link is 410."""
    if not signature_ok(settings, _subject(fmt, encoded), expires, signature):
        raise NotFound("no such report download")
    if now.timestamp() > expires:
        raise Gone("this report link has expired; ask for the report again")
    return ReportRequest.decode(encoded)
