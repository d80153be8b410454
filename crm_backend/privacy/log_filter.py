"""A logging filter that scrubs personal data from every record before a handler writes it.

``install_log_scrubbing()`` puts one ``ScrubbingFilter`` on every handler that writes out of
the process (console, pipe, file, syslog, network) and on ``logging.lastResort``. A filter on a
*logger* does not see records propagated from child loggers; a filter on a *handler* sees every
record it is about to write, so handlers are what get the filter. Handlers that keep records in
memory (pytest's capture, the test suite's log guard) are left alone: they are not output, and
the test suite's guard exists to see what the code itself logs.

The filter formats the message (``msg % args``), the exception and the stack, scrubs them in
one ``scrub_many`` call, and stores the results as plain text (``args`` and ``exc_info``
cleared). It never raises: if scrubbing fails the message becomes ``WITHHELD``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import threading
import traceback
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from crm_backend.privacy.scrubber import get_scrubber
from crm_backend.privacy.secrets_in_text import redact_secrets

WITHHELD = "[log message withheld: scrubber failed]"
WITHHELD_REENTRANT = "[log message withheld: logged while scrubbing]"
# Loggers whose handlers get the filter even when not yet reachable from the root.
SERVER_LOGGERS = (
    "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "rasa_sdk",
    "sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets",
)  # fmt: skip
# uvicorn's access formatter unpacks the arguments, so those are scrubbed one by one instead.
_KEEPS_ARGS = ("uvicorn.access",)
# Records that hold no text by construction: the scrubber's own, and Presidio's (the scrubber
# blanks their arguments). Scrubbing them could re-enter the scrubber from inside its analysis.
_SANITISED_AT_SOURCE = ("presidio-analyzer", "presidio-anonymizer", "crm_backend.privacy.scrubber")
_MARK = "crm_scrubbed"
# Handlers that send records out of the process without being stream handlers.
_OUTBOUND = (
    logging.handlers.SysLogHandler,
    logging.handlers.SocketHandler,  # and DatagramHandler
    logging.handlers.HTTPHandler,
    logging.handlers.SMTPHandler,
    logging.handlers.NTEventLogHandler,
)
# spaCy refuses texts over 1,000,000 characters and is slow on huge ones: long texts are
# scrubbed in pieces, cut where no entity is likely to straddle the cut (see ``split_long``).
CHUNK_CHARS = 20_000
_CUT_WINDOW = 2_000
_CJK_SENTENCE_END = "\u3002\uff01\uff1f"  # full stop, exclamation and question marks

_local = threading.local()


def split_long(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters that join back to ``text``. Cuts go
    after a sentence end if there is one near the limit, else at a space not between two digits
    (so "9123 4567" stays whole), else at the limit."""
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        end = start + limit
        pieces.append(
            text[start : (cut := _cut_point(text, max(start + 1, end - _CUT_WINDOW), end))]
        )
        start = cut
    pieces.append(text[start:])
    return pieces


def _cut_point(text: str, low: int, high: int) -> int:
    fallback = None
    for i in range(high, low, -1):  # a cut before text[i]
        before, after = text[i - 1], text[i]
        if before in _CJK_SENTENCE_END or (before.isspace() and text[i - 2] in ".!?"):
            return i
        between_words = before.isspace() and not after.isspace()
        if fallback is None and between_words and not (after + text[i - 2]).isdigit():
            fallback = i
    return fallback or high


def scrub_texts(texts: Sequence[str]) -> list[str]:
    """``scrub_many`` for texts of any length (long ones go in pieces, all in one batch), with
    tokens and link secrets replaced too."""
    pieces: list[str] = []
    counts: list[int] = []
    for text in texts:
        text = redact_secrets(text)
        parts = split_long(text) if len(text) > CHUNK_CHARS else [text]
        pieces.extend(parts)
        counts.append(len(parts))
    scrubbed = get_scrubber().scrub_many(pieces)
    out: list[str] = []
    position = 0
    for count in counts:
        out.append("".join(scrubbed[position : position + count]))
        position += count
    return out


def _json_tail(line: str) -> tuple[str, Any] | None:
    """``(prefix, value)`` when the line ends in a JSON object, as Rasa's debug lines do."""
    start = line.find("{")
    if start < 0 or not line.rstrip().endswith("}"):
        return None
    try:
        return line[:start], json.loads(line[start:])
    except ValueError:
        return None


def _strings(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)


def _replace_strings(value: Any, scrubbed: Iterator[str]) -> Any:
    if isinstance(value, str):
        return next(scrubbed)
    if isinstance(value, dict):
        return {key: _replace_strings(item, scrubbed) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_strings(item, scrubbed) for item in value]
    return value


def scrub_lines(lines: Sequence[str]) -> list[str]:
    """``scrub_texts`` for log lines. A line ending in a JSON object (Rasa's structured debug
    lines) has its prefix and each string value scrubbed as separate texts, unescaped: the
    recognizers read ``"Chan Tai Man here"`` better than ``{"text": "Chan Tai Man here"``
    and cannot read ``\\u9673`` at all. Keys, numbers and the JSON layout stay."""
    texts: list[str] = []
    plans: list[tuple[str, Any] | None] = []
    for line in lines:
        plan = _json_tail(line)
        plans.append(plan)
        if plan is None:
            texts.append(line)
        else:
            texts.append(plan[0])
            _strings(plan[1], texts)
    scrubbed = iter(scrub_texts(texts))
    out: list[str] = []
    for plan in plans:
        if plan is None:
            out.append(next(scrubbed))
        else:
            prefix = next(scrubbed)
            out.append(prefix + json.dumps(_replace_strings(plan[1], scrubbed), ensure_ascii=False))
    return out


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string: keep both parts, scrubbed like the rest
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        return " ".join(_safe_str(part) for part in (record.msg, *args))


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_text:
        return record.exc_text
    exc_info = record.exc_info
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    return None


def _scrub_record(record: logging.LogRecord) -> None:
    keep_args = record.name in _KEEPS_ARGS and isinstance(record.args, tuple)
    message = _safe_str(record.msg) if keep_args else _message(record)
    exc_text = _exception_text(record)
    stack = record.stack_info
    texts = [message, exc_text or "", stack or ""]
    arg_slots: list[int] = []
    if keep_args:
        assert isinstance(record.args, tuple)
        arg_slots = [i for i, arg in enumerate(record.args) if isinstance(arg, str)]
        texts += [record.args[i] for i in arg_slots]  # type: ignore[misc]
    scrubbed = scrub_texts(texts)
    record.msg = scrubbed[0]
    if keep_args:
        args = list(record.args)  # type: ignore[arg-type]
        for slot, text in zip(arg_slots, scrubbed[3:], strict=True):
            args[slot] = text
        record.args = tuple(args)
    else:
        record.args = None
    record.exc_info = None
    record.exc_text = scrubbed[1] if exc_text else None
    record.stack_info = scrubbed[2] if stack else None
    if "message" in record.__dict__:  # set by a formatter that ran before this filter
        record.message = record.getMessage()


def _withhold(record: logging.LogRecord, text: str) -> None:
    record.msg = text
    record.args = None
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None
    if "message" in record.__dict__:
        record.message = text


class ScrubbingFilter(logging.Filter):
    """Scrubs the record in place (all handlers share it); never drops a record, never raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.__dict__.get(_MARK) or record.name.startswith(_SANITISED_AT_SOURCE):
            return True
        try:
            record.__dict__[_MARK] = True
            if getattr(_local, "scrubbing", False):
                _withhold(record, WITHHELD_REENTRANT)  # e.g. logged by the scrubber's libraries
                return True
            _local.scrubbing = True
            try:
                _scrub_record(record)
            finally:
                _local.scrubbing = False
        except Exception:
            try:
                _withhold(record, WITHHELD)
            except Exception:
                return False  # a record that cannot even be overwritten is not written
        return True


_FILTER = ScrubbingFilter()


def _writes_out(handler: logging.Handler) -> bool:
    """True for handlers whose output leaves the process (a stream with a file descriptor, a
    file, syslog, a socket...); False for in-memory ones (a StringIO stream, test capture)."""
    if isinstance(handler, (logging.FileHandler, *_OUTBOUND)):
        return True
    if isinstance(handler, logging.StreamHandler):
        try:
            handler.stream.fileno()
        except Exception:
            return False
        return True
    return False


def _handlers(extra_loggers: Iterable[str]) -> list[logging.Handler]:
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [logging.getLogger(name) for name in (*SERVER_LOGGERS, *extra_loggers)]
    existing = list(logging.Logger.manager.loggerDict.values())
    loggers += [logger for logger in existing if isinstance(logger, logging.Logger)]
    handlers = [logging.lastResort] if logging.lastResort is not None else []
    for logger in loggers:
        handlers += [handler for handler in logger.handlers if handler not in handlers]
    return handlers


def install_log_scrubbing(extra_loggers: Iterable[str] = ()) -> int:
    """Put the scrubbing filter on every output handler of every existing logger and on
    ``logging.lastResort``. Idempotent; call it again after handlers are added. Returns how many
    handlers got the filter this time."""
    added = 0
    for handler in _handlers(extra_loggers):
        if _writes_out(handler) and not any(
            isinstance(f, ScrubbingFilter) for f in handler.filters
        ):
            handler.addFilter(_FILTER)
            added += 1
    return added
