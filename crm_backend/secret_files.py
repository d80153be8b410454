"""Secrets generated at run time into ``var/secrets`` (mode 600), never committed."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def load_or_create_secret(directory: Path, name: str, *, nbytes: int = 32) -> str:
    """Return the secret stored in ``directory/name``, creating it once if missing.

    The value is written to a private temporary file and hard-linked into place,
    so two processes starting together agree on one complete value.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / name
    if not path.exists():
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(nbytes) + "\n")
            os.link(tmp_name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp_name)
    return path.read_text(encoding="ascii").strip()
