"""Personal information collection statements (PDPO DPP1), versioned data in
``data/collection_statements.json``. A consent names the statement version it was given
against; a decision against an older version is refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from crm_backend.paths import DATA_DIR

StatementName = Literal["profile", "direct_marketing"]
# The purpose a statement is shown for (consent rows name finer purposes, e.g.
# direct_marketing_email, against the same statement).
STATEMENT_PURPOSE: dict[str, str] = {
    "profile": "profile_update",
    "direct_marketing": "direct_marketing",
}


@dataclass(frozen=True, slots=True)
class Statement:
    name: str
    purpose: str
    version: str
    title: str
    text: str


@lru_cache
def _statements() -> dict[str, Statement]:
    raw = json.loads((DATA_DIR / "collection_statements.json").read_text(encoding="utf-8"))
    statements: dict[str, Statement] = {}
    for name, purpose in STATEMENT_PURPOSE.items():
        entry = raw["statements"][name]
        statements[name] = Statement(
            name=name,
            purpose=purpose,
            version=str(entry["version"]),
            title=str(entry["title"]),
            text=str(entry["text"]),
        )
    return statements


def current_statement(name: StatementName) -> Statement:
    """The statement in force now (loaded once per process)."""
    return _statements()[name]
