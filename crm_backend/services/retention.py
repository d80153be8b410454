"""The retention job (``crm retention run``): applies ``data/retention_policy.json``.

Each category has a period and an action (delete, clear a value, redact free text). A run
is decided "as of" a moment, so it can be replayed; it only touches rows not yet dealt
with, so a second run at the same moment counts 0 everywhere. It logs and audits counts
per category, never contents.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session, lazyload

from crm_backend.models import (
    CallbackRequest,
    Complaint,
    ComplaintEvent,
    DataExport,
    DataRequest,
    OutboxMessage,
    ProfileChangeRequest,
    VerificationCode,
)
from crm_backend.models.enums import (
    ActorType,
    CallbackStatus,
    ComplaintStatus,
    DataRequestStatus,
    ProfileChangeStatus,
)
from crm_backend.paths import DATA_DIR
from crm_backend.services.audit import record_system_access

logger = logging.getLogger(__name__)
REDACTED_EVENT = "text_redacted"  # timeline mark: this complaint's free text was redacted
_REDACT_BATCH = 200


@dataclass(frozen=True)
class RetentionRule:
    category: str
    period: timedelta
    action: str


@dataclass(frozen=True)
class RetentionPolicy:
    version: str
    rules: dict[str, RetentionRule]


@lru_cache
def load_retention_policy() -> RetentionPolicy:
    raw = json.loads((DATA_DIR / "retention_policy.json").read_text(encoding="utf-8"))
    rules = {
        name: RetentionRule(name, timedelta(days=int(rule["days"])), str(rule["action"]))
        for name, rule in raw["categories"].items()
    }
    missing = set(_STEPS) - set(rules)
    if missing:
        raise ValueError(f"retention_policy.json lacks categories: {', '.join(sorted(missing))}")
    for name, rule in rules.items():
        if rule.period < timedelta(0):
            raise ValueError(f"retention_policy.json: negative period for {name}")
    return RetentionPolicy(version=str(raw["version"]), rules=rules)


def run_retention(session: Session, as_of: datetime) -> dict[str, int]:
    """Apply every category of the policy as of ``as_of``; counts per category. The caller
    commits (one transaction: all of it happens or none)."""
    policy = load_retention_policy()
    counts: dict[str, int] = {}
    for category, step in _STEPS.items():
        rule = policy.rules[category]
        counts[category] = step(session, as_of - rule.period, as_of)
        record_system_access(
            session=session,
            action=rule.action[:32],
            record_type="retention_category",
            record_id=category,
            purpose=f"retention_policy {policy.version}"[:64],
        )
    session.flush()
    logger.info("retention run as of %s: %s", as_of.isoformat(), counts)
    return counts


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _outbox_messages(session: Session, cutoff: datetime, _as_of: datetime) -> int:
    # Sent, failed and never-sent messages alike: after this long a pending one is stale.
    return _rowcount(
        session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    )


def _verification_codes(session: Session, cutoff: datetime, _as_of: datetime) -> int:
    return _rowcount(
        session.execute(
            delete(VerificationCode)
            .where(VerificationCode.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    )


def _profile_change_requests(session: Session, cutoff: datetime, _as_of: datetime) -> int:
    """Clear the full value a change request still holds once it is past expiry (a pending
    one was never answered: it becomes expired)."""
    held = (
        ProfileChangeRequest.expires_at < cutoff,
        ProfileChangeRequest.new_value.is_not(None)
        | ProfileChangeRequest.new_district.is_not(None),
    )
    expired = session.execute(
        update(ProfileChangeRequest)
        .where(*held, ProfileChangeRequest.status == ProfileChangeStatus.PENDING)
        .values(new_value=None, new_district=None, status=ProfileChangeStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    others = session.execute(
        update(ProfileChangeRequest)
        .where(*held)
        .values(new_value=None, new_district=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(expired) + _rowcount(others)


def _callback_requests(session: Session, cutoff: datetime, _as_of: datetime) -> int:
    return _rowcount(
        session.execute(
            delete(CallbackRequest)
            .where(
                CallbackRequest.status.in_((CallbackStatus.DONE, CallbackStatus.CANCELLED)),
                CallbackRequest.created_at < cutoff,
            )
            .execution_options(synchronize_session=False)
        )
    )


def _closed_complaints(session: Session, cutoff: datetime, as_of: datetime) -> int:
    """Redact the free text of complaints closed before ``cutoff`` (description,
    resolution, CSAT comment, timeline notes) with the Presidio scrubber, and drop the
    contact. What the text was about (product, delivery ...) stays for statistics. A
    timeline event marks the complaint as done."""
    already = exists().where(
        ComplaintEvent.complaint_id == Complaint.id, ComplaintEvent.event_type == REDACTED_EVENT
    )
    query = (
        select(Complaint)
        .options(lazyload(Complaint.customer), lazyload(Complaint.order))
        .options(lazyload(Complaint.assigned_staff))
        .where(
            Complaint.status == ComplaintStatus.CLOSED,
            Complaint.closed_at < cutoff,
            ~already,
        )
        .order_by(Complaint.id)
        .limit(_REDACT_BATCH)
    )
    done = 0
    last_id = 0
    while True:
        batch = list(session.scalars(query.where(Complaint.id > last_id)))
        if not batch:
            return done
        _redact(session, batch, as_of)
        done += len(batch)
        last_id = batch[-1].id
        if len(batch) < _REDACT_BATCH:
            return done


def _redact(session: Session, complaints: list[Complaint], as_of: datetime) -> None:
    from crm_backend.privacy import get_scrubber  # loads the NLP model on first use only

    texts: list[str] = []
    for complaint in complaints:
        texts.append(complaint.description)
        texts.extend(t for t in (complaint.resolution, complaint.csat_comment) if t)
        texts.extend(event.note for event in complaint.events if event.note)
    scrubbed = iter(get_scrubber().scrub_many(texts))
    for complaint in complaints:
        complaint.description = next(scrubbed)
        if complaint.resolution:
            complaint.resolution = next(scrubbed)
        if complaint.csat_comment:
            complaint.csat_comment = next(scrubbed)
        for event in complaint.events:
            if event.note:
                event.note = next(scrubbed)
        complaint.contact_value = None
        complaint.updated_at = as_of
        session.add(
            ComplaintEvent(
                complaint=complaint,
                event_type=REDACTED_EVENT,
                note=None,
                actor_type=ActorType.SYSTEM,
                actor_id=None,
                created_at=as_of,
            )
        )
    session.flush()


def _data_exports(session: Session, cutoff: datetime, _as_of: datetime) -> int:
    return _rowcount(
        session.execute(
            delete(DataExport)
            .where(DataExport.expires_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    )


def _completed_data_requests(session: Session, cutoff: datetime, _as_of: datetime) -> int:
    return _rowcount(
        session.execute(
            update(DataRequest)
            .where(
                DataRequest.status.in_((DataRequestStatus.COMPLETED, DataRequestStatus.REJECTED)),
                DataRequest.completed_at < cutoff,
                DataRequest.contact_value.is_not(None),
            )
            .values(contact_value=None)
            .execution_options(synchronize_session=False)
        )
    )


Step = Callable[[Session, datetime, datetime], int]
_STEPS: dict[str, Step] = {
    "outbox_messages": _outbox_messages,
    "verification_codes": _verification_codes,
    "profile_change_requests": _profile_change_requests,
    "callback_requests": _callback_requests,
    "closed_complaints": _closed_complaints,
    "data_exports": _data_exports,
    "completed_data_requests": _completed_data_requests,
}
