"""Hong Kong local time for messages shown to people; storage stays UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

HONG_KONG = ZoneInfo("Asia/Hong_Kong")


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(HONG_KONG)


def format_local(moment: datetime) -> str:
    """``Tue 24 Nov 2026, 5:00 pm`` in Hong Kong time."""
    local = to_local(moment)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{local:%a} {local.day} {local:%b %Y}, {hour}:{local:%M} {suffix}"


def format_local_date(moment: datetime) -> str:
    """``Sat 3 Oct 2026`` in Hong Kong time."""
    local = to_local(moment)
    return f"{local:%a} {local.day} {local:%b %Y}"
