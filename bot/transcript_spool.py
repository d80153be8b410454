"""The transcript broker's on-disk queue: batches waiting for the backend, oldest first,
within a byte and a file bound (past it the oldest files are dropped and counted). Plain
Python, no Rasa: see ``bot/transcript_broker.py``."""

import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

logger = logging.getLogger(__name__)


class Spool:
    """Batches waiting on disk, oldest first, within a byte and a file bound.

    Blocking file I/O: the broker calls these methods through ``asyncio.to_thread``.
    """

    def __init__(self, directory: Path, *, max_bytes: int, max_files: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.dropped_events = 0
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Half-written files of a process that died while writing (older than a minute, so
        # not one another Rasa process sharing the spool is writing now).
        for stale in directory.glob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                if stale.stat().st_mtime < time.time() - 60:
                    stale.unlink()

    def files(self) -> List[Path]:
        # Name: <time_ns>-<pid>-<random>-<event count>.json, so the order is the age.
        return sorted(self.directory.glob("*.json"))

    def __len__(self) -> int:
        return len(self.files())

    def put(self, events: List[Dict[Text, Any]]) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{len(events)}.json"
        tmp = self.directory / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(events, handle)  # ASCII: a lone surrogate in chat text cannot break it
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.directory / name)
        self.enforce_bounds()

    def load(self, path: Path) -> Optional[List[Dict[Text, Any]]]:
        """The events of a spooled batch; None (and the file removed) if it is unreadable."""
        try:
            events = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None  # another Rasa process sharing the spool delivered it
        except (OSError, ValueError):
            logger.error("transcript spool: removed an unreadable batch file %s", path.name)
            self.remove(path)
            return None
        return events if isinstance(events, list) else None

    def remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def enforce_bounds(self) -> int:
        """Drop the oldest files until the spool is within its bounds; returns events dropped."""
        sized: List[Tuple[Path, int]] = []
        for path in self.files():
            try:
                sized.append((path, path.stat().st_size))
            except FileNotFoundError:
                continue
        total = sum(size for _, size in sized)
        dropped = 0
        while sized and (total > self.max_bytes or len(sized) > self.max_files):
            path, size = sized.pop(0)
            self.remove(path)
            total -= size
            dropped += _event_count(path)
        if dropped:
            self.dropped_events += dropped
            logger.warning(
                "transcript spool over its bound (%d bytes, %d files): dropped the %d oldest "
                "events; %d dropped since start",
                self.max_bytes, self.max_files, dropped, self.dropped_events,
            )  # fmt: skip
        return dropped


def _event_count(path: Path) -> int:
    try:
        return int(path.stem.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0
