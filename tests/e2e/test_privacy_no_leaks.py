"""No personal value typed in the chat survives outside the places that need it.

Scripted conversations full of known, made-up personal values (a name, an email, a Hong Kong
mobile number, an HKID, a card number, a street address) go through the real stack running
at debug log level: a guest files a complaint whose description holds all of them, a signed-in
customer changes their email, mobile number and address with consent, a guest chats with the card
number and HKID in passing. Then the stack is stopped (the log pipes drain on stop) and the
values are looked for, in their common written forms, in every file under the stack's var
directory, in the redacted transcript, and in every free-text column of the database except
``ALLOWED_TO_HOLD``. Nothing may be found. A failure names the place and the kind of value,
never the value.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import JSON, String, func, select, update

from crm_backend.config import Settings
from crm_backend.db import Base, make_engine
from crm_backend.models import Customer, TranscriptEntry
from crm_backend.services.tokens import Principal, issue_token

pytestmark = pytest.mark.e2e

# Made up; the module checks they are valid (HKID check digit, Luhn) and not in the seed.
GIVEN_NAME, FAMILY_NAME = "Quillon", "Vexbridge"
NAME = f"{GIVEN_NAME} {FAMILY_NAME}"
EMAIL = "quillon.vexbridge@example.com"
PHONE = "6317 4829"
HKID = "Y731462(9)"
CARD = "4539 1488 0343 6467"
ADDRESS = "Flat C, 17/F, 88 Quillfeather Street, Tai Kok Tsui"

DESCRIPTION = (
    f"My name is {NAME} and the blender I bought last week sparked and melted. "
    f"Please email me at {EMAIL} or call {PHONE}. "
    f"My HKID is {HKID} and I paid with the card {CARD}. "
    f"Send the replacement to {ADDRESS}."
)
CHIT_CHAT = (
    "haha the weather is lovely today, btw my card is 4539148803436467 "
    "and my HKID is Y7314629 if you need it"
)

# What a value looks like when written down anywhere: kind -> forms (compared ignoring case).
PERSONAL_FORMS: dict[str, tuple[str, ...]] = {
    "name": (NAME, f"{FAMILY_NAME} {GIVEN_NAME}", f"{FAMILY_NAME}, {GIVEN_NAME}", FAMILY_NAME),
    "email": (EMAIL, EMAIL.replace("@", "%40"), EMAIL.replace("@", "\\u0040")),
    "phone": (
        "6317 4829",
        "63174829",
        "6317-4829",
        "+852 6317 4829",
        "+852 63174829",
        "+852-6317-4829",
        "(852) 6317 4829",
        "85263174829",
    ),
    # The letter and first six digits are in every form: with or without brackets, spaces
    # or the check digit.
    "hkid": ("Y731462", "Y 731462"),
    "card": ("4539 1488 0343 6467", "4539148803436467", "4539-1488-0343-6467"),
    "address": (ADDRESS, "88 Quillfeather Street", "Quillfeather St"),
}
PLACEHOLDERS = {
    "name": "<PERSON>",
    "email": "<EMAIL_ADDRESS>",
    "phone": "<PHONE_NUMBER>",
    "hkid": "<HKID>",
    "card": "<CREDIT_CARD>",
    "address": "<ADDRESS>",
}
# The only free-text columns that may hold these values, and the kinds each may hold, because
# holding them is the column's purpose: the customer record's own name, contact and address;
# the complaint's description (customer service reads it as written); the contact a guest gave
# on the complaint (a guest has no customer record to hold it); and the address an outgoing
# message (the complaint's acknowledgement) is to be delivered to. Every other String, Text or
# JSON column of every table may hold none; the customer's token may be in no column at all.
ALLOWED_TO_HOLD: dict[str, frozenset[str]] = {
    "customer.given_name": frozenset({"name"}),
    "customer.family_name": frozenset({"name"}),
    "customer.email": frozenset({"email"}),
    "customer.phone": frozenset({"phone"}),
    "customer.address_line": frozenset({"address"}),
    "customer.district": frozenset({"address"}),
    "complaint.description": frozenset(PERSONAL_FORMS),
    "complaint.contact_value": frozenset({"email", "phone"}),
    "outbox_message.recipient": frozenset({"email", "phone"}),
}
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
REFERENCE = re.compile(r"CMP-\d{6}")
# Rasa's own debug lines, as its logging writes them: "<time> DEBUG    rasa.core.processor  - ..."
RASA_DEBUG_LINE = re.compile(r"^\S+ \S+ +DEBUG +rasa\.", re.MULTILINE)
SDK_DEBUG_LINE = re.compile(r"DEBUG +rasa_sdk\.", re.MULTILINE)
DELIVERY_TIMEOUT = 60.0


def kinds_in(text: str, forms: dict[str, tuple[str, ...]]) -> list[str]:
    """The kinds of value written in ``text`` (never the values themselves). An email address
    counts as an email only, not also as the name in its local part."""
    folded = text.casefold()
    kinds = []
    for kind, written in sorted(forms.items(), key=lambda item: item[0] != "email"):
        if any(form.casefold() in folded for form in written):
            kinds.append(kind)
            for form in written:
                folded = folded.replace(form.casefold(), "\0")
    return sorted(kinds)


def _hkid_valid(hkid: str) -> bool:
    match = re.fullmatch(r"([A-Z]{1,2})(\d{6})\(([0-9A])\)", hkid)
    assert match
    letters, digits, check = match.groups()
    values = [36 if c == " " else ord(c) - 55 for c in letters.rjust(2)] + [int(d) for d in digits]
    remainder = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11
    expected = (11 - remainder) % 11
    return check == ("A" if expected == 10 else str(expected))


def _luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number.replace(" ", ""))]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def test_the_made_up_values_are_valid_ones():
    assert _hkid_valid(HKID) and not _hkid_valid("Y731462(8)")
    assert _luhn_valid(CARD) and not _luhn_valid("4539 1488 0343 6468")
    assert re.fullmatch(r"[5-9]\d{3} \d{4}", PHONE)
    for kind in PERSONAL_FORMS:
        assert kind in kinds_in(DESCRIPTION, PERSONAL_FORMS), kind
    assert kinds_in(CHIT_CHAT, PERSONAL_FORMS) == ["card", "hkid"]


@dataclass
class FinishedRun:
    """What a stopped stack left behind, and what to look for in it."""

    kind: str
    var_dir: Path
    database_url: str
    forms: dict[str, tuple[str, ...]]  # the personal values, plus the customer's token
    senders: list[str]
    transcript_served: str  # GET .../transcript of the guest's complaint, as staff saw it


def _found_in_database(
    engine: Any,
    forms: dict[str, tuple[str, ...]],
    allowed: dict[str, frozenset[str]] = ALLOWED_TO_HOLD,
) -> list[str]:
    """Where the values of ``forms`` are found in free-text (String, Text, JSON) columns, as
    "table.column: kinds", leaving out the kinds ``allowed`` in a column."""
    found = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | JSON):
                    continue
                place = f"{table.name}.{column.name}"
                kinds: set[str] = set()
                for (value,) in conn.execute(select(column).where(column.is_not(None))):
                    if not isinstance(value, str):
                        value = json.dumps(value, ensure_ascii=False)
                    kinds.update(kinds_in(value, forms))
                kinds -= allowed.get(place, frozenset())
                if kinds:
                    found.append(f"{place}: {', '.join(sorted(kinds))}")
    return found


def _wait_for_transcripts(stack, expected_user_turns: dict[str, int]) -> None:
    """The broker posts batches in the background: wait until every user turn is stored."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:
        with stack.session() as session:
            counts = dict(
                session.execute(
                    select(TranscriptEntry.sender_id, func.count())
                    .where(
                        TranscriptEntry.sender_id.in_(expected_user_turns),
                        TranscriptEntry.event_type == "user",
                    )
                    .group_by(TranscriptEntry.sender_id)
                ).all()
            )
        if all(counts.get(s, 0) >= n for s, n in expected_user_turns.items()):
            return
        assert time.monotonic() < deadline, "the transcript did not receive every user turn"
        time.sleep(0.5)


def _staff_token(stack, database) -> str:
    _department, password = database.demo_staff["cs.demo"]
    response = httpx.post(
        f"{stack.config.backend_url}/api/v1/auth/staff/login",
        json={"username": "cs.demo", "password": password},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.fixture(scope="module")
def finished_run(own_stack, start_stack, tmp_path_factory) -> Iterator[FinishedRun]:
    database = own_stack.database
    var_dir = tmp_path_factory.mktemp(f"no-leaks-{database.kind}")
    engine = make_engine(database.url)
    try:
        seeded = _found_in_database(engine, PERSONAL_FORMS, allowed={})
        assert not seeded, f"the seed already holds a test value: {seeded}"
        with engine.begin() as conn:
            customer_no = conn.scalar(
                select(Customer.customer_no)
                .where(Customer.email.contains("@"))
                .order_by(Customer.id)
                .limit(1)
            )
            # The signed-in customer carries the made-up name, so the bot could echo it.
            conn.execute(
                update(Customer)
                .where(Customer.customer_no == customer_no)
                .values(given_name=GIVEN_NAME, family_name=FAMILY_NAME)
            )
    finally:
        engine.dispose()

    with start_stack(database.url, var_dir, log_level="debug") as stack:
        settings = Settings(var_dir=var_dir, database_url=database.url)
        token = issue_token(settings, Principal(kind="customer", subject=customer_no))[0]
        turns: dict[str, int] = {}

        guest = stack.conversation()
        assert "what happened" in guest.texts("I'd like to make a complaint please")
        assert "mainly about" in guest.texts(DESCRIPTION)
        assert "particular order" in guest.texts('/inform{"complaint_category":"product_quality"}')
        assert "reach you" in guest.texts("/deny")
        assert "Shall I file it?" in guest.texts(EMAIL)
        assert REFERENCE.search(guest.texts("yes"))
        turns[guest.sender] = 6

        customer = stack.conversation(token)
        assert "agree" not in customer.texts("I'd like to update my email address")
        assert "agree" in customer.texts(EMAIL)
        assert "Done" in customer.texts("yes")
        customer.texts('/update_profile{"profile_field":"phone"}')
        assert "agree" in customer.texts(f"+852 {PHONE}")
        assert "Done" in customer.texts("yes")
        customer.texts('/update_profile{"profile_field":"address"}')
        assert "agree" in customer.texts(ADDRESS)
        assert "Done" in customer.texts("yes")
        turns[customer.sender] = 9
        with stack.session() as session:
            row = session.scalar(select(Customer).where(Customer.customer_no == customer_no))
            assert row is not None
            stored = (row.email, row.phone, row.address_line)
            assert stored == (EMAIL, "+85263174829", ADDRESS), "the updates were not made"

        chatter = stack.conversation()
        assert chatter.say(CHIT_CHAT)
        turns[chatter.sender] = 1

        _wait_for_transcripts(stack, turns)
        served = httpx.get(
            f"{stack.config.backend_url}/api/v1/conversations/{guest.sender}/transcript",
            headers={"Authorization": f"Bearer {_staff_token(stack, database)}"},
            timeout=30,
        )
        assert served.status_code == 200, served.status_code
        stack.stack.stop()  # the log pipes drain now; the files are complete after this

    yield FinishedRun(
        kind=database.kind,
        var_dir=var_dir,
        database_url=database.url,
        forms={**PERSONAL_FORMS, "customer token": (token,)},
        senders=list(turns),
        transcript_served=served.text,
    )


@pytest.fixture(scope="module")
def engine(finished_run) -> Iterator[Any]:
    engine = make_engine(finished_run.database_url)
    yield engine
    engine.dispose()


def _var_files(run: FinishedRun) -> list[Path]:
    """Every file the stack left under its var directory but its secrets (and the SQLite
    database, were it kept there)."""
    database_file = run.database_url.removeprefix("sqlite:///") if run.kind == "sqlite" else None
    files = []
    for path in sorted(run.var_dir.rglob("*")):
        relative = path.relative_to(run.var_dir)
        if not path.is_file() or relative.parts[0] == "secrets":
            continue
        if database_file and str(path).startswith(database_file):  # with -wal, -journal
            continue
        files.append(path)
    return files


def test_no_file_under_var_holds_a_personal_value(finished_run):
    files = _var_files(finished_run)
    assert files, "the stack left no files"
    leaks = []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        if kinds := kinds_in(text, finished_run.forms):
            leaks.append(f"{path.relative_to(finished_run.var_dir)}: {', '.join(kinds)}")
    assert not leaks, f"personal values on disk (file: kinds): {leaks}"


def test_the_logs_are_written_at_debug_level_and_scrubbed(finished_run):
    log_dir = finished_run.var_dir / "log"
    logs = {name: (log_dir / f"{name}.log").read_text(errors="replace") for name in
            ("backend", "actions", "rasa")}  # fmt: skip
    for name, text in logs.items():
        assert text.strip(), f"{name}.log is empty"
    assert len(RASA_DEBUG_LINE.findall(logs["rasa"])) > 10, "rasa.log has no Rasa debug lines"
    assert SDK_DEBUG_LINE.search(logs["actions"]), "actions.log has no rasa_sdk debug lines"
    # Rasa logs each user message at debug level: scrubbed, with the placeholders in it.
    assert "<EMAIL_ADDRESS>" in logs["rasa"]
    assert "<CREDIT_CARD>" in logs["rasa"]


def test_the_transcript_holds_the_scrubbed_conversation_and_no_personal_value(finished_run, engine):
    with engine.connect() as conn:
        rows = conn.execute(
            select(TranscriptEntry.event_type, TranscriptEntry.text, TranscriptEntry.value).where(
                TranscriptEntry.sender_id.in_(finished_run.senders)
            )
        ).all()
        everything = conn.execute(select(TranscriptEntry.text, TranscriptEntry.value)).all()
    user_texts = "\n".join(text or "" for event_type, text, _ in rows if event_type == "user")
    # Not vacuous: the user's turns are there, with each kind of value replaced.
    for placeholder in PLACEHOLDERS.values():
        assert placeholder in user_texts, f"no {placeholder} in the transcript's user turns"
    assert "blender I bought last week sparked" in user_texts
    assert "lovely today" in user_texts

    leaks = set()
    for column, index in (("text", 0), ("value", 1)):
        for row in everything:
            if row[index] is None:
                continue
            leaks.update(
                f"transcript_entry.{column}: {k}" for k in kinds_in(row[index], finished_run.forms)
            )
            if JWT.search(row[index]):
                leaks.add(f"transcript_entry.{column}: token")
    assert not leaks, f"the transcript store holds personal values or tokens: {sorted(leaks)}"

    served = finished_run.transcript_served
    assert "<EMAIL_ADDRESS>" in served and "<HKID>" in served
    assert not kinds_in(served, finished_run.forms), "the transcript served to staff: " + ", ".join(
        kinds_in(served, finished_run.forms)
    )
    assert not JWT.search(served), "the transcript served to staff holds a token"


def test_no_other_free_text_column_holds_a_personal_value(finished_run, engine):
    with engine.connect() as conn:
        # Not vacuous: the values did reach the columns allowed to hold them.
        assert conn.scalar(select(func.count()).where(Customer.email == EMAIL)) == 1
    leaks = _found_in_database(engine, finished_run.forms)
    assert not leaks, f"personal values where ALLOWED_TO_HOLD allows none: {leaks}"
    token = {"customer token": finished_run.forms["customer token"]}
    anywhere = _found_in_database(engine, token, allowed={})
    assert not anywhere, f"the customer's token is stored: {anywhere}"
