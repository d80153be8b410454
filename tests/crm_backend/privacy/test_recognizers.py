"""The Hong Kong recognizers and the CRM allow-list, each on its own (no spaCy needed)."""

from __future__ import annotations

import pytest

from crm_backend.privacy.recognizers import crm_references
from crm_backend.privacy.recognizers.hk_address import HkAddressRecognizer, is_address
from crm_backend.privacy.recognizers.hk_name import HkNameRecognizer
from crm_backend.privacy.recognizers.hk_phone import HkPhoneRecognizer
from crm_backend.privacy.recognizers.hkid import HkidRecognizer, hkid_check_digit, is_valid_hkid
from crm_backend.privacy.recognizers.offline_email import OfflineEmailRecognizer
from crm_backend.privacy.scrubber import SCORE_THRESHOLD


def found(recognizer: object, entity: str, text: str) -> list[str]:
    """The spans a recognizer reports at or above the scrubber's threshold."""
    results = recognizer.analyze(text, [entity])  # type: ignore[attr-defined]
    return [text[r.start : r.end] for r in results if r.score >= SCORE_THRESHOLD]


# --- HKID -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "check"),
    [
        ("A123456", "3"),
        ("AB123456", "9"),
        ("G123456", "A"),  # check value 10 is written A
        ("B000009", "A"),
        ("X354670", "0"),
        ("XY000007", "0"),
        ("C668668", "9"),
        ("WX123456", "9"),
    ],
)
def test_hkid_check_digit(prefix: str, check: str) -> None:
    assert hkid_check_digit(prefix) == check


@pytest.mark.parametrize(
    "value",
    ["A123456(3)", "A1234563", "A123456 (3)", "AB123456(9)", "AB1234569", "G123456(A)", "g123456a"],
)
def test_valid_hkid(value: str) -> None:
    assert is_valid_hkid(value)
    assert found(HkidRecognizer(), "HKID", f"My HKID is {value}.") == [value]


@pytest.mark.parametrize(
    "value",
    [
        "A123456(7)",  # wrong check digit
        "AB123456(8)",
        "A1234567",
        "G123456(0)",
        "ABC123456(3)",  # three letters
        "A12345(3)",  # five digits
    ],
)
def test_invalid_hkid_is_not_reported(value: str) -> None:
    assert not is_valid_hkid(value)
    assert found(HkidRecognizer(), "HKID", f"My HKID is {value}.") == []


@pytest.mark.parametrize(
    "text", ["Customer C000123 called", "SKU-ELE-00012", "ORD-00012345", "CMP-000123", "XA1234563"]
)
def test_crm_references_are_not_hkids(text: str) -> None:
    assert found(HkidRecognizer(), "HKID", text) == []


# --- HK phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("call me on 9123 4567 please", "9123 4567"),
        ("call me on 9123-4567", "9123-4567"),
        ("my number: 91234567.", "91234567"),
        ("+852 9123-4567", "+852 9123-4567"),
        ("+852 9123 4567", "+852 9123 4567"),
        ("+85291234567", "+85291234567"),
        ("(852) 2345 6789", "(852) 2345 6789"),
        ("852-61234567", "852-61234567"),
        ("00852 5123 4567", "00852 5123 4567"),
        ("office 3123 4567", "3123 4567"),
        ("pager 7123 4567", "7123 4567"),
        ("hotline 8123 4567", "8123 4567"),
        ("tel 2123 4567, mobile 6123 4567", "2123 4567"),
    ],
)
def test_hk_phone_found(text: str, number: str) -> None:
    assert number in found(HkPhoneRecognizer(), "PHONE_NUMBER", text)


@pytest.mark.parametrize(
    "text",
    [
        "ORD-00012345",
        "ORD-20000001",  # an order number with a phone-like tail
        "CMP-000123 and C000123",
        "SKU-ELE-00012",
        "it cost HK$1,299 or $599",
        "HK$91234567",
        "on 3 Oct 2026 or 2026-10-03 or 03/10/2026",
        "delivered 20261003",  # a compact date, no phone word near
        "1234 5678",  # HK numbers do not start with 1 or 4
        "4123 4567",
        "9123456",  # seven digits
        "912345678",  # nine digits
        "4111 1111 1111 1111",
        "5500 0000 0000 0004",  # a card number is not four phone numbers
        "a1/91234567",
    ],
)
def test_hk_phone_not_found(text: str) -> None:
    assert found(HkPhoneRecognizer(), "PHONE_NUMBER", text) == []


# --- HK address -------------------------------------------------------------------------------


ADDRESSES = [
    "Flat 5, 12/F, Block B, 23 Nathan Road, Mong Kok",
    "Flat 12A, 5/F, Block 3, Harbour View Garden, 123 Queen's Road Central",
    "8 Tung Chau Street",
    "Rm 1203, 12/F, Golden Pearl Mansion, Wan Chai",
    "flat 5, 12/f, 23 nathan road, mong kok",
    "Room 3, 2nd Floor, 45-47 Hennessy Rd, Causeway Bay, HK",
    "Block 2, 18/F, Lok Fu Estate",
    "Flat 29F, 3/F, Block 3, Grand Horizon, 187 Sha Tin Centre Street, Eastern",
]


@pytest.mark.parametrize("address", ADDRESSES)
@pytest.mark.parametrize("template", ["I live at {}. Order ORD-00012345", "send it to {} please"])
def test_hk_address_found(template: str, address: str) -> None:
    assert found(HkAddressRecognizer(), "ADDRESS", template.format(address)) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "Staff at the Mong Kok shop ignored me",
        "I bought it in Causeway Bay on 3 Oct 2026",
        "Tsim Sha Tsui, Sha Tin and Central were all out of stock",
        "The lift to the Mong Kok shop has been out of order for a week.",
        "I waited 40 minutes on the road",
        "the fitting room 3 was dirty",
        "Nathan Road was closed",  # a street without number or flat is not an address
        "I went to the Mong Kok shop 3 times",
        "it cost HK$1,299 at Nathan Road",
    ],
)
def test_hk_address_not_found(text: str) -> None:
    assert found(HkAddressRecognizer(), "ADDRESS", text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("23 Nathan Road", True), ("Flat 5, 12/F", True), ("Mong Kok", False), ("room 3", False)],
)
def test_is_address(text: str, expected: bool) -> None:
    assert is_address(text) is expected


# --- HK names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("My name is Chan Tai Man, call me", "Chan Tai Man"),
        ("Ng Pui Shan here", "Ng Pui Shan"),
        ("Hi, this is Cheung Ivy.", "Cheung Ivy"),
        ("ask Kelvin Lee", "Kelvin Lee"),
        ("So Tai Man complained", "So Tai Man"),
        ("please ask Mr Chan to call", "Chan"),
        ("my name is Yoyo", "Yoyo"),
        ("I spoke to Mandy at the counter", "Mandy"),
        ("Hi, this is Lam.", "Lam"),
    ],
)
def test_hk_name_found(text: str, name: str) -> None:
    assert name in found(HkNameRecognizer(), "PERSON", text)


@pytest.mark.parametrize(
    "text",
    [
        "The courier left it at Tung Chau Street.",
        "The Lee Garden store",
        "So I went back. To be honest it was fine.",
        "Order ORD-00012345 for Customer C000123",
        "chan tai man",  # names are found by their capitals only
        "Thanks, The Mong Kok Shop",
        "I paid on Monday 5 Oct",
    ],
)
def test_hk_name_not_found(text: str) -> None:
    assert found(HkNameRecognizer(), "PERSON", text) == []


# --- e-mail (offline) and the allow-list ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail chan.tm@example.com now", ["chan.tm@example.com"]),
        ("kelvin.wong12@example.hk", ["kelvin.wong12@example.hk"]),
        ("not an address: user@localhost", []),
        ("kelvin.wong12@example", []),
        ("kelvin@example.notarealsuffix", []),
    ],
)
def test_offline_email(text: str, expected: list[str]) -> None:
    assert found(OfflineEmailRecognizer(), "EMAIL_ADDRESS", text) == expected


@pytest.mark.parametrize(
    "reference",
    [
        "CMP-000123",
        "ORD-00012345",
        "C000123",
        "SKU-ELE-00012",
        "HK$1,299",
        "$599",
        "HKD 80",
        "3 Oct 2026",
        "Oct 3, 2026",
        "2026-10-03",
        "03/10/2026",
    ],
)
def test_reference_spans(reference: str) -> None:
    text = f"about {reference} again"
    start = text.index(reference)
    assert crm_references.reference_spans(text) == [(start, start + len(reference))]


@pytest.mark.parametrize(
    "place", ["Mong Kok", "Causeway Bay", "Tsim Sha Tsui", "Sha Tin", "Central"]
)
def test_place_spans(place: str) -> None:
    text = f"the {place} shop"
    assert crm_references.place_spans(text) == [(4, 4 + len(place))]


def test_subtract_and_name_words() -> None:
    assert crm_references.subtract((0, 18), [(6, 18)]) == [(0, 6)]
    assert crm_references.subtract((0, 10), [(2, 4), (6, 8)]) == [(0, 2), (4, 6), (8, 10)]
    assert not crm_references.has_name_word("Order ")
    assert crm_references.has_name_word("Kelvin ")
