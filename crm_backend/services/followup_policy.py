"""Satisfaction follow-up and recovery policy (versioned data in ``data/followup_policy.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from crm_backend.models.enums import ComplaintCategory, Department, Priority
from crm_backend.paths import DATA_DIR

_E = TypeVar("_E", Priority, ComplaintCategory)


@dataclass(frozen=True, slots=True)
class RecoveryRule:
    priorities: frozenset[Priority] | None
    categories: frozenset[ComplaintCategory] | None
    offer: str

    def matches(self, priority: Priority, category: ComplaintCategory) -> bool:
        return (self.priorities is None or priority in self.priorities) and (
            self.categories is None or category in self.categories
        )


@dataclass(frozen=True, slots=True)
class FollowupPolicy:
    version: str
    followup_delay: timedelta
    answer_window: timedelta
    unhappy_at_most: int
    notify_department: Department
    recovery: tuple[RecoveryRule, ...]
    priority_callback_within: timedelta

    def recovery_offer(self, priority: Priority, category: ComplaintCategory) -> str:
        return next(rule.offer for rule in self.recovery if rule.matches(priority, category))


@lru_cache
def load_followup_policy(path: Path | None = None) -> FollowupPolicy:
    raw = json.loads((path or DATA_DIR / "followup_policy.json").read_text(encoding="utf-8"))
    rules = tuple(
        RecoveryRule(
            priorities=_maybe(Priority, rule["when"].get("priority")),
            categories=_maybe(ComplaintCategory, rule["when"].get("category")),
            offer=rule["offer"],
        )
        for rule in raw["recovery"]
    )
    if not rules or rules[-1].priorities is not None or rules[-1].categories is not None:
        raise ValueError("followup_policy.json: the last recovery rule must match everything")
    return FollowupPolicy(
        version=raw["version"],
        followup_delay=timedelta(hours=raw["followup_delay_hours"]),
        answer_window=timedelta(days=raw["answer_window_days"]),
        unhappy_at_most=int(raw["unhappy_at_most"]),
        notify_department=Department(raw["notify_department"]),
        recovery=rules,
        priority_callback_within=timedelta(hours=raw["priority_callback_within_hours"]),
    )


def _maybe(kind: type[_E], values: list[str] | None) -> frozenset[_E] | None:
    return None if values is None else frozenset(kind(v) for v in values)
