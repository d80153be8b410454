"""``crm scrub``: one line out per line in, in order, streaming, whatever the input.
All personal values here are made up (example.com, fake numbers)."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator

import pytest

from crm_backend.cli_scrub import WITHHELD_LINE, StreamScrubber
from crm_backend.devstack import APP_BIN
from crm_backend.paths import PROJECT_ROOT

EMAIL = "kwok.test@example.com"
PHONE = "6123 4567"
CRM = str(APP_BIN / "crm")
TIMEOUT = 120  # the first scrub loads spaCy


def run_scrub(data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [CRM, "scrub"], input=data, capture_output=True, timeout=TIMEOUT, cwd=PROJECT_ROOT
    )


@pytest.fixture(scope="module")
def mixed_run() -> tuple[list[bytes], subprocess.CompletedProcess[bytes]]:
    lines = [
        f"please call me on {PHONE} or mail {EMAIL}".encode(),
        b"",
        "我的電話是 +852 9123 4567\uff0cemail mei@example.com 謝謝".encode(),
        b"12345678901234567890",
        b"91234567",
        b"\xff\xfe\x00binary\x80\x81 garbage \xc3",
        b"order SO-2026-000123 for HK$1,299.00 on 2026-11-03",
        b"",
        b"   ",
        b"line\rwith carriage return",
    ]
    return lines, run_scrub(b"\n".join(lines) + b"\n")


def test_one_line_out_per_line_in_and_in_order(mixed_run):
    lines, result = mixed_run
    assert result.returncode == 0
    out = result.stdout.split(b"\n")
    assert out[-1] == b"" and len(out) - 1 == len(lines)
    assert out[0].decode() == "please call me on <PHONE_NUMBER> or mail <EMAIL_ADDRESS>"
    assert out[1] == b"" and out[7] == b"" and out[8] == b"   "
    assert out[6] == lines[6]  # references, prices and dates survive
    assert out[9] == b"line\rwith carriage return"


def test_mixed_chinese_english_and_digits(mixed_run):
    _, result = mixed_run
    out = result.stdout.decode().split("\n")
    assert "mei@example.com" not in out[2] and "9123 4567" not in out[2]
    assert out[2].startswith("我的電話是") and out[2].endswith("謝謝")
    assert out[3] == "12345678901234567890"  # a long number is not a phone
    assert out[4] == "<PHONE_NUMBER>"  # an 8-digit HK mobile number alone is


def test_invalid_utf8_is_replaced_not_copied(mixed_run):
    _, result = mixed_run
    garbage = result.stdout.split(b"\n")[5]
    assert garbage.decode("utf-8") == "\ufffd\ufffd\x00binary\ufffd\ufffd garbage \ufffd"


def test_no_input_no_output_and_a_last_line_without_newline():
    assert run_scrub(b"").stdout == b""
    result = run_scrub(f"a\n{EMAIL}".encode())
    assert result.stdout == b"a\n<EMAIL_ADDRESS>"


def test_a_one_megabyte_line_comes_out_whole_and_scrubbed():
    line = ("the parcel arrived late again " * 35_000)[:1_000_000] + f" mail {EMAIL} "
    result = run_scrub(f"{line}\nnext line\n".encode())
    assert result.returncode == 0
    out = result.stdout.decode().split("\n")
    assert len(out) == 3 and out[1] == "next line"
    assert EMAIL not in out[0] and out[0].endswith(" mail <EMAIL_ADDRESS> ")
    assert len(out[0]) == len(line) - len(EMAIL) + len("<EMAIL_ADDRESS>")


def test_errors_never_print_the_input(monkeypatch):
    def broken(texts):
        raise RuntimeError(f"failed on {texts}")

    monkeypatch.setattr("crm_backend.cli_scrub.scrub_lines", broken)
    written: list[bytes] = []
    failures: list[Exception] = []
    stream = StreamScrubber(written.append, failures.append)
    stream.feed(f"{EMAIL}\nsecond\n".encode())
    assert b"".join(written) == f"{WITHHELD_LINE}\n{WITHHELD_LINE}\n".encode()
    assert stream.failures == 1 and len(failures) == 1


@pytest.fixture
def live_scrub() -> Iterator[tuple[subprocess.Popen[bytes], queue.Queue[bytes]]]:
    process = subprocess.Popen(
        [CRM, "scrub"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=PROJECT_ROOT
    )
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        reader.join(timeout=10)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def test_a_line_comes_back_before_stdin_is_closed(live_scrub):
    process, lines = live_scrub
    assert process.stdin is not None
    for expected, sent in [
        (b"mail <EMAIL_ADDRESS>\n", f"mail {EMAIL}\n"),
        (b"\n", "\n"),
        (b"call <PHONE_NUMBER>\n", f"call {PHONE}\n"),
    ]:
        process.stdin.write(sent.encode())
        process.stdin.flush()
        assert lines.get(timeout=TIMEOUT) == expected  # stdin is still open
    assert process.poll() is None
    process.stdin.close()
    assert process.wait(timeout=TIMEOUT) == 0


def test_output_to_a_closed_reader_ends_quietly():
    read_end, write_end = os.pipe()
    os.close(read_end)
    result = subprocess.run(
        [CRM, "scrub"],
        input=b"hello\n",
        stdout=write_end,
        stderr=subprocess.PIPE,
        timeout=TIMEOUT,
        cwd=PROJECT_ROOT,
    )
    os.close(write_end)
    assert b"Traceback" not in result.stderr and b"hello" not in result.stderr


def test_rasa_debug_lines_have_their_json_string_values_scrubbed_one_by_one():
    written: list[bytes] = []
    line = (
        '2026-12-07 01:11:35 DEBUG    rasa.core.processor  - {"parse_data_text": '
        '"Zebediah Quackenbush here, mail kwok.test@example.com", "confidence": 0.97, '
        '"entities": [], "level": "debug"}'
    )
    StreamScrubber(written.append).feed(f"{line}\nnot json {{ {EMAIL}\n".encode())
    out = b"".join(written).decode().split("\n")
    assert out[0] == (
        '2026-12-07 01:11:35 DEBUG    rasa.core.processor  - {"parse_data_text": '
        '"<PERSON> here, mail <EMAIL_ADDRESS>", "confidence": 0.97, "entities": [], '
        '"level": "debug"}'
    )
    assert out[1] == "not json { <EMAIL_ADDRESS>"
