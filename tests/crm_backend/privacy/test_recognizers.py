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


# --- added with the evaluation corpus (issue 6) -----------------------------------------------

from crm_backend.privacy.recognizers.credit_card import CardRecognizer  # noqa: E402
from crm_backend.privacy.recognizers.intl_phone import IntlPhoneRecognizer  # noqa: E402
from crm_backend.privacy.recognizers.libphone import HkRegionPhoneRecognizer  # noqa: E402
from crm_backend.privacy.recognizers.zh_address import ZhAddressRecognizer  # noqa: E402
from crm_backend.privacy.recognizers.zh_name import ZhNameRecognizer  # noqa: E402


@pytest.mark.parametrize(
    "value", ["OL945807(8)", "T869411(1)", "D084091(3)", "Y451645(A)", "U348269 (0)", "K1095498"]
)
def test_more_valid_hkids(value: str) -> None:
    assert is_valid_hkid(value)
    assert found(HkidRecognizer(), "HKID", f"ID {value} ok") == [value]


@pytest.mark.parametrize("value", ["OL945807(7)", "T869411(2)", "D084091(A)", "Y451645(0)"])
def test_more_invalid_hkids(value: str) -> None:
    assert not is_valid_hkid(value)
    assert found(HkidRecognizer(), "HKID", f"ID {value} ok") == []


def test_hkid_straight_after_chinese_text() -> None:
    assert found(HkidRecognizer(), "HKID", "身份證A123456(3)") == ["A123456(3)"]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("電話9234 5678", "9234 5678"),
        ("(+852) 61234098", "(+852) 61234098"),
        ("whatsapp:5566-7788", "5566-7788"),
    ],
)
def test_hk_phone_more_formats(text: str, number: str) -> None:
    assert number in found(HkPhoneRecognizer(), "PHONE_NUMBER", text)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("reach me on +44 7700 963307", "+44 7700 963307"),  # a range libphonenumber rejects
        ("Macau +853 6073 0376", "+853 6073 0376"),
        ("US office +1 (415) 555-0132.", "+1 (415) 555-0132"),
        ("mainland +86 13912345678", "+86 13912345678"),
    ],
)
def test_intl_phone_found(text: str, number: str) -> None:
    assert found(IntlPhoneRecognizer(), "PHONE_NUMBER", text) == [number]


@pytest.mark.parametrize(
    "text",
    ["+852 9123 4567", "score +3 2", "+1 555", "up +20% to 1,299", "version 3.2.1+45"],
)
def test_intl_phone_not_found(text: str) -> None:
    assert found(IntlPhoneRecognizer(), "PHONE_NUMBER", text) == []


def test_libphone_runs_only_on_international_numbers() -> None:
    recognizer = HkRegionPhoneRecognizer()
    assert found(recognizer, "PHONE_NUMBER", "call +44 7911 123456") == ["+44 7911 123456"]
    assert found(recognizer, "PHONE_NUMBER", "order 91234567 cost $99") == []


@pytest.mark.parametrize(
    "text",
    [
        "My order number is 87574556, please check",
        "order 57491555 still not shipped",
        "Invoice no. 94204136 has the wrong amount",
        "Receipt 67289064 dated 2025-09-24",
        "Refund reference 91262139 from the bank",
        "tracking # 62345678",
        "booked for 24 Jan 2026 1300",  # a year and a time, not "2026 1300"
    ],
)
def test_numbers_that_look_like_phones_survive_the_allow_list(text: str) -> None:
    results = HkPhoneRecognizer().analyze(text, ["PHONE_NUMBER"])
    assert results  # the recognizer alone reads a phone number ...
    assert crm_references.allowed(text, results) == []  # ... the allow-list keeps the number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customer C3945489 gave HKID", ["HKID"]),  # a bracketless HKID shaped like a C-number
        ("call 9123 4567 or 9234 5678", ["PHONE_NUMBER", "PHONE_NUMBER"]),
    ],
)
def test_validated_kinds_outrank_the_allow_list(text: str, expected: list[str]) -> None:
    results = HkidRecognizer().analyze(text, ["HKID"]) + HkPhoneRecognizer().analyze(
        text, ["PHONE_NUMBER"]
    )
    kept = crm_references.allowed(text, [r for r in results if r.score >= SCORE_THRESHOLD])
    assert sorted(r.entity_type for r in kept) == sorted(expected)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Ivy", "Your staff Ivy told me"),
        ("Wilson", "signed by Wilson."),
        ("Mandy", "Per Mandy (supervisor), waive"),
        ("Yoyo Ho", "CALL ME BACK ABOUT CMP-051004 - Yoyo Ho"),
        ("CHOI Mei Ling", "My name is CHOI Mei Ling and"),
        ("Ivy Lo Mei Ling", "my wife Ivy Lo Mei Ling bought it"),
        ("Lai Tai Man, Kitty", "not Lai Tai Man, Kitty."),
        ("Yuk Lan Lee", "thanks - Yuk Lan Lee"),
        ("Siti Rahmawati", "Update my contact: Siti Rahmawati, 852"),
    ],
)
def test_hk_name_more_forms(value: str, text: str) -> None:
    assert value in found(HkNameRecognizer(), "PERSON", text)


@pytest.mark.parametrize(
    "text",
    [
        "Chan Tai Man, Central",  # a district after the comma is not a given name
        "The Samsung Galaxy Tab came without a charger",
        "Blocked IP after 20 failed logins",
    ],
)
def test_hk_name_does_not_take(text: str) -> None:
    assert "Central" not in " ".join(found(HkNameRecognizer(), "PERSON", text))
    assert "Samsung" not in " ".join(found(HkNameRecognizer(), "PERSON", text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我叫陳大文，部機壞咗", "陳大文"),  # noqa: RUF001
        ("姓名: 黃美玲", "黃美玲"),
        ("林先生 called", "林"),
        ("梁小姐話", "梁"),
    ],
)
def test_zh_name_found(text: str, value: str) -> None:
    assert found(ZhNameRecognizer(), "PERSON", text) == [value]


@pytest.mark.parametrize("text", ["陳大文 想投訴", "我想投訴", "生日快樂", "order 幾時到?"])
def test_zh_name_not_found(text: str) -> None:
    assert found(ZhNameRecognizer(), "PERSON", text) == []


@pytest.mark.parametrize(
    "address",
    ["九龍旺角彌敦道374號2樓E室", "香港灣仔軒尼詩道48號22樓C室", "新界屯門青山公路128號3樓B室"],
)
def test_zh_address_found(address: str) -> None:
    text = f"地址: {address}\uff0c唔該"
    assert found(ZhAddressRecognizer(), "ADDRESS", text) == [address]


@pytest.mark.parametrize("text", ["彌敦道好塞車", "我住旺角", "order 3號到"])
def test_zh_address_not_found(text: str) -> None:
    assert found(ZhAddressRecognizer(), "ADDRESS", text) == []


MORE_ADDRESSES = [
    "16/F., 125 Po On Road",
    "House 57, Tai Po Tau Village, Tai Po, N.T.",
    "flat d, 5/f, block d, kornhill, 399-407 yuen long on ning road, tin shui wai",
    "Flat 28G, G/F, Fu Shin Estate, 217 Tuen Mun Heung Sze Wui Road",
    "Flat D G/F Kwai Fong Plaza Tuen Mun",
    "Rm 702, 7/F, Sino Industrial Building, 21 Hung To Road, Kwun Tong",
    "Unit 1208, 12/F, Tower 1, Millennium City 1, 388 Kwun Tong Road, Kwun Tong, Kowloon",
    "unit 809, 45th floor, block a, mei foo sun chuen, 88 kwun tong road, tsuen wan",
]


@pytest.mark.parametrize("address", MORE_ADDRESSES)
def test_hk_address_more_forms(address: str) -> None:
    assert found(HkAddressRecognizer(), "ADDRESS", f"deliver to {address}; thanks") == [address]


@pytest.mark.parametrize(
    "text",
    [
        "HK$ 200 cheaper at Festival Walk",
        "2 kettles on the road",
        "I have no 2 cents to add",
        "the warehouse 3 was shut",
        "waited 40 minutes at Tai Po Road",
    ],
)
def test_hk_address_more_negatives(text: str) -> None:
    assert found(HkAddressRecognizer(), "ADDRESS", text) == []


@pytest.mark.parametrize(
    "number",
    ["2223 9113 9608 3730", "2720-9458-0730-2154", "5405253647902589", "3709 054986 24768"],
)
def test_card_recognizer_includes_mastercard_2_series(number: str) -> None:
    assert found(CardRecognizer(), "CREDIT_CARD", f"card {number} pls") == [number]
    assert found(CardRecognizer(), "CREDIT_CARD", f"卡號{number}") == [number]


@pytest.mark.parametrize("number", ["2223 9113 9608 3731", "1234 5678 9012", "card ending 4471"])
def test_card_recognizer_negatives(number: str) -> None:
    assert found(CardRecognizer(), "CREDIT_CARD", number) == []


def test_offline_email_only_reads_around_the_at_sign() -> None:
    recognizer = OfflineEmailRecognizer()
    assert found(recognizer, "EMAIL_ADDRESS", "a.b@example.com,\tc@example.hk x@y") == [
        "a.b@example.com",
        "c@example.hk",
    ]
    assert found(recognizer, "EMAIL_ADDRESS", "@" * 50_000) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Chrome 120", False),  # a digit
        ("Email", False),  # a common word
        ("Blocked IP", False),  # common word and acronym
        ("Kelvin", True),
        ("Ip", True),  # a surname, not the acronym
    ],
)
def test_implausible_names(text: str, kept: bool) -> None:
    from presidio_analyzer import RecognizerResult

    result = RecognizerResult("PERSON", 0, len(text), 0.85)
    assert crm_references.implausible_name(text, result) is not kept


def test_brands_and_malls_are_not_names() -> None:
    from presidio_analyzer import RecognizerResult

    text = "the Dyson Bluetooth speaker at Langham Place, ask Mandy re Samsung"
    results = [
        RecognizerResult("PERSON", 4, 19, 0.85),  # "Dyson Bluetooth"
        RecognizerResult("PERSON", 31, 44, 0.85),  # "Langham Place"
        RecognizerResult("PERSON", 50, 65, 0.85),  # "Mandy re Samsung"
    ]
    kept = crm_references.allowed(text, results)
    assert [text[r.start : r.end] for r in kept] == ["Mandy re"]


def test_name_candidates() -> None:
    assert not crm_references.name_candidates("Order ORD-00012345 at Mong Kok, HK$1,299 via FPS")
    assert not crm_references.name_candidates("mail chan.tm@Example.com about the Dyson")
    assert crm_references.name_candidates("ask Kelvin about ORD-00012345")
    assert crm_references.name_candidates("CHAN called")
