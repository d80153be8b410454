"""Orders over the last two years: skewed customers, seasonality, five stores and online."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_backend.demo_data import vocabulary as v

Row = dict[str, Any]
HISTORY = timedelta(days=730)
# Busier around Christmas and Chinese New Year, and at weekends.
MONTH_FACTOR = {1: 1.3, 2: 1.25, 11: 1.4, 12: 1.6}
LINE_COUNTS, LINE_WEIGHTS = (1, 2, 3, 4), (55, 25, 12, 8)


@dataclass
class OrderIndex:
    """What the complaint generator needs to know about the orders, by order id - 1."""

    times: list[datetime] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    stores: list[str | None] = field(default_factory=list)

    def between(self, start: datetime, end: datetime) -> range:
        """Indexes of the orders placed in [start, end)."""
        return range(bisect.bisect_left(self.times, start), bisect.bisect_left(self.times, end))


def _activity_windows(
    rng: random.Random, customers: list[Row], now: datetime
) -> tuple[list[float], list[tuple[datetime, datetime]]]:
    weights, windows = [], []
    for customer in customers:
        start = max(customer["created_at"], now - HISTORY)
        # One customer in five has lapsed: no orders in the last year or so.
        end = now - timedelta(days=rng.uniform(365, 540)) if rng.random() < 0.2 else now
        weights.append(min(rng.paretovariate(1.3), 40.0) if start < end else 0.0)
        windows.append((start, end))
    return weights, windows


def _seasonal_moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = (end - start).total_seconds()
    while True:
        moment = start + timedelta(seconds=rng.random() * span)
        factor = MONTH_FACTOR.get(moment.month, 1.0) * (1.3 if moment.weekday() >= 5 else 1.0)
        if rng.random() * 2.1 < factor:
            return moment


def _status(rng: random.Random, channel: str, age: timedelta) -> str:
    if channel == "online" and age < timedelta(days=2):
        return rng.choice(("placed", "paid"))
    if channel == "online" and age < timedelta(days=5):
        return "shipped"
    roll = rng.random()
    if roll < 0.02:
        return "cancelled"
    if roll < 0.05:
        return "returned"
    return "delivered" if channel == "online" and age < timedelta(days=14) else "completed"


def order_batches(
    rng: random.Random,
    customers: list[Row],
    products: list[Row],
    count: int,
    now: datetime,
    index: OrderIndex,
    batch_size: int = 20_000,
) -> Iterator[tuple[list[Row], list[Row]]]:
    """Yields (orders, lines) batches in order-number order, filling ``index`` as it goes."""
    weights, windows = _activity_windows(rng, customers, now)
    buyers = rng.choices(range(len(customers)), weights=weights, k=count)
    headers = sorted((_seasonal_moment(rng, *windows[b]), customers[b]["id"]) for b in buyers)
    line_id = 0
    for offset in range(0, count, batch_size):
        orders: list[Row] = []
        lines: list[Row] = []
        for order_id, (moment, customer_id) in enumerate(
            headers[offset : offset + batch_size], start=offset + 1
        ):
            online = rng.random() < 0.55
            store = None if online else rng.choices(v.STORES, v.STORE_WEIGHTS)[0]
            total = Decimal(0)
            for _ in range(rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]):
                product = products[rng.randrange(len(products))]
                price = product["unit_price"]
                if rng.random() < 0.1:  # promotion
                    price = (price * Decimal(rng.choice((70, 80, 90))) / 100).quantize(
                        Decimal("0.01")
                    )
                quantity = rng.choices((1, 2, 3), (75, 18, 7))[0]
                line_id += 1
                lines.append(
                    {"id": line_id, "order_id": order_id, "product_id": product["id"],
                     "quantity": quantity, "unit_price": price}
                )  # fmt: skip
                total += price * quantity
            channel = "online" if online else "store"
            orders.append(
                {
                    "id": order_id,
                    "order_no": f"ORD-{order_id:08d}",
                    "customer_id": customer_id,
                    "channel": channel,
                    "store_name": store,
                    "status": _status(rng, channel, now - moment),
                    "ordered_at": moment,
                    "total_amount": total,
                    "currency": "HKD",
                }
            )
            index.times.append(moment)
            index.customer_ids.append(customer_id)
            index.stores.append(store)
        yield orders, lines
