"""``crm scrub``: text lines on stdin, the same lines scrubbed of personal data on stdout.

Exactly one output line per input line, in order; a line comes out as soon as it is in (lines
that arrive together are scrubbed together in one ``scrub_many`` batch). Input is read as bytes
and split on b"\\n" only; each line is decoded as UTF-8 with ``errors="replace"``, so invalid
bytes become U+FFFD and the output is always valid UTF-8 (binary garbage is never copied
through). ``scrub_stream`` is also the devstack's log pipe (``crm_backend/devstack.py``).
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Callable

import typer

from crm_backend.privacy.log_filter import scrub_lines

WITHHELD_LINE = "[line withheld: scrubber failed]"
READ_BYTES = 1 << 16
BATCH_LINES = 128  # per scrub_many call: bounds how long the first line of a burst waits
BATCH_BYTES = 1 << 18  # and the memory spaCy takes for one batch
MAX_LINE_BYTES = 8 << 20  # a line longer than this goes out in scrubbed pieces as it arrives


def _readable_now(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _cut_partial(buffer: bytearray) -> int:
    """Where to cut an over-long unfinished line: after its last space, else before its last
    character (never inside a UTF-8 sequence)."""
    space = buffer.rfind(b" ", len(buffer) // 2)
    if space >= 0:
        return space + 1
    cut = len(buffer) - 1
    while cut > 0 and buffer[cut] & 0xC0 == 0x80:  # a continuation byte
        cut -= 1
    return cut or len(buffer)


class StreamScrubber:
    """Feeds on bytes, writes scrubbed lines. Scrubbing failures withhold the lines (never
    the raw text) and are counted in ``failures``."""

    def __init__(
        self,
        write: Callable[[bytes], None],
        on_failure: Callable[[Exception], None] | None = None,
    ) -> None:
        self._write = write
        self._on_failure = on_failure
        self._buffer = bytearray()
        self.failures = 0

    def _scrub(self, texts: list[str]) -> list[str]:
        try:
            return scrub_lines(texts)
        except Exception as exc:
            self.failures += 1
            if self._on_failure is not None and self.failures == 1:
                self._on_failure(exc)
            return [WITHHELD_LINE] * len(texts)

    def _emit(self, lines: list[bytes], ending: bytes) -> None:
        texts = [line.decode("utf-8", errors="replace") for line in lines]
        out = "\n".join(self._scrub(texts)).encode("utf-8") + ending
        self._write(out)

    def feed(self, data: bytes) -> None:
        """Scrub and write every complete line in the buffer, in batches."""
        self._buffer += data
        end = self._buffer.rfind(b"\n") + 1
        batch: list[bytes] = []
        size = 0
        start = 0
        while start < end:
            stop = self._buffer.index(b"\n", start)
            batch.append(bytes(self._buffer[start:stop]))
            size += stop - start
            start = stop + 1
            if len(batch) >= BATCH_LINES or size >= BATCH_BYTES:
                self._emit(batch, b"\n")
                batch, size = [], 0
        if batch:
            self._emit(batch, b"\n")
        del self._buffer[:end]
        if len(self._buffer) > MAX_LINE_BYTES:  # no newline yet: let part of it go
            cut = _cut_partial(self._buffer)
            self._emit([bytes(self._buffer[:cut])], b"")
            del self._buffer[:cut]

    def finish(self) -> None:
        """End of input: the last line, if it had no newline, goes out without one too."""
        if self._buffer:
            self._emit([bytes(self._buffer)], b"")
            self._buffer.clear()


def scrub_stream(
    fd: int,
    write: Callable[[bytes], None],
    on_failure: Callable[[Exception], None] | None = None,
) -> int:
    """Read ``fd`` to its end, writing scrubbed lines as they come; returns the number of
    failed batches (``on_failure`` hears of the first). Whatever is readable at once is
    batched; nothing waits for more input."""
    scrubber = StreamScrubber(write, on_failure)
    while True:
        data = os.read(fd, READ_BYTES)  # blocks until some input or the end
        eof = not data
        chunks = [data]
        size = len(data)
        while not eof and size < BATCH_BYTES and _readable_now(fd):
            more = os.read(fd, READ_BYTES)
            eof = not more
            chunks.append(more)
            size += len(more)
        scrubber.feed(b"".join(chunks))
        if eof:
            scrubber.finish()
            return scrubber.failures


def scrub() -> None:
    """Scrub personal data from text lines: stdin to stdout, one line out per line in.

    Invalid UTF-8 is decoded with errors="replace" (U+FFFD). Exits 1 if scrubbing failed for
    some lines (they are replaced by a fixed notice, never printed as they were).
    """
    out = sys.stdout.buffer

    def write(data: bytes) -> None:
        out.write(data)
        out.flush()

    def report(exc: Exception) -> None:  # the type only: a message could quote the text
        typer.echo(f"crm scrub: scrubbing failed ({type(exc).__name__}); lines withheld", err=True)

    try:
        failures = scrub_stream(sys.stdin.fileno(), write, report)
    except BrokenPipeError:  # the reader went away; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if failures:
        raise typer.Exit(1)
