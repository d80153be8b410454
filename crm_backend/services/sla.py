"""Complaint priority and SLA due times from the versioned policy in ``data/sla_policy.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from crm_backend.models.enums import ComplaintCategory, Priority
from crm_backend.paths import DATA_DIR

_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}


@dataclass(frozen=True, slots=True)
class SlaTargets:
    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    version: str
    targets: dict[Priority, SlaTargets]
    category_priority: dict[ComplaintCategory, Priority]
    keyword_rules: tuple[tuple[Priority, tuple[str, ...]], ...]

    def priority_for(self, category: ComplaintCategory, description: str) -> Priority:
        priority = self.category_priority[category]
        text = description.casefold()
        for rule_priority, keywords in self.keyword_rules:
            if _RANK[rule_priority] > _RANK[priority] and any(k in text for k in keywords):
                priority = rule_priority
        return priority

    def due_times(self, priority: Priority, created_at: datetime) -> tuple[datetime, datetime]:
        targets = self.targets[priority]
        return created_at + targets.first_response, created_at + targets.resolution


@lru_cache
def load_sla_policy(path: Path | None = None) -> SlaPolicy:
    raw = json.loads((path or DATA_DIR / "sla_policy.json").read_text(encoding="utf-8"))
    return SlaPolicy(
        version=raw["version"],
        targets={
            Priority(name): SlaTargets(
                first_response=timedelta(hours=t["first_response_hours"]),
                resolution=timedelta(hours=t["resolution_hours"]),
            )
            for name, t in raw["targets"].items()
        },
        category_priority={
            ComplaintCategory(c): Priority(p) for c, p in raw["category_priority"].items()
        },
        keyword_rules=tuple(
            (Priority(rule["priority"]), tuple(k.casefold() for k in rule["keywords"]))
            for rule in raw["keyword_rules"]
        ),
    )
