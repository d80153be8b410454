"""The complaint state machine on its own: legal steps, illegal ones, and invariants that
no sequence of steps can break (property-based)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_backend.errors import IllegalTransition, InvalidInput
from crm_backend.models import Complaint, Staff
from crm_backend.models.enums import ActorType, ComplaintCategory, ComplaintStatus, Priority
from crm_backend.services import complaint_lifecycle as lifecycle
from crm_backend.services.complaint_lifecycle import OPEN, TRANSITIONS, StatusAction
from crm_backend.services.followup_policy import load_followup_policy

S = ComplaintStatus
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
STAFF = lifecycle.Actor(ActorType.STAFF, "cs.demo")
CUSTOMER = lifecycle.Actor(ActorType.CUSTOMER, "C000001")
POLICY = load_followup_policy()


def new_complaint(
    priority: Priority = Priority.MEDIUM, category: ComplaintCategory = ComplaintCategory.DELIVERY
) -> Complaint:
    return Complaint(
        reference="CMP-000001",
        category=category,
        description="parcel never came",
        priority=priority,
        status=S.NEW,
        escalation_level=0,
        sla_policy_version="test",
        first_response_due_at=T0 + timedelta(hours=24),
        resolution_due_at=T0 + timedelta(hours=120),
        created_at=T0,
        updated_at=T0,
        events=[],
    )


def at(status: ComplaintStatus) -> Complaint:
    """A complaint brought to ``status`` through legal steps."""
    complaint = new_complaint()
    paths = {
        S.NEW: [],
        S.ACKNOWLEDGED: [StatusAction.ACKNOWLEDGE],
        S.IN_PROGRESS: [StatusAction.START],
        S.AWAITING_CUSTOMER: [StatusAction.START, StatusAction.AWAIT_CUSTOMER],
        S.RESOLVED: [StatusAction.RESOLVE],
        S.CLOSED: [StatusAction.RESOLVE, StatusAction.CLOSE],
    }
    for i, action in enumerate(paths[status]):
        lifecycle.transition(
            complaint,
            action,
            actor=STAFF,
            now=T0 + timedelta(minutes=i + 1),
            policy=POLICY,
            resolution="refund issued",
        )
    return complaint


@pytest.mark.parametrize("action", list(StatusAction))
@pytest.mark.parametrize("status", list(ComplaintStatus))
def test_every_action_from_every_status_is_either_legal_or_refused_cleanly(action, status):
    complaint = at(status)
    sources, target = TRANSITIONS[action]
    events_before = len(complaint.events)
    if status in sources:
        event = lifecycle.transition(
            complaint, action, actor=STAFF, now=T0 + timedelta(hours=1), policy=POLICY,
            resolution="replacement sent",
        )  # fmt: skip
        assert complaint.status == target
        assert event.from_status == status and event.to_status == target
        assert len(complaint.events) == events_before + 1
    else:
        with pytest.raises(IllegalTransition) as refused:
            lifecycle.transition(
                complaint, action, actor=STAFF, now=T0 + timedelta(hours=1), policy=POLICY,
                resolution="replacement sent",
            )  # fmt: skip
        assert refused.value.message.startswith("cannot ")
        assert complaint.status == status and len(complaint.events) == events_before


def test_resolving_a_closed_complaint_says_why():
    with pytest.raises(IllegalTransition, match="cannot resolve a complaint that is closed"):
        lifecycle.transition(
            at(S.CLOSED), StatusAction.RESOLVE, actor=STAFF, now=T0, policy=POLICY, resolution="x"
        )


@pytest.mark.parametrize("resolution", [None, "", "   "])
def test_resolve_needs_a_resolution_text(resolution):
    complaint = at(S.IN_PROGRESS)
    with pytest.raises(InvalidInput) as missing:
        lifecycle.transition(
            complaint, StatusAction.RESOLVE, actor=STAFF, now=T0, policy=POLICY,
            resolution=resolution,
        )  # fmt: skip
    assert missing.value.field == "resolution"
    assert complaint.status == S.IN_PROGRESS


def test_resolution_schedules_the_followup_and_first_staff_step_is_the_first_response():
    complaint = new_complaint()
    moment = T0 + timedelta(hours=3)
    lifecycle.transition(
        complaint, StatusAction.RESOLVE, actor=STAFF, now=moment, policy=POLICY,
        resolution="refund of HK$300 issued",
    )  # fmt: skip
    assert complaint.first_responded_at == moment
    assert complaint.followup_due_at == moment + POLICY.followup_delay
    assert complaint.resolution == "refund of HK$300 issued"
    assert complaint.events[-1].event_type == "resolved"
    assert complaint.events[-1].actor_id == "cs.demo"


def test_customer_information_resumes_work_when_we_were_waiting_for_them():
    complaint = at(S.AWAITING_CUSTOMER)
    event = lifecycle.add_information(complaint, "photos attached", actor=CUSTOMER, now=T0)
    assert complaint.status == S.IN_PROGRESS
    assert event.event_type == "customer_info" and event.actor_type == ActorType.CUSTOMER
    with pytest.raises(IllegalTransition):
        lifecycle.add_information(at(S.RESOLVED), "more", actor=CUSTOMER, now=T0)


def _followed_up(priority: Priority = Priority.MEDIUM, **kwargs: object) -> Complaint:
    complaint = new_complaint(priority=priority, **kwargs)  # type: ignore[arg-type]
    lifecycle.transition(
        complaint, StatusAction.RESOLVE, actor=STAFF, now=T0, policy=POLICY, resolution="done"
    )
    lifecycle.mark_followup_sent(complaint, "chat", now=T0 + timedelta(days=1))
    return complaint


@pytest.mark.parametrize("rating", [1, 2])
def test_unhappy_rating_reopens_escalates_and_offers_recovery(rating):
    complaint = _followed_up(Priority.HIGH)
    lifecycle.record_satisfaction(
        complaint, rating, None, actor=CUSTOMER, now=T0 + timedelta(days=2), policy=POLICY
    )
    assert complaint.status == S.IN_PROGRESS
    assert complaint.csat_score == rating
    assert complaint.escalation_level == 1
    assert complaint.recovery_offer == "priority_callback"  # high priority, per the policy
    assert complaint.resolved_at is None and complaint.followup_due_at is None
    kinds = [e.event_type for e in complaint.events[-4:]]
    assert kinds == ["csat_recorded", "reopened", "escalated", "recovery_offered"]


def test_recovery_offer_follows_the_policy_rules_in_order():
    complaint = _followed_up(Priority.MEDIUM, category=ComplaintCategory.OTHER)
    lifecycle.record_satisfaction(complaint, 1, None, actor=CUSTOMER, now=T0, policy=POLICY)
    assert complaint.recovery_offer == "voucher_hkd_50"


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_other_ratings_close_and_a_second_answer_is_refused(rating):
    complaint = _followed_up()
    lifecycle.record_satisfaction(
        complaint, rating, "thanks", actor=CUSTOMER, now=T0, policy=POLICY
    )
    assert complaint.status == S.CLOSED and complaint.closed_at == T0
    assert complaint.escalation_level == 0 and complaint.recovery_offer is None
    with pytest.raises(IllegalTransition):
        lifecycle.record_satisfaction(complaint, 5, None, actor=CUSTOMER, now=T0, policy=POLICY)


@pytest.mark.parametrize("rating", [0, 6, -1, 7])
def test_rating_outside_one_to_five_is_invalid(rating):
    complaint = _followed_up()
    with pytest.raises(InvalidInput):
        lifecycle.record_satisfaction(
            complaint, rating, None, actor=CUSTOMER, now=T0, policy=POLICY
        )
    assert complaint.status == S.RESOLVED and complaint.csat_score is None


def test_rating_without_a_followup_is_refused():
    with pytest.raises(IllegalTransition):
        lifecycle.record_satisfaction(
            at(S.RESOLVED), 5, None, actor=CUSTOMER, now=T0, policy=POLICY
        )


# --- property-based: no sequence of steps reaches an illegal state ---------------------

STEPS = st.one_of(
    st.tuples(st.just("transition"), st.sampled_from(list(StatusAction))),
    st.tuples(st.just("info"), st.none()),
    st.tuples(st.just("note"), st.none()),
    st.tuples(st.just("escalate"), st.none()),
    st.tuples(st.just("followup"), st.none()),
    st.tuples(st.just("rate"), st.integers(min_value=0, max_value=6)),
    st.tuples(st.just("assign"), st.none()),
)


def _apply(complaint: Complaint, step: tuple[str, object], now: datetime) -> None:
    kind, arg = step
    if kind == "transition":
        assert isinstance(arg, StatusAction)
        lifecycle.transition(
            complaint, arg, actor=STAFF, now=now, policy=POLICY, resolution="fixed"
        )
    elif kind == "info":
        lifecycle.add_information(complaint, "more details", actor=CUSTOMER, now=now)
    elif kind == "note":
        lifecycle.add_note(complaint, "called", actor=STAFF, now=now)
    elif kind == "escalate":
        lifecycle.escalate(complaint, "test", actor=lifecycle.SYSTEM, now=now)
    elif kind == "followup":
        lifecycle.mark_followup_sent(complaint, "chat", now=now)
    elif kind == "assign":
        lifecycle.assign(complaint, Staff(id=1, username="cs.demo"), actor=STAFF, now=now)
    else:
        assert isinstance(arg, int)
        lifecycle.record_satisfaction(complaint, arg, None, actor=CUSTOMER, now=now, policy=POLICY)


def _check_invariants(complaint: Complaint, previous_level: int, responded: bool) -> None:
    status = complaint.status
    assert status in set(ComplaintStatus)
    if status in OPEN:
        assert complaint.resolved_at is None and complaint.closed_at is None
        assert complaint.followup_due_at is None and complaint.followup_sent_at is None
        assert complaint.resolution is None
    if status == S.RESOLVED:
        assert complaint.resolved_at is not None and complaint.resolution
        assert complaint.closed_at is None
        assert (complaint.followup_due_at is None) != (complaint.followup_sent_at is None)
    if status == S.CLOSED:
        assert complaint.closed_at is not None and complaint.followup_due_at is None
    assert complaint.csat_score is None or 1 <= complaint.csat_score <= 5
    assert complaint.escalation_level >= previous_level
    assert not responded or complaint.first_responded_at is not None
    # The timeline agrees with the status: the last status-changing event led here.
    last = next((e for e in reversed(complaint.events) if e.to_status is not None), None)
    assert (last.to_status if last else S.NEW) == status


@settings(max_examples=300, deadline=None)
@given(st.lists(STEPS, max_size=25))
def test_no_sequence_of_steps_reaches_an_illegal_state(steps):
    complaint = new_complaint()
    now = T0
    for step in steps:
        now += timedelta(minutes=30)
        before = (complaint.status, len(complaint.events), complaint.escalation_level)
        level, responded = complaint.escalation_level, complaint.first_responded_at is not None
        try:
            _apply(complaint, step, now)
        except (IllegalTransition, InvalidInput):
            # A refused step changes nothing.
            assert (complaint.status, len(complaint.events), complaint.escalation_level) == before
        _check_invariants(complaint, level, responded)
