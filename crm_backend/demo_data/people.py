"""Customer profiles and the product catalogue, as plain row dicts for bulk insert."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers

from crm_backend.demo_data import vocabulary as v

Row = dict[str, Any]


def hk_mobile(rng: random.Random) -> str:
    """A valid Hong Kong mobile number, written the way people write them."""
    while True:
        digits = f"{rng.choice('5679')}{rng.randrange(10_000_000):07d}"
        kind = phonenumbers.number_type(phonenumbers.parse(digits, "HK"))
        if kind == phonenumbers.PhoneNumberType.MOBILE:  # not a pager or unassigned range
            break
    style = rng.random()
    if style < 0.45:
        return f"{digits[:4]} {digits[4:]}"
    if style < 0.7:
        return digits
    if style < 0.9:
        return f"+852 {digits[:4]} {digits[4:]}"
    return f"+852{digits}"


def bad_phone(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randrange(1_000_000, 9_999_999)}",  # seven digits
            f"1{rng.randrange(10_000_000):07d}",  # no HK number starts with 1
            "call office",
            f"9{rng.randrange(100_000):05d}xx",
        ]
    )


def customer_rows(rng: random.Random, count: int, now: datetime) -> list[Row]:
    rows: list[Row] = []
    for i in range(1, count + 1):
        family = rng.choices(v.FAMILY_NAMES, v.FAMILY_WEIGHTS)[0]
        given = rng.choice(v.CANTONESE_GIVEN if rng.random() < 0.55 else v.ENGLISH_GIVEN)
        local = f"{given.replace(' ', '').lower()}.{family.lower()}{rng.randrange(1, 1000)}"
        email: str | None = f"{local}@{rng.choice(v.EMAIL_DOMAINS)}"
        phone: str | None = hk_mobile(rng)
        district: str | None = rng.choice(v.DISTRICTS)
        address: str | None = (
            f"Flat {rng.randrange(1, 40)}{rng.choice('ABCDEFGH')}, {rng.randrange(1, 45)}/F, "
            f"Block {rng.randrange(1, 8)}, {rng.choice(v.ESTATES)}, "
            f"{rng.randrange(1, 400)} {rng.choice(v.STREETS)}"
        )
        # Deliberately imperfect profiles, for the data-quality checks to find.
        flaw = rng.random()
        if flaw < 0.06:
            email = None
        elif flaw < 0.09:
            email = rng.choice([local, f"{local}@", f"{local}@example"])
        elif flaw < 0.13:
            phone = bad_phone(rng)
        elif flaw < 0.16:
            address, district = None, None
        elif flaw < 0.19:
            district = None
        elif flaw < 0.21:
            given = ""
        created = now - timedelta(days=rng.uniform(30, 4 * 365))
        rows.append(
            {
                "id": i,
                "customer_no": f"C{i:06d}",
                "family_name": family,
                "given_name": given or None,
                "email": email,
                "phone": phone,
                "address_line": address,
                "district": district,
                "preferred_language": "zh-HK" if rng.random() < 0.4 else "en",
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def product_rows(rng: random.Random, now: datetime, per_category: int = 50) -> list[Row]:
    rows: list[Row] = []
    for category, (code, (low, high), nouns) in v.PRODUCT_CATEGORIES.items():
        for n in range(1, per_category + 1):
            noun = rng.choice(nouns.split("|"))
            # Prices cluster low with a long tail, and end in 9 as shop prices do.
            price = int(low + (high - low) * rng.random() ** 2.2) // 10 * 10 + 9
            rows.append(
                {
                    "id": len(rows) + 1,
                    "sku": f"SKU-{code}-{n:05d}",
                    "name": f"{rng.choice(v.PRODUCT_ADJECTIVES)} {noun}",
                    "category": category,
                    "unit_price": Decimal(price),
                    "created_at": now - timedelta(days=900),
                }
            )
    return rows
