"""The complaint workflows that run by themselves (``crm followups run`` and the backend's
periodic task): escalate SLA breaches, send satisfaction follow-ups, close unanswered ones.

Everything is decided "as of" a moment, so a run can be replayed for any time. Each batch
is one transaction with row locks skipped by concurrent runners (PostgreSQL), and every
step is guarded by a mark on the complaint, so a step is never done twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Select, and_, select, update
from sqlalchemy.orm import Session, lazyload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from crm_backend.config import Settings
from crm_backend.db import utcnow
from crm_backend.models import Complaint, OutboxMessage
from crm_backend.models.enums import ComplaintStatus, OutboxStatus
from crm_backend.services import complaint_lifecycle as lifecycle
from crm_backend.services.chat_push import ChatPusher
from crm_backend.services.clock import format_local
from crm_backend.services.followup_policy import FollowupPolicy, load_followup_policy
from crm_backend.services.notifications import (
    message_complainant,
    notify_supervisors,
    supervisor_usernames,
)
from crm_backend.services.tokens import Principal, issue_token

logger = logging.getLogger(__name__)
BATCH = 500
# The steps need the complaint row only; joined loads would also stop FOR UPDATE on PostgreSQL.
_ROW_ONLY = (
    lazyload(Complaint.customer),
    lazyload(Complaint.order),
    lazyload(Complaint.assigned_staff),
    lazyload(Complaint.events),
)


@dataclass
class FollowupRunSummary:
    first_response_escalations: int = 0
    resolution_escalations: int = 0
    followups_to_chat: int = 0
    followups_to_outbox: int = 0
    followups_without_contact: int = 0
    unanswered_closed: int = 0
    chat_pushed: int = 0
    chat_push_failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def run_followups(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    pusher: ChatPusher | None,
) -> FollowupRunSummary:
    policy = load_followup_policy()
    summary = FollowupRunSummary()
    _in_batches(
        session_factory,
        _first_response_breaches(now),
        _escalate_first_response(policy, now, summary),
    )
    _in_batches(
        session_factory, _resolution_breaches(now), _escalate_resolution(policy, now, summary)
    )
    _in_batches(session_factory, _due_followups(now), _send_followup(now, summary))
    _in_batches(session_factory, _unanswered(policy, now), _close_unanswered(policy, now, summary))
    _deliver_chat_followups(session_factory, settings, policy, pusher, summary)
    logger.info("follow-up run as of %s: %s", now.isoformat(), summary.as_dict())
    return summary


Step = Callable[[Session, Complaint, list[str]], None]


def _in_batches(
    session_factory: sessionmaker[Session], query: Select[Complaint], step: Step
) -> None:
    """Apply ``step`` to every complaint the query finds, BATCH rows per transaction, in id
    order (keyset: each batch starts after the last, so no batch rescans the ones before)."""
    last_id = 0
    while True:
        with session_factory() as session, session.begin():
            batch = (
                session.scalars(
                    query.where(Complaint.id > last_id)
                    .options(*_ROW_ONLY)
                    .order_by(Complaint.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True, of=Complaint)
                )
                .unique()
                .all()
            )
            if not batch:
                return
            supervisors = supervisor_usernames(session, load_followup_policy().notify_department)
            for complaint in batch:
                # A step only appends to the timeline: do not load the whole history first.
                set_committed_value(complaint, "events", [])
                step(session, complaint, supervisors)
            last_id = batch[-1].id
        if len(batch) < BATCH:
            return


def _first_response_breaches(now: datetime) -> Select[Complaint]:
    return select(Complaint).where(
        Complaint.status.in_(lifecycle.OPEN),
        Complaint.first_responded_at.is_(None),
        Complaint.first_response_due_at <= now,
        Complaint.first_response_breach_at.is_(None),
    )


def _resolution_breaches(now: datetime) -> Select[Complaint]:
    return select(Complaint).where(
        Complaint.status.in_(lifecycle.OPEN),
        Complaint.resolution_due_at <= now,
        Complaint.resolution_breach_at.is_(None),
    )


def _due_followups(now: datetime) -> Select[Complaint]:
    return select(Complaint).where(
        Complaint.status == ComplaintStatus.RESOLVED,
        Complaint.followup_due_at <= now,
        Complaint.followup_sent_at.is_(None),
    )


def _unanswered(policy: FollowupPolicy, now: datetime) -> Select[Complaint]:
    return select(Complaint).where(
        Complaint.status == ComplaintStatus.RESOLVED,
        Complaint.followup_sent_at <= now - policy.answer_window,
        # csat_at before the follow-up was sent belongs to an earlier round.
        (Complaint.csat_at.is_(None)) | (Complaint.csat_at < Complaint.followup_sent_at),
    )


def _escalate_first_response(
    policy: FollowupPolicy, now: datetime, summary: FollowupRunSummary
) -> Step:
    def step(session: Session, complaint: Complaint, supervisors: list[str]) -> None:
        complaint.first_response_breach_at = now
        lifecycle.escalate(
            complaint, "no first response within the SLA", actor=lifecycle.SYSTEM, now=now
        )
        _notify_breach(session, policy, complaint, supervisors, "first response")
        summary.first_response_escalations += 1

    return step


def _escalate_resolution(
    policy: FollowupPolicy, now: datetime, summary: FollowupRunSummary
) -> Step:
    def step(session: Session, complaint: Complaint, supervisors: list[str]) -> None:
        complaint.resolution_breach_at = now
        lifecycle.escalate(
            complaint, "not resolved within the SLA", actor=lifecycle.SYSTEM, now=now
        )
        _notify_breach(session, policy, complaint, supervisors, "resolution")
        summary.resolution_escalations += 1

    return step


def _notify_breach(
    session: Session,
    policy: FollowupPolicy,
    complaint: Complaint,
    supervisors: list[str],
    target: str,
) -> None:
    due = (
        complaint.first_response_due_at
        if target == "first response"
        else complaint.resolution_due_at
    )
    notify_supervisors(
        session,
        supervisors=supervisors,
        department=policy.notify_department,
        complaint=complaint,
        kind="escalation_notice",
        subject=f"SLA breach: {complaint.reference} ({target})",
        body=(
            f"{complaint.reference} ({complaint.priority.value} priority, "
            f"{complaint.category.value}) missed its {target} target of {format_local(due)}. "
            f"Escalation level {complaint.escalation_level}."
        ),
    )


def _send_followup(now: datetime, summary: FollowupRunSummary) -> Step:
    def step(session: Session, complaint: Complaint, _supervisors: list[str]) -> None:
        if complaint.conversation_id:
            lifecycle.mark_followup_sent(complaint, "chat", now=now)
            # Delivered after this transaction commits; the token is minted at delivery.
            session.add(
                OutboxMessage(
                    kind="satisfaction_followup",
                    channel="chat",
                    recipient=complaint.conversation_id,
                    subject=f"How did we do with {complaint.reference}?",
                    body="",
                    payload={"complaint_ref": complaint.reference},
                )
            )
            summary.followups_to_chat += 1
        elif _followup_by_message(session, complaint):
            lifecycle.mark_followup_sent(complaint, "outbox", now=now)
            summary.followups_to_outbox += 1
        else:
            # Nobody to ask: stop waiting for an answer that cannot come.
            complaint.followup_due_at = None
            summary.followups_without_contact += 1

    return step


def _followup_by_message(session: Session, complaint: Complaint) -> bool:
    # No token in the message: a message is stored and forwarded in the clear, and a token
    # would let its reader act on the complaint for the whole answer window.
    return message_complainant(
        session,
        complaint,
        kind="satisfaction_followup",
        subject=f"How did we do with {complaint.reference}?",
        body=(
            f"We resolved your complaint {complaint.reference}. How satisfied are you, from 1 "
            "(very unhappy) to 5 (very happy)? Reply to this message with a number."
        ),
    )


def followup_token(settings: Settings, policy: FollowupPolicy, reference: str) -> str:
    minutes = int(policy.answer_window.total_seconds() // 60)
    token, _ = issue_token(
        settings, Principal(kind="complaint", subject=reference), minutes=minutes
    )
    return token


def _close_unanswered(policy: FollowupPolicy, now: datetime, summary: FollowupRunSummary) -> Step:
    def step(_session: Session, complaint: Complaint, _supervisors: list[str]) -> None:
        lifecycle.transition(
            complaint,
            lifecycle.StatusAction.CLOSE,
            actor=lifecycle.SYSTEM,
            now=now,
            policy=policy,
            note="no answer to the satisfaction follow-up",
        )
        summary.unanswered_closed += 1

    return step


def _deliver_chat_followups(
    session_factory: sessionmaker[Session],
    settings: Settings,
    policy: FollowupPolicy,
    pusher: ChatPusher | None,
    summary: FollowupRunSummary,
) -> None:
    """Push pending chat follow-ups into their conversations; one that cannot be pushed
    falls back to an email or SMS to the complaint's contact.

    Each message is claimed (pending -> sent, conditionally) before it is pushed, so two
    runners never push one follow-up twice; a crash after the claim loses that push rather
    than asking the customer twice."""
    if pusher is None:
        return
    for message_id, conversation_id, reference in _pending_chat_followups(session_factory):
        with session_factory() as session, session.begin():
            claimed = session.execute(  # an UPDATE's CursorResult has rowcount
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENT, sent_at=utcnow())
            ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            continue  # another runner has it
        token = followup_token(settings, policy, reference)
        if pusher.push_followup(conversation_id, reference, token):
            summary.chat_pushed += 1
            continue
        summary.chat_push_failed += 1
        with session_factory() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(status=OutboxStatus.FAILED, sent_at=None)
            )
            complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
            if complaint is not None:
                _followup_by_message(session, complaint)


def _pending_chat_followups(
    session_factory: sessionmaker[Session],
) -> Iterator[tuple[int, str, str]]:
    with session_factory() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.payload).where(
                and_(
                    OutboxMessage.kind == "satisfaction_followup",
                    OutboxMessage.channel == "chat",
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
            )
        ).all()
    for message_id, recipient, payload in rows:
        yield message_id, recipient, str(payload.get("complaint_ref", ""))
