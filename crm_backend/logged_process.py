"""A child process whose stdout and stderr reach its log file only through the scrubber:
what servers print past the logging module (Sanic banners, Rasa's debug JSON, tracebacks)
is personal-data-free on disk too."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from crm_backend.cli_scrub import scrub_stream
from crm_backend.paths import PROJECT_ROOT


class LogPump(threading.Thread):
    """Copies a child's output into its log file through the scrubber, line by line. If
    scrubbing fails the lines are withheld; if the log cannot be written the output is still
    drained, so the child never blocks on a full pipe."""

    def __init__(self, name: str, source: IO[bytes], log_path: Path) -> None:
        super().__init__(name=f"log-pump-{name}", daemon=True)
        self.log_path = log_path
        self._source = source
        self._reported: set[str] = set()

    def _report(self, what: str, exc: BaseException) -> None:
        if what not in self._reported:  # the type only: a message could quote the text
            self._reported.add(what)
            print(f"{self.name}: {what} failed ({type(exc).__name__})", file=sys.stderr)

    def run(self) -> None:
        try:
            with self.log_path.open("ab") as log:

                def write(data: bytes) -> None:
                    try:
                        log.write(data)
                        log.flush()
                    except OSError as exc:
                        self._report("writing the log", exc)

                scrub_stream(self._source.fileno(), write, lambda e: self._report("scrubbing", e))
        except OSError as exc:
            self._report("reading the output", exc)
        finally:
            self._source.close()


def spawn_logged(
    name: str, argv: list[str], log_path: Path, *, env: dict[str, str], cwd: Path = PROJECT_ROOT
) -> tuple[subprocess.Popen[bytes], LogPump]:
    """Start ``argv`` with its stdout and stderr going to ``log_path`` through the scrubber."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    popen = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so stop() reaches children
        preexec_fn=_die_with_parent,
    )
    assert popen.stdout is not None
    pump = LogPump(name, popen.stdout, log_path)
    pump.start()
    return popen, pump


def _die_with_parent() -> None:
    """Linux: have the child receive SIGTERM if the process that started it dies, so a killed
    test run or launcher never leaves servers holding the ports."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
