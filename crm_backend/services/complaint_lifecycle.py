"""The complaint state machine: which step is legal from which status, and what it changes.

Pure rules on a ``Complaint`` object (no session, no I/O), so they can be tested
exhaustively; the services load the complaint, call one of these, and save.
Every step appends one timeline event (who, what, when).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm_backend.errors import IllegalTransition, InvalidInput
from crm_backend.models import Complaint, ComplaintEvent, Staff
from crm_backend.models.enums import ActorType, ComplaintStatus
from crm_backend.services.followup_policy import FollowupPolicy

S = ComplaintStatus
OPEN = frozenset({S.NEW, S.ACKNOWLEDGED, S.IN_PROGRESS, S.AWAITING_CUSTOMER})
FINISHED = frozenset({S.RESOLVED, S.CLOSED})


class StatusAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    AWAIT_CUSTOMER = "await_customer"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"


# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[StatusAction, tuple[frozenset[ComplaintStatus], ComplaintStatus]] = {
    StatusAction.ACKNOWLEDGE: (frozenset({S.NEW}), S.ACKNOWLEDGED),
    StatusAction.START: (frozenset({S.NEW, S.ACKNOWLEDGED, S.AWAITING_CUSTOMER}), S.IN_PROGRESS),
    StatusAction.AWAIT_CUSTOMER: (frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS}), S.AWAITING_CUSTOMER),
    StatusAction.RESOLVE: (OPEN, S.RESOLVED),
    StatusAction.CLOSE: (frozenset({S.RESOLVED}), S.CLOSED),
    StatusAction.REOPEN: (FINISHED, S.IN_PROGRESS),
    StatusAction.WITHDRAW: (OPEN, S.CLOSED),
}
EVENT_TYPES = {
    StatusAction.ACKNOWLEDGE: "acknowledged",
    StatusAction.START: "status_changed",
    StatusAction.AWAIT_CUSTOMER: "status_changed",
    StatusAction.RESOLVE: "resolved",
    StatusAction.CLOSE: "closed",
    StatusAction.REOPEN: "reopened",
    StatusAction.WITHDRAW: "withdrawn",
}
_STATUS_WORDS = {
    S.NEW: "new",
    S.ACKNOWLEDGED: "acknowledged",
    S.IN_PROGRESS: "in progress",
    S.AWAITING_CUSTOMER: "waiting for the customer",
    S.RESOLVED: "resolved",
    S.CLOSED: "closed",
}
_ACTION_WORDS = {
    StatusAction.ACKNOWLEDGE: "acknowledge",
    StatusAction.START: "start work on",
    StatusAction.AWAIT_CUSTOMER: "wait for the customer on",
    StatusAction.RESOLVE: "resolve",
    StatusAction.CLOSE: "close",
    StatusAction.REOPEN: "reopen",
    StatusAction.WITHDRAW: "withdraw",
}


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    id: str | None = None


SYSTEM = Actor(ActorType.SYSTEM)


def allowed_actions(status: ComplaintStatus) -> list[StatusAction]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def transition(
    complaint: Complaint,
    action: StatusAction,
    *,
    actor: Actor,
    now: datetime,
    policy: FollowupPolicy,
    note: str | None = None,
    resolution: str | None = None,
) -> ComplaintEvent:
    sources, target = TRANSITIONS[action]
    if complaint.status not in sources:
        raise IllegalTransition(
            f"cannot {_ACTION_WORDS[action]} a complaint that is {_STATUS_WORDS[complaint.status]}"
        )
    if action == StatusAction.RESOLVE:
        if not resolution or not resolution.strip():
            raise InvalidInput("resolution", "say how the complaint was resolved")
        complaint.resolution = resolution.strip()
        complaint.resolved_at = now
        complaint.followup_due_at = now + policy.followup_delay
        complaint.followup_sent_at = None
    elif action in (StatusAction.CLOSE, StatusAction.WITHDRAW):
        complaint.closed_at = now
        complaint.followup_due_at = None
    elif action == StatusAction.REOPEN:
        complaint.resolved_at = None
        complaint.closed_at = None
        complaint.resolution = None
        complaint.followup_due_at = None
        complaint.followup_sent_at = None
    if actor.type == ActorType.STAFF and complaint.first_responded_at is None:
        complaint.first_responded_at = now
    return _event(
        complaint,
        EVENT_TYPES[action],
        actor,
        now,
        note=resolution.strip() if action == StatusAction.RESOLVE and resolution else note,
        to_status=target,
    )


def add_information(
    complaint: Complaint, text: str, *, actor: Actor, now: datetime
) -> ComplaintEvent:
    """The complainant adds to an open complaint; if we were waiting for them, work resumes."""
    if complaint.status not in OPEN:
        raise IllegalTransition(
            f"cannot add information to a complaint that is {_STATUS_WORDS[complaint.status]}"
        )
    target = S.IN_PROGRESS if complaint.status == S.AWAITING_CUSTOMER else None
    return _event(complaint, "customer_info", actor, now, note=text, to_status=target)


def add_note(complaint: Complaint, note: str, *, actor: Actor, now: datetime) -> ComplaintEvent:
    """An internal staff note; allowed in every status (a closed file can still be annotated)."""
    return _event(complaint, "note", actor, now, note=note)


def assign(complaint: Complaint, staff: Staff, *, actor: Actor, now: datetime) -> ComplaintEvent:
    if complaint.status == S.CLOSED:
        raise IllegalTransition("cannot assign a complaint that is closed; reopen it first")
    complaint.assigned_staff = staff
    return _event(complaint, "assigned", actor, now, note=f"assigned to {staff.username}")


def escalate(complaint: Complaint, reason: str, *, actor: Actor, now: datetime) -> ComplaintEvent:
    if complaint.status == S.CLOSED:
        raise IllegalTransition("cannot escalate a complaint that is closed")
    complaint.escalation_level += 1
    return _event(complaint, "escalated", actor, now, note=reason)


def followup_outstanding(complaint: Complaint) -> bool:
    """A satisfaction follow-up was sent for the current resolution and not yet answered."""
    return (
        complaint.status == S.RESOLVED
        and complaint.followup_sent_at is not None
        and (complaint.csat_at is None or complaint.csat_at < complaint.followup_sent_at)
    )


def mark_followup_sent(complaint: Complaint, channel: str, *, now: datetime) -> ComplaintEvent:
    if complaint.status != S.RESOLVED or complaint.followup_sent_at is not None:
        raise IllegalTransition("no satisfaction follow-up is due for this complaint")
    complaint.followup_sent_at = now
    complaint.followup_due_at = None
    return _event(complaint, "followup_sent", SYSTEM, now, note=f"by {channel}")


def record_satisfaction(
    complaint: Complaint,
    rating: int,
    comment: str | None,
    *,
    actor: Actor,
    now: datetime,
    policy: FollowupPolicy,
) -> list[ComplaintEvent]:
    """Store the rating; an unhappy one reopens and escalates with a recovery offer,
    any other closes the complaint."""
    if not 1 <= rating <= 5:
        raise InvalidInput("rating", "a rating is a whole number from 1 to 5")
    if not followup_outstanding(complaint):
        raise IllegalTransition("this complaint is not waiting for a satisfaction rating")
    complaint.csat_score = rating
    complaint.csat_comment = comment
    complaint.csat_at = now
    events = [_event(complaint, "csat_recorded", actor, now, note=f"rating {rating}/5")]
    if rating <= policy.unhappy_at_most:
        events.append(
            transition(
                complaint,
                StatusAction.REOPEN,
                actor=SYSTEM,
                now=now,
                policy=policy,
                note=f"customer rated {rating}/5",
            )
        )
        events.append(escalate(complaint, f"unhappy customer ({rating}/5)", actor=SYSTEM, now=now))
        offer = policy.recovery_offer(complaint.priority, complaint.category)
        complaint.recovery_offer = offer
        events.append(_event(complaint, "recovery_offered", SYSTEM, now, note=offer))
    else:
        events.append(
            transition(
                complaint,
                StatusAction.CLOSE,
                actor=SYSTEM,
                now=now,
                policy=policy,
                note=f"customer rated {rating}/5",
            )
        )
    return events


def _event(
    complaint: Complaint,
    event_type: str,
    actor: Actor,
    now: datetime,
    *,
    note: str | None = None,
    to_status: ComplaintStatus | None = None,
) -> ComplaintEvent:
    from_status = complaint.status
    if to_status is not None:
        complaint.status = to_status
    complaint.updated_at = now
    event = ComplaintEvent(
        event_type=event_type,
        from_status=from_status if to_status is not None else None,
        to_status=to_status,
        note=note,
        actor_type=actor.type,
        actor_id=actor.id,
        created_at=now,
    )
    complaint.events.append(event)
    return event
