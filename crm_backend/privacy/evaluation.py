"""Measure the scrubber on the labelled corpus: per-type precision, recall and F2.

    .venv/bin/python -m crm_backend.privacy.evaluation [--corpus PATH] [--json]

The corpus (``tests/privacy_corpus/messages.jsonl`` by default, built by ``build_corpus.py``
beside it) holds one JSON object per line: ``{"text": ..., "entities": [{"start", "end",
"type"}]}``. Scoring is span-level, on the regions the scrubber replaces
(``Scrubber.analyze_many``: merged, non-overlapping, exactly what ``scrub`` turns into
``<TYPE>``):

- **Recall** of a type: the share of its labelled entities that are *found*, i.e. every letter
  and digit of the entity lies inside replaced regions (brackets, spaces and punctuation at its
  edges may stay). What matters for privacy is that the value is gone, so the region's own type
  does not matter here; ``typed`` reports the share found by a region of the same type.
- **Precision** of a type: the share of replaced regions of that type that overlap some
  labelled entity (of any type). A region that overlaps no labelled entity is a false positive:
  text that was not personal data was destroyed. Counting by overlap (not exact boundaries)
  means one region covering a name and its title, or two regions covering one address, are
  not punished as several errors.
- **F2** = 5PR / (4P + R): recall weighs four times as much as precision (a leak costs more
  than an over-redaction).
- **Clean untouched**: the share of messages with no labelled entity that come out of the
  scrubber unchanged.

Goals (issue 6): recall >= 0.95 for every type, >= 0.99 for HKID, e-mail, card and phone;
clean untouched >= 0.97. The exit status is 1 when a goal is missed. Output holds figures and
message ids only, never corpus text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crm_backend.paths import PROJECT_ROOT

DEFAULT_CORPUS = PROJECT_ROOT / "tests" / "privacy_corpus" / "messages.jsonl"
ENTITY_TYPES = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "HKID",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "IBAN_CODE",
    "ADDRESS",
)
RECALL_GOAL = 0.95
STRICT_RECALL_GOAL = 0.99
STRICT_TYPES = ("HKID", "EMAIL_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER")
CLEAN_GOAL = 0.97


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Message:
    id: str
    text: str
    entities: tuple[Entity, ...]


@dataclass
class TypeScore:
    entities: int = 0
    found: int = 0
    found_typed: int = 0
    regions: int = 0
    regions_correct: int = 0
    missed_ids: list[str] = field(default_factory=list)
    false_positive_ids: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.entities if self.entities else 1.0

    @property
    def typed(self) -> float:
        return self.found_typed / self.entities if self.entities else 1.0

    @property
    def precision(self) -> float:
        return self.regions_correct / self.regions if self.regions else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0


@dataclass
class Report:
    messages: int
    clean_messages: int
    clean_untouched: int
    seconds: float
    types: dict[str, TypeScore]
    touched_clean_ids: list[str]

    @property
    def clean_share(self) -> float:
        return self.clean_untouched / self.clean_messages if self.clean_messages else 1.0

    def overall(self) -> TypeScore:
        total = TypeScore()
        for score in self.types.values():
            total.entities += score.entities
            total.found += score.found
            total.found_typed += score.found_typed
            total.regions += score.regions
            total.regions_correct += score.regions_correct
        return total

    def goal_failures(self) -> list[str]:
        failures = []
        for name, score in self.types.items():
            goal = recall_goal(name)
            if score.entities and score.recall < goal:
                failures.append(f"{name} recall {score.recall:.3f} < {goal}")
        if self.clean_share < CLEAN_GOAL:
            failures.append(f"clean untouched {self.clean_share:.3f} < {CLEAN_GOAL}")
        return failures

    def as_dict(self) -> dict[str, Any]:
        overall = self.overall()
        return {
            "messages": self.messages,
            "clean_messages": self.clean_messages,
            "clean_untouched": self.clean_untouched,
            "clean_untouched_share": round(self.clean_share, 4),
            "seconds": round(self.seconds, 3),
            "types": {
                name: {
                    **{k: v for k, v in asdict(score).items() if not k.endswith("_ids")},
                    "recall": round(score.recall, 4),
                    "typed_recall": round(score.typed, 4),
                    "precision": round(score.precision, 4),
                    "f2": round(score.f2, 4),
                    "recall_goal": recall_goal(name),
                    "missed_ids": score.missed_ids,
                    "false_positive_ids": score.false_positive_ids,
                }
                for name, score in self.types.items()
            },
            "overall": {
                "recall": round(overall.recall, 4),
                "precision": round(overall.precision, 4),
                "f2": round(overall.f2, 4),
            },
            "touched_clean_ids": self.touched_clean_ids,
            "goal_failures": self.goal_failures(),
        }


def recall_goal(entity_type: str) -> float:
    return STRICT_RECALL_GOAL if entity_type in STRICT_TYPES else RECALL_GOAL


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Message]:
    messages = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            raw = json.loads(line)
            entities = tuple(
                Entity(int(e["start"]), int(e["end"]), str(e["type"])) for e in raw["entities"]
            )
            messages.append(Message(str(raw.get("id", f"line{number}")), raw["text"], entities))
    return messages


def is_covered(text: str, entity: Entity, regions: Sequence[tuple[int, int]]) -> bool:
    """Every letter and digit of the entity lies inside one of ``regions``."""
    return all(
        any(start <= position < end for start, end in regions)
        for position in range(entity.start, entity.end)
        if text[position].isalnum()
    )


def score(messages: Sequence[Message], detections: Sequence[Sequence[Any]]) -> Report:
    """Score ``detections`` (per message: objects with ``entity_type``, ``start``, ``end``)."""
    types: dict[str, TypeScore] = {name: TypeScore() for name in ENTITY_TYPES}
    clean = untouched = 0
    touched_clean: list[str] = []
    for message, found in zip(messages, detections, strict=True):
        regions = [(d.start, d.end) for d in found]
        for entity in message.entities:
            entry = types.setdefault(entity.type, TypeScore())
            entry.entities += 1
            if is_covered(message.text, entity, regions):
                entry.found += 1
                same_type = [(d.start, d.end) for d in found if d.entity_type == entity.type]
                entry.found_typed += is_covered(message.text, entity, same_type)
            else:
                entry.missed_ids.append(message.id)
        for detection in found:
            entry = types.setdefault(detection.entity_type, TypeScore())
            entry.regions += 1
            if any(e.start < detection.end and detection.start < e.end for e in message.entities):
                entry.regions_correct += 1
            else:
                entry.false_positive_ids.append(message.id)
        if not message.entities:
            clean += 1
            if found:
                touched_clean.append(message.id)
            else:
                untouched += 1
    return Report(len(messages), clean, untouched, 0.0, types, touched_clean)


def evaluate(corpus: Path = DEFAULT_CORPUS) -> Report:
    """Run the process's scrubber over the corpus (in one ``analyze_many`` batch) and score it."""
    from crm_backend.privacy import get_scrubber

    messages = load_corpus(corpus)
    scrubber = get_scrubber()
    scrubber.load()
    started = time.perf_counter()
    detections = scrubber.analyze_many(m.text for m in messages)
    seconds = time.perf_counter() - started
    report = score(messages, detections)
    report.seconds = seconds
    return report


def format_report(report: Report) -> str:
    lines = [
        f"{'type':<14} {'entities':>8} {'found':>6} {'recall':>7} {'goal':>5} {'typed':>6} "
        f"{'regions':>7} {'FP':>4} {'precision':>9} {'F2':>6}"
    ]
    rows = [*report.types.items(), ("overall", report.overall())]
    for name, s in rows:
        goal = f"{recall_goal(name):.2f}" if name != "overall" else ""
        lines.append(
            f"{name:<14} {s.entities:>8} {s.found:>6} {s.recall:>7.3f} {goal:>5} {s.typed:>6.3f} "
            f"{s.regions:>7} {s.regions - s.regions_correct:>4} {s.precision:>9.3f} {s.f2:>6.3f}"
        )
    lines.append(
        f"clean messages untouched: {report.clean_untouched}/{report.clean_messages} = "
        f"{report.clean_share:.3f} (goal {CLEAN_GOAL})"
    )
    lines.append(f"{report.messages} messages scrubbed in {report.seconds:.2f} s")
    missed = {n: s.missed_ids for n, s in report.types.items() if s.missed_ids}
    if missed:
        lines.append("missed: " + "; ".join(f"{n} {' '.join(ids)}" for n, ids in missed.items()))
    false_positive = {n: s.false_positive_ids for n, s in report.types.items() if s.regions}
    false_positive = {n: ids for n, ids in false_positive.items() if ids}
    if false_positive:
        lines.append(
            "false positives: "
            + "; ".join(f"{n} {' '.join(ids)}" for n, ids in false_positive.items())
        )
    if report.touched_clean_ids:
        lines.append("clean messages touched: " + " ".join(report.touched_clean_ids))
    failures = report.goal_failures()
    lines.append("goals: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_backend.privacy.evaluation",
        description="Per-type precision, recall and F2 of the scrubber on a labelled corpus.",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = evaluate(args.corpus)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(format_report(report))
    return 1 if report.goal_failures() else 0


if __name__ == "__main__":
    sys.exit(main())
