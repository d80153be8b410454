"""POST /feedback, and the customer's order list and order view (GET /orders, /orders/{no})."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crm_backend.db import utcnow
from crm_backend.models import Customer, Feedback, Order
from crm_backend.models.enums import OrderStatus, SalesChannel
from crm_backend.services.tokens import Principal

HK = ZoneInfo("Asia/Hong_Kong")
FEEDBACK_TEXT = "The staff at the Mong Kok shop were patient and helpful with my return."


def _feedback_body(**overrides):
    body = {
        "kind": "compliment",
        "text": FEEDBACK_TEXT,
        "rating": 5,
        "store": "Mong Kok",
        "conversation_id": f"conv-{uuid.uuid4().hex}",
    }
    body.update(overrides)
    return body


def _feedback_count(session) -> int:
    session.rollback()  # end the read transaction: see what the requests wrote
    return session.scalar(select(func.count()).select_from(Feedback))


def _stored_feedback(session, feedback_id: int) -> Feedback:
    session.rollback()
    return session.get(Feedback, feedback_id)


def _seeded_customer(session) -> Customer:
    return session.scalars(
        select(Customer).join(Order, Order.customer_id == Customer.id).order_by(Customer.id)
    ).first()


# --- feedback ---------------------------------------------------------------------------


def test_guest_gives_feedback_through_the_bot(client, headers, session):
    body = _feedback_body()
    response = client.post("/api/v1/feedback", json=body, headers=headers.service())
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer == {"id": answer["id"], "kind": "compliment", "rating": 5, "store": "Mong Kok"}
    stored = _stored_feedback(session, answer["id"])
    assert stored.customer_id is None
    assert stored.text == FEEDBACK_TEXT
    assert stored.rating == 5
    assert stored.store_name == "Mong Kok"
    assert stored.conversation_id == body["conversation_id"]
    assert stored.channel == "chat"


def test_signed_in_customer_feedback_is_linked_to_them(client, headers, session):
    customer = _seeded_customer(session)
    response = client.post(
        "/api/v1/feedback",
        json=_feedback_body(kind="suggestion", rating=None, store=None),
        headers=headers.customer(customer.customer_no),
    )
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert (answer["kind"], answer["rating"], answer["store"]) == ("suggestion", None, None)
    stored = _stored_feedback(session, answer["id"])
    assert stored.customer_id == customer.id
    assert stored.rating is None


def test_feedback_defaults_to_a_review_and_strips_the_text(client, headers, session):
    response = client.post(
        "/api/v1/feedback",
        json={"text": "  Good prices,\n\tfast checkout.  ", "rating": 4},
        headers=headers.service(),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "review"
    stored = _stored_feedback(session, response.json()["id"])
    assert stored.text == "Good prices,\n\tfast checkout."
    assert stored.conversation_id is None


def test_feedback_text_may_be_exactly_2000_characters(client, headers, session):
    response = client.post(
        "/api/v1/feedback", json=_feedback_body(text="y" * 2000), headers=headers.service()
    )
    assert response.status_code == 201
    assert len(_stored_feedback(session, response.json()["id"]).text) == 2000


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": -1}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"rating": 4.0}, "rating"),
        ({"rating": True}, "rating"),
        ({"text": ""}, "text"),
        ({"text": "ab"}, "text"),
        ({"text": "   ab   "}, "text"),
        ({"text": "      "}, "text"),
        ({"text": "z" * 2001}, "text"),
        ({"text": "nice\x00 shop"}, "text"),
        ({"text": "nice\x1b[31m shop"}, "text"),
        ({"text": 12345}, "text"),
        ({"text": None}, "text"),
        ({"kind": "complaint"}, "kind"),
        ({"store": "X"}, "store"),
        ({"store": "S" * 65}, "store"),
        ({"conversation_id": "c" * 500}, "conversation_id"),
        ({"customer_id": 1}, "customer_id"),
        ({"customer_no": "C000001"}, "customer_no"),
    ],
)
def test_bad_feedback_is_422_naming_the_field(client, headers, session, override, field):
    before = _feedback_count(session)
    response = client.post(
        "/api/v1/feedback", json=_feedback_body(**override), headers=headers.service()
    )
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["detail"]]
    assert "input" not in response.json()["detail"][0]  # the rejected text is not echoed
    assert _feedback_count(session) == before


def test_missing_text_is_422(client, headers):
    response = client.post("/api/v1/feedback", json={"rating": 3}, headers=headers.service())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "text"


def test_staff_may_not_give_customer_feedback(client, headers, session):
    before = _feedback_count(session)
    response = client.post(
        "/api/v1/feedback", json=_feedback_body(), headers=headers.staff("cs.demo")
    )
    assert response.status_code == 403
    # Staff with the service token too: the bearer decides.
    both = {**headers.service(), **headers.staff("marketing.demo")}
    assert client.post("/api/v1/feedback", json=_feedback_body(), headers=both).status_code == 403
    assert _feedback_count(session) == before


def test_a_complaint_token_is_not_a_customer_for_feedback(client, headers):
    bearer = headers.principal(Principal(kind="complaint", subject="CMP-000001"))
    response = client.post("/api/v1/feedback", json=_feedback_body(), headers=bearer)
    assert response.status_code == 403


def test_feedback_needs_the_service_token_or_a_bearer(client, headers, session):
    before = _feedback_count(session)
    assert client.post("/api/v1/feedback", json=_feedback_body()).status_code == 401
    wrong = {"X-Service-Token": "guessed-token"}
    assert client.post("/api/v1/feedback", json=_feedback_body(), headers=wrong).status_code == 401
    forged = {"Authorization": "Bearer forged.token.value"}
    assert client.post("/api/v1/feedback", json=_feedback_body(), headers=forged).status_code == 401
    assert _feedback_count(session) == before


# --- orders -------------------------------------------------------------------------------


def _fresh_customer(session) -> Customer:
    customer = Customer(
        customer_no=f"C98{secrets.randbelow(10_000_000):07d}",
        given_name="Test",
        family_name="Orders",
        email=f"orders.{uuid.uuid4().hex[:12]}@example.com",
    )
    session.add(customer)
    session.flush()
    return customer


def _add_order(
    session,
    customer: Customer,
    *,
    ordered_at: datetime,
    status: OrderStatus,
    channel: SalesChannel = SalesChannel.ONLINE,
) -> Order:
    order = Order(
        order_no=f"ORD-98{secrets.randbelow(1_000_000):06d}",
        customer_id=customer.id,
        channel=channel,
        store_name="Causeway Bay" if channel == SalesChannel.STORE else None,
        status=status,
        ordered_at=ordered_at,
        total_amount=Decimal("88.50"),
        currency="HKD",
        lines=[],
    )
    session.add(order)
    session.flush()
    return order


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_customer_lists_only_their_own_orders_newest_first(client, headers, session):
    customer = _fresh_customer(session)
    now = utcnow()
    oldest = _add_order(
        session, customer, ordered_at=now - timedelta(days=30), status=OrderStatus.COMPLETED
    )
    tie_first = _add_order(
        session, customer, ordered_at=now - timedelta(days=2), status=OrderStatus.PAID
    )
    tie_second = _add_order(
        session, customer, ordered_at=now - timedelta(days=2), status=OrderStatus.PLACED
    )
    newest = _add_order(
        session, customer, ordered_at=now - timedelta(hours=1), status=OrderStatus.PLACED
    )
    middle = _add_order(
        session,
        customer,
        ordered_at=now - timedelta(days=10),
        status=OrderStatus.COMPLETED,
        channel=SalesChannel.STORE,
    )
    session.commit()
    auth = headers.customer(customer.customer_no)

    three = client.get("/api/v1/orders", params={"limit": 3}, headers=auth)
    assert three.status_code == 200
    # Same time: the later order (higher id) first.
    expected = [newest.order_no, tie_second.order_no, tie_first.order_no]
    assert [item["order_no"] for item in three.json()["items"]] == expected

    everything = client.get("/api/v1/orders", params={"limit": 20}, headers=auth).json()["items"]
    expected_all = [newest, tie_second, tie_first, middle, oldest]
    assert [item["order_no"] for item in everything] == [o.order_no for o in expected_all]
    by_no = {item["order_no"]: item for item in everything}
    store_item = by_no[middle.order_no]
    assert store_item["channel"] == "store"
    assert store_item["store_name"] == "Causeway Bay"
    assert store_item["status"] == "completed"
    assert store_item["status_label"] == "completed"
    assert by_no[tie_first.order_no]["status_label"] == "paid, being prepared"
    assert Decimal(store_item["total_amount"]) == Decimal("88.50")
    assert store_item["currency"] == "HKD"
    assert _when(store_item["ordered_at"]) == middle.ordered_at


def test_seeded_customer_order_list_matches_the_database(client, headers, session):
    customer_id, count = session.execute(
        select(Order.customer_id, func.count().label("n"))
        .group_by(Order.customer_id)
        .order_by(func.count().desc(), Order.customer_id)
        .limit(1)
    ).one()
    assert count > 5
    customer = session.get(Customer, customer_id)
    auth = headers.customer(customer.customer_no)
    for limit, expected_length in ((3, 3), (None, 5), (20, min(count, 20))):
        params = {} if limit is None else {"limit": limit}
        response = client.get("/api/v1/orders", params=params, headers=auth)
        assert response.status_code == 200
        items = response.json()["items"]
        session.rollback()
        expected = session.scalars(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(expected_length)
        ).all()
        assert len(items) == expected_length
        assert [item["order_no"] for item in items] == [order.order_no for order in expected]
        assert [_when(item["ordered_at"]) for item in items] == [o.ordered_at for o in expected]


def test_customer_without_orders_gets_an_empty_list(client, headers, session):
    customer = _fresh_customer(session)
    session.commit()
    response = client.get("/api/v1/orders", headers=headers.customer(customer.customer_no))
    assert response.status_code == 200
    assert response.json() == {"items": []}


@pytest.mark.parametrize("limit", ["0", "21", "-1", "abc", "2.5"])
def test_order_list_limit_out_of_range_is_422(client, headers, session, limit):
    customer = _seeded_customer(session)
    response = client.get(
        "/api/v1/orders",
        params={"limit": limit},
        headers=headers.customer(customer.customer_no),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize("username", ["cs.demo", "management.demo", "marketing.demo"])
def test_staff_have_no_order_list(client, headers, username):
    response = client.get("/api/v1/orders", params={"limit": 3}, headers=headers.staff(username))
    assert response.status_code == 403


def test_order_list_needs_a_user_token(client, headers):
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get("/api/v1/orders", headers=headers.service()).status_code == 401


def _check_order_view(body: dict, order: Order, *, asked_at: datetime) -> None:
    """The rules of services/orders.py, restated: online orders not yet delivered are
    promised within 5 days of the order; anything else has no promise and is never late."""
    assert body["order_no"] == order.order_no
    assert body["status"] == order.status
    assert _when(body["ordered_at"]) == order.ordered_at
    local = order.ordered_at.astimezone(HK)
    assert body["ordered_on_local"] == f"{local:%a} {local.day} {local:%b %Y}"
    undelivered = order.status in (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.SHIPPED)
    if order.channel == SalesChannel.ONLINE and undelivered:
        promised = order.ordered_at + timedelta(days=5)
        assert _when(body["expected_delivery_by"]) == promised
        assert body["is_late"] is (asked_at > promised)
    else:
        assert body["expected_delivery_by"] is None
        assert body["expected_delivery_local"] is None
        assert body["is_late"] is False


@pytest.mark.parametrize(
    ("channel", "statuses"),
    [
        ("online", ("placed", "paid", "shipped")),
        ("online", ("delivered", "completed", "cancelled", "returned")),
        ("store", ("completed", "cancelled", "returned", "delivered")),
    ],
)
def test_seeded_orders_follow_the_delivery_rules(client, headers, session, channel, statuses):
    order = session.scalars(
        select(Order)
        .where(Order.channel == channel, Order.status.in_(statuses))
        .order_by(Order.ordered_at.desc())
    ).first()
    if order is None:
        pytest.skip(f"no seeded {channel} order in {statuses}")
    owner = session.get(Customer, order.customer_id)
    response = client.get(
        f"/api/v1/orders/{order.order_no}", headers=headers.customer(owner.customer_no)
    )
    assert response.status_code == 200
    _check_order_view(response.json(), order, asked_at=utcnow())


def test_order_view_labels_dates_and_lateness(client, headers, session):
    customer = _fresh_customer(session)
    now = utcnow()
    # 17:30 UTC on Sat 3 Oct is 01:30 on Sun 4 Oct in Hong Kong.
    late = _add_order(
        session,
        customer,
        ordered_at=datetime(2026, 10, 3, 17, 30, tzinfo=UTC),
        status=OrderStatus.SHIPPED,
    )
    on_time = _add_order(
        session, customer, ordered_at=now - timedelta(days=1), status=OrderStatus.PAID
    )
    just_placed = _add_order(
        session, customer, ordered_at=now - timedelta(hours=2), status=OrderStatus.PLACED
    )
    delivered = _add_order(
        session,
        customer,
        ordered_at=datetime(2026, 9, 1, 2, 0, tzinfo=UTC),
        status=OrderStatus.DELIVERED,
    )
    in_store = _add_order(
        session,
        customer,
        ordered_at=now - timedelta(days=1),
        status=OrderStatus.COMPLETED,
        channel=SalesChannel.STORE,
    )
    session.commit()
    auth = headers.customer(customer.customer_no)

    def view(order: Order) -> dict:
        response = client.get(f"/api/v1/orders/{order.order_no}", headers=auth)
        assert response.status_code == 200, response.json()
        return response.json()

    late_view = view(late)
    assert late_view["ordered_on_local"] == "Sun 4 Oct 2026"
    assert late_view["status_label"] == "on its way"
    assert _when(late_view["expected_delivery_by"]) == datetime(2026, 10, 8, 17, 30, tzinfo=UTC)
    assert late_view["expected_delivery_local"] == "Fri 9 Oct 2026"
    assert late_view["is_late"] is True
    assert late_view["lines"] == []

    on_time_view = view(on_time)
    assert on_time_view["status_label"] == "paid, being prepared"
    assert _when(on_time_view["expected_delivery_by"]) == on_time.ordered_at + timedelta(days=5)
    assert on_time_view["is_late"] is False

    placed_view = view(just_placed)
    assert placed_view["status_label"] == "received, waiting for payment"
    assert placed_view["is_late"] is False
    assert placed_view["expected_delivery_by"] is not None

    delivered_view = view(delivered)
    assert delivered_view["status_label"] == "delivered"
    assert delivered_view["ordered_on_local"] == "Tue 1 Sep 2026"
    assert delivered_view["expected_delivery_by"] is None
    assert delivered_view["is_late"] is False

    store_view = view(in_store)
    assert store_view["store_name"] == "Causeway Bay"
    assert store_view["expected_delivery_by"] is None
    assert store_view["is_late"] is False

    for order in (late, on_time, just_placed, delivered, in_store):
        _check_order_view(view(order), order, asked_at=utcnow())


def test_another_customers_order_is_404_like_a_missing_one(client, headers, session):
    customer = _fresh_customer(session)
    session.commit()
    someone_elses = session.scalars(select(Order).order_by(Order.id)).first()
    auth = headers.customer(customer.customer_no)
    foreign = client.get(f"/api/v1/orders/{someone_elses.order_no}", headers=auth)
    missing = client.get("/api/v1/orders/ORD-99999999", headers=auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
