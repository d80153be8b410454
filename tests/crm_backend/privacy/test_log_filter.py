"""The scrubbing log filter: message and arguments, exceptions, stack, failures, installation.
All personal values here are made up (example.com, fake numbers)."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import log_guard
import pytest

from crm_backend.privacy import log_filter
from crm_backend.privacy.log_filter import (
    WITHHELD,
    ScrubbingFilter,
    install_log_scrubbing,
    scrub_texts,
    split_long,
)

EMAIL = "mei.ling.test@example.com"
PHONE = "9123 4567"
HKID = "A123456(3)"


def record(msg: object, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("crm_backend.probe", logging.INFO, __file__, 1, msg, args or None, None)
    rec.__dict__.update(extra)
    return rec


def written(rec: logging.LogRecord) -> str:
    """What a handler would write for the record."""
    return logging.Formatter("%(levelname)s %(name)s %(message)s").format(rec)


def scrubbed(rec: logging.LogRecord) -> logging.LogRecord:
    assert ScrubbingFilter().filter(rec) is True
    return rec


def test_the_message_is_formatted_scrubbed_and_its_arguments_cleared():
    rec = scrubbed(record("complaint from %s, phone %s", EMAIL, PHONE))
    assert rec.args is None
    assert rec.getMessage() == "complaint from <EMAIL_ADDRESS>, phone <PHONE_NUMBER>"
    assert EMAIL not in written(rec) and PHONE not in written(rec)


def test_non_string_arguments_and_mapping_arguments_are_formatted_first():
    rec = scrubbed(record("order %d of %.2f for %r", 3, 12.5, EMAIL))
    assert rec.getMessage() == "order 3 of 12.50 for '<EMAIL_ADDRESS>'"
    mapping = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "to %(who)s", ({"who": EMAIL},), None
    )
    assert scrubbed(mapping).getMessage() == "to <EMAIL_ADDRESS>"
    assert scrubbed(record({"contact": EMAIL})).getMessage() == "{'contact': '<EMAIL_ADDRESS>'}"


def test_an_already_formatted_message_is_scrubbed_as_it_is():
    rec = scrubbed(record(f"100% sure: write to {EMAIL}"))  # a '%' and no arguments
    assert rec.getMessage() == "100% sure: write to <EMAIL_ADDRESS>"
    earlier = record("sent to %s", EMAIL)
    earlier.message = earlier.getMessage()  # a formatter ran before the filter
    assert scrubbed(earlier).message == "sent to <EMAIL_ADDRESS>"


def test_a_message_whose_arguments_do_not_fit_is_still_scrubbed():
    rec = scrubbed(record("two %s %s", EMAIL))
    assert EMAIL not in written(rec)
    assert "<EMAIL_ADDRESS>" in written(rec)


def test_exception_text_is_scrubbed_into_exc_text_and_exc_info_cleared():
    try:
        raise ValueError(f"no customer with HKID {HKID}, e-mail {EMAIL}, phone {PHONE}")
    except ValueError:
        rec = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "lookup failed", None, sys.exc_info()
        )
    scrubbed(rec)
    assert rec.exc_info is None
    assert rec.exc_text is not None and "Traceback" in rec.exc_text
    assert "ValueError: no customer with HKID <HKID>" in rec.exc_text
    out = written(rec)
    for value in (HKID, EMAIL, PHONE):
        assert value not in out


def test_an_exception_text_a_formatter_already_made_is_scrubbed_too():
    rec = record("failed")
    rec.exc_text = f"Traceback ...\nKeyError: '{EMAIL}'"
    assert scrubbed(rec).exc_text == "Traceback ...\nKeyError: '<EMAIL_ADDRESS>'"


def test_stack_info_is_scrubbed():
    rec = record("here", stack_info=f'Stack (most recent call last):\n  send("{EMAIL}")')
    assert scrubbed(rec).stack_info == 'Stack (most recent call last):\n  send("<EMAIL_ADDRESS>")'


def test_a_failing_scrubber_withholds_the_message_and_never_raises(monkeypatch):
    def broken(texts):
        raise RuntimeError(f"cannot scrub {texts}")

    monkeypatch.setattr(log_filter, "scrub_texts", broken)
    try:
        raise KeyError(EMAIL)
    except KeyError:
        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "to %s", (EMAIL,), sys.exc_info())
    rec.stack_info = f"stack {EMAIL}"
    scrubbed(rec)
    assert written(rec) == f"ERROR x {WITHHELD}"
    assert rec.exc_info is None and rec.exc_text is None and rec.stack_info is None


def test_an_unprintable_argument_does_not_break_the_filter():
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

        __repr__ = __str__

    rec = scrubbed(record("value %s for %s", Unprintable(), EMAIL))
    assert rec.getMessage().endswith(" for %s <unprintable Unprintable> <EMAIL_ADDRESS>")


def test_a_record_is_scrubbed_once_however_many_handlers_filter_it(monkeypatch):
    calls = []

    def counting(texts):
        calls.append(texts)
        return scrub_texts(texts)

    monkeypatch.setattr(log_filter, "scrub_texts", counting)
    rec = record("to %s", EMAIL)
    ScrubbingFilter().filter(rec)
    ScrubbingFilter().filter(rec)
    assert len(calls) == 1
    assert rec.getMessage() == "to <EMAIL_ADDRESS>"


def test_uvicorn_access_records_keep_their_arguments_scrubbed():
    rec = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (f"{EMAIL}:5000", "GET", f"/search?q=call {PHONE}", "1.1", 200),
        None,
    )
    scrubbed(rec)
    assert isinstance(rec.args, tuple) and rec.args[4] == 200
    assert (
        rec.getMessage()
        == '<EMAIL_ADDRESS>:5000 - "GET /search?q=call <PHONE_NUMBER> HTTP/1.1" 200'
    )


def test_long_messages_are_scrubbed_in_pieces_that_join_back():
    text = ("lorem ipsum dolor sit amet. " * 3000) + f"contact {EMAIL} or {PHONE} " * 3
    pieces = split_long(text, limit=5000)
    assert "".join(pieces) == text and all(len(p) <= 5000 for p in pieces)
    out = scrub_texts([text])[0]
    assert EMAIL not in out and PHONE not in out and out.count("<EMAIL_ADDRESS>") == 3


def test_a_cut_never_falls_inside_a_spaced_phone_number():
    text = "x" * 95 + " 9123 4567 " + "y" * 100
    for piece in split_long(text, limit=100):
        assert not piece.endswith("9123 ")


@pytest.fixture
def output_handlers() -> Iterator[tuple[logging.Handler, logging.Handler, logging.Handler]]:
    """A handler to a real file on root and one on uvicorn, and an in-memory one on root.
    The run's log guard (tests/log_guard.py) is detached meanwhile: these tests log personal
    values on purpose, and a seeded database may hold the same made-up phone number."""
    root, uvicorn = logging.getLogger(), logging.getLogger("uvicorn.error")
    root.removeHandler(log_guard.BOOK)
    to_file = logging.StreamHandler(sys.__stderr__)
    to_uvicorn = logging.StreamHandler(sys.__stderr__)
    in_memory = logging.StreamHandler(io.StringIO())
    root.addHandler(to_file)
    root.addHandler(in_memory)
    uvicorn.addHandler(to_uvicorn)
    try:
        yield to_file, to_uvicorn, in_memory
    finally:
        root.removeHandler(to_file)
        root.removeHandler(in_memory)
        uvicorn.removeHandler(to_uvicorn)
        root.addHandler(log_guard.BOOK)
        if logging.lastResort is not None:
            for f in list(logging.lastResort.filters):
                if isinstance(f, ScrubbingFilter):
                    logging.lastResort.removeFilter(f)


def count(handler: logging.Handler) -> int:
    return sum(isinstance(f, ScrubbingFilter) for f in handler.filters)


def test_install_puts_one_filter_on_each_output_handler_and_is_idempotent(output_handlers):
    to_file, to_uvicorn, in_memory = output_handlers
    install_log_scrubbing()
    install_log_scrubbing()
    assert count(to_file) == 1 and count(to_uvicorn) == 1
    assert logging.lastResort is not None and count(logging.lastResort) == 1
    # In-memory handlers (test capture, the suite's log guard) keep the raw records.
    assert count(in_memory) == 0
    assert install_log_scrubbing() == 0


def test_a_propagated_record_is_scrubbed_by_the_root_handler(output_handlers, capfd):
    install_log_scrubbing()
    logger = logging.getLogger("crm_backend.deep.child.probe")
    logger.warning("callback to %s", PHONE)
    err = capfd.readouterr().err
    assert "callback to <PHONE_NUMBER>" in err
    assert PHONE not in err
