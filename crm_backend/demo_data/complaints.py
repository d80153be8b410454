"""Complaints in every state, with timelines consistent with their status and SLA."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from typing import Any

from crm_backend.demo_data import vocabulary as v
from crm_backend.demo_data.orders import OrderIndex
from crm_backend.models.enums import ComplaintCategory, ComplaintStatus, Priority
from crm_backend.services.complaints import complaint_reference
from crm_backend.services.contacts import normalise_email, normalise_phone
from crm_backend.services.sla import SlaPolicy

Row = dict[str, Any]
PATH = (
    ComplaintStatus.NEW,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.IN_PROGRESS,
    ComplaintStatus.RESOLVED,
    ComplaintStatus.CLOSED,
)
CATEGORY_WEIGHTS = {
    ComplaintCategory.DELIVERY: 30, ComplaintCategory.PRODUCT_QUALITY: 25,
    ComplaintCategory.SERVICE: 18, ComplaintCategory.REFUND: 12, ComplaintCategory.BILLING: 10,
    ComplaintCategory.OTHER: 5,
}  # fmt: skip


def _final_status(rng: random.Random, age: timedelta) -> ComplaintStatus:
    if age < timedelta(days=2):
        return rng.choice((ComplaintStatus.NEW, ComplaintStatus.ACKNOWLEDGED))
    if age < timedelta(days=10):
        return rng.choice(
            (ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.IN_PROGRESS,
             ComplaintStatus.AWAITING_CUSTOMER, ComplaintStatus.RESOLVED)
        )  # fmt: skip
    statuses = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, ComplaintStatus.IN_PROGRESS,
                ComplaintStatus.AWAITING_CUSTOMER, ComplaintStatus.NEW)  # fmt: skip
    return rng.choices(statuses, (45, 40, 8, 4, 3))[0]


def _contact(rng: random.Random, customer: Row | None) -> tuple[str | None, str | None]:
    if customer is not None:
        if email := normalise_email(customer["email"] or ""):
            return "email", email
        if phone := normalise_phone(customer["phone"] or ""):
            return "phone", phone
        return None, None
    if rng.random() < 0.5:
        return "phone", f"+852{rng.choice('569')}{rng.randrange(10_000_000):07d}"
    return "email", f"guest{rng.randrange(100_000)}@{rng.choice(v.EMAIL_DOMAINS)}"


def complaint_rows(
    rng: random.Random,
    count: int,
    now: datetime,
    orders: OrderIndex,
    customers: list[Row],
    products: list[Row],
    policy: SlaPolicy,
    staff_usernames: dict[str, int],
) -> tuple[list[Row], list[Row]]:
    # Old enough that the complaint (a day or more later) still lies before ``now``.
    recent = orders.between(now - timedelta(days=365), now - timedelta(days=3))
    handler = "cs.demo"
    complaints: list[Row] = []
    events: list[Row] = []
    for complaint_id in range(1, count + 1):
        category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
        linked = len(recent) > 0 and rng.random() < 0.7
        order_id = customer = None
        store = rng.choice(v.STORES)
        if linked:
            order_id = rng.choice(recent) + 1
            customer = customers[orders.customer_ids[order_id - 1] - 1]
            store = orders.stores[order_id - 1] or store
            created = orders.times[order_id - 1] + timedelta(days=rng.uniform(1, 20))
        else:
            created = now - timedelta(days=rng.uniform(1, 365))
        created = min(created, now - timedelta(hours=rng.uniform(1, 48)))
        description = rng.choice(v.COMPLAINT_TEXTS[category.value]).format(
            product=rng.choice(products)["name"].lower(), store=store, days=rng.randrange(3, 30)
        )
        priority: Priority = policy.priority_for(category, description)
        first_due, resolution_due = policy.due_times(priority, created)
        status = _final_status(rng, now - created)
        method, value = _contact(rng, customer)

        timeline = _timeline(rng, status, created, first_due, resolution_due, now)
        reached = {to for _, to, _ in timeline}
        resolved_at = next((t for t, to, _ in timeline if to == ComplaintStatus.RESOLVED), None)
        breached = (resolved_at or now) > resolution_due
        first_responded = timeline[1][0] if len(timeline) > 1 else None
        escalated = breached and rng.random() < 0.6
        resolution = rng.choice(v.RESOLUTIONS[category.value]) if resolved_at else None
        followup = _followup(rng, status, resolved_at, timeline[-1][0], now)
        complaints.append(
            {
                "id": complaint_id,
                "reference": complaint_reference(complaint_id),
                "customer_id": customer["id"] if customer else None,
                "order_id": order_id,
                "category": category.value,
                "description": description,
                "priority": priority.value,
                "status": timeline[-1][1].value,
                "escalation_level": 1 if escalated else 0,
                "channel": rng.choices(("chat", "email", "phone", "store"), (40, 25, 20, 15))[0],
                "contact_method": method,
                "contact_value": value,
                "conversation_id": None,
                "idempotency_key": None,
                "assigned_staff_id": None
                if status == ComplaintStatus.NEW
                else staff_usernames[handler],
                "sla_policy_version": policy.version,
                "first_response_due_at": first_due,
                "resolution_due_at": resolution_due,
                "first_responded_at": first_responded,
                "resolved_at": resolved_at,
                "closed_at": timeline[-1][0] if ComplaintStatus.CLOSED in reached else None,
                "resolution": resolution,
                # History is settled: only breaches from now on are escalated by the runs.
                "first_response_breach_at": first_due
                if (first_responded or now) > first_due
                else None,
                "resolution_breach_at": resolution_due if breached else None,
                **followup,
                "created_at": created,
                "updated_at": timeline[-1][0],
            }
        )
        for moment, to_status, from_status in timeline:
            created_event = from_status is None
            events.append(
                {
                    "id": len(events) + 1,
                    "complaint_id": complaint_id,
                    "event_type": "created" if created_event else _EVENT_TYPES.get(
                        to_status, "status_changed"),
                    "from_status": from_status.value if from_status else None,
                    "to_status": to_status.value,
                    "note": None if created_event else
                            resolution if to_status == ComplaintStatus.RESOLVED else
                            rng.choice(v.STAFF_NOTES),
                    "actor_type": "customer" if created_event and customer else
                                  "system" if created_event else "staff",
                    "actor_id": None if created_event else handler,
                    "created_at": moment,
                }
            )  # fmt: skip
    return complaints, events


_EVENT_TYPES = {
    ComplaintStatus.ACKNOWLEDGED: "acknowledged",
    ComplaintStatus.RESOLVED: "resolved",
    ComplaintStatus.CLOSED: "closed",
}
# Most customers who answer the satisfaction follow-up are content; some are not.
CSAT_WEIGHTS = {5: 38, 4: 30, 3: 14, 2: 10, 1: 8}
FOLLOWUP_DELAY = timedelta(hours=24)


def _followup(
    rng: random.Random,
    status: ComplaintStatus,
    resolved_at: datetime | None,
    last_step: datetime,
    now: datetime,
) -> Row:
    """Follow-up and CSAT fields consistent with the final status: closed complaints were
    mostly rated; resolved ones await their follow-up or an answer to it."""
    row: Row = {
        "followup_due_at": None, "followup_sent_at": None, "csat_score": None, "csat_at": None,
    }  # fmt: skip
    if resolved_at is None:
        return row
    sent = resolved_at + FOLLOWUP_DELAY
    if status == ComplaintStatus.RESOLVED:
        if sent > now:
            row["followup_due_at"] = sent
        else:
            row["followup_sent_at"] = sent
    elif status == ComplaintStatus.CLOSED and rng.random() < 0.7:
        row["followup_sent_at"] = min(sent, last_step)
        row["csat_score"] = rng.choices(list(CSAT_WEIGHTS), list(CSAT_WEIGHTS.values()))[0]
        row["csat_at"] = last_step
    return row


def _timeline(
    rng: random.Random,
    final: ComplaintStatus,
    created: datetime,
    first_due: datetime,
    resolution_due: datetime,
    now: datetime,
) -> list[tuple[datetime, ComplaintStatus, ComplaintStatus | None]]:
    """(time, to_status, from_status) steps from creation to ``final``, never after ``now``."""
    path: tuple[ComplaintStatus, ...]
    if final == ComplaintStatus.AWAITING_CUSTOMER:
        path = (*PATH[:3], ComplaintStatus.AWAITING_CUSTOMER)
    else:
        path = PATH[: PATH.index(final) + 1]
    steps: list[tuple[datetime, ComplaintStatus, ComplaintStatus | None]] = [
        (created, path[0], None)
    ]
    moment = created
    for previous, status in itertools.pairwise(path):
        if status == ComplaintStatus.ACKNOWLEDGED:
            target = created + (first_due - created) * rng.uniform(0.2, 1.5)
        elif status == ComplaintStatus.RESOLVED:
            target = created + (resolution_due - created) * rng.uniform(0.3, 1.6)
        else:
            target = moment + timedelta(hours=rng.uniform(1, 72))
        # Keep the order of events and stay in the past.
        moment = min(max(target, moment + timedelta(minutes=5)), now - timedelta(minutes=1))
        steps.append((moment, status, previous))
    return steps
