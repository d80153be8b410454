"""Benchmark: our scrubber against stock Presidio on the labelled privacy corpus, in one run.

    .venv/bin/python bench/scrubber.py [--corpus tests/privacy_corpus/messages.jsonl]
        [--passes 5] [--json]

Stock Presidio is the default ``AnalyzerEngine`` (every predefined recognizer, the full spaCy
pipeline, one ``analyze`` call per message) and ``AnonymizerEngine``, with the same spaCy
model as ours, built through ``NlpEngineProvider`` with that model's name (installed, so
nothing is downloaded). Its e-mail recognizer calls ``tldextract.extract``, which would fetch
the Public Suffix List: for this run it is pointed at tldextract's bundled snapshot
(``TLDExtract(suffix_list_urls=())``), as our scrubber's own recognizer does.

Each pass scrubs every message of the corpus (text in, text out: analyse and anonymise); the
figure is the median of ``--passes`` passes after one warm-up pass, by wall clock and by this
process's CPU time (on a shared machine the CPU figure is the steadier; both are printed).
Recall uses the same definition as ``python -m crm_backend.privacy.evaluation`` (an entity is
found when the replaced regions cover its letters and digits); stock Presidio is scored on the
regions its anonymizer replaced. Prints figures only, never corpus text.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm_backend.privacy import evaluation
from crm_backend.privacy.scrubber import (
    LANGUAGE,
    Detection,
    get_scrubber,
    merge,
    resolve_model_name,
)


def stock_presidio(model_name: str) -> tuple[Any, Any]:
    """Presidio's default analyzer and anonymizer on ``model_name``, offline."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    tldextract.extract = tldextract.TLDExtract(  # type: ignore[assignment]
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
    )
    configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": model_name}],
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=[LANGUAGE])
    return analyzer, AnonymizerEngine()


def stock_scrub_many(analyzer: Any, anonymizer: Any, texts: Sequence[str]) -> list[Any]:
    """Scrub as a stock Presidio user would: analyse, then anonymise, one text at a time."""
    return [anonymizer.anonymize(text, analyzer.analyze(text, language=LANGUAGE)) for text in texts]


def stock_regions(analyzer: Any, texts: Sequence[str]) -> list[list[Detection]]:
    """The regions stock Presidio replaces (its results merged as its anonymizer would)."""
    return [merge(analyzer.analyze(text, language=LANGUAGE)) for text in texts]


def timed(run: Callable[[], object], passes: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (this process) of each pass, after one warm-up pass."""
    run()
    wall, cpu = [], []
    for _ in range(passes):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=evaluation.DEFAULT_CORPUS)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    messages = evaluation.load_corpus(args.corpus)
    texts = [m.text for m in messages]
    model_name = resolve_model_name()

    ours = get_scrubber()
    started = time.perf_counter()
    ours.load()
    ours_load = time.perf_counter() - started
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stock recognizers' own deprecation chatter
        analyzer, anonymizer = stock_presidio(model_name)
    stock_load = time.perf_counter() - started

    ours_seconds, ours_cpu = timed(lambda: ours.scrub_many(texts), args.passes)
    stock_seconds, stock_cpu = timed(
        lambda: stock_scrub_many(analyzer, anonymizer, texts), args.passes
    )
    ours_report = evaluation.score(messages, ours.analyze_many(texts))
    stock_report = evaluation.score(messages, stock_regions(analyzer, texts))

    ours_rate = len(texts) / statistics.median(ours_seconds)
    stock_rate = len(texts) / statistics.median(stock_seconds)
    ours_cpu_rate = len(texts) / statistics.median(ours_cpu)
    stock_cpu_rate = len(texts) / statistics.median(stock_cpu)
    figures: dict[str, Any] = {
        "corpus": str(args.corpus),
        "messages": len(texts),
        "passes": args.passes,
        "spacy_model": model_name,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'unknown cpu'}",
        "ours": {
            "load_s": round(ours_load, 2),
            "pass_s": [round(s, 3) for s in ours_seconds],
            "messages_per_s": round(ours_rate, 1),
            "messages_per_cpu_s": round(ours_cpu_rate, 1),
            "recall": round(ours_report.overall().recall, 4),
            "precision": round(ours_report.overall().precision, 4),
            "clean_untouched": round(ours_report.clean_share, 4),
            "recall_by_type": {n: round(s.recall, 3) for n, s in ours_report.types.items()},
        },
        "stock": {
            "load_s": round(stock_load, 2),
            "pass_s": [round(s, 3) for s in stock_seconds],
            "messages_per_s": round(stock_rate, 1),
            "messages_per_cpu_s": round(stock_cpu_rate, 1),
            "recall": round(stock_report.overall().recall, 4),
            "precision": round(stock_report.overall().precision, 4),
            "clean_untouched": round(stock_report.clean_share, 4),
            "recall_by_type": {n: round(s.recall, 3) for n, s in stock_report.types.items()},
        },
        "speedup": round(ours_rate / stock_rate, 2),
        "speedup_cpu": round(ours_cpu_rate / stock_cpu_rate, 2),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"corpus {args.corpus} ({len(texts)} messages), spaCy model {model_name}, "
        f"median of {args.passes} passes after a warm-up"
    )
    print(
        f"{'':<16} {'msg/s':>8} {'msg/cpu-s':>9} {'recall':>7} {'precision':>9} "
        f"{'clean kept':>10} {'load s':>7}"
    )
    for name in ("ours", "stock"):
        f = figures[name]
        print(
            f"{name + (' scrubber' if name == 'ours' else ' Presidio'):<16} "
            f"{f['messages_per_s']:>8.1f} {f['messages_per_cpu_s']:>9.1f} {f['recall']:>7.3f} "
            f"{f['precision']:>9.3f} "
            f"{f['clean_untouched']:>10.3f} {f['load_s']:>7.2f}"
        )
    print(
        f"speed-up: {figures['speedup']:.2f}x wall clock, {figures['speedup_cpu']:.2f}x CPU time "
        "(goal >= 5x, at least 3x)"
    )
    print("recall by type:")
    ours_types, stock_types = figures["ours"], figures["stock"]
    for name in evaluation.ENTITY_TYPES:
        print(
            f"  {name:<14} ours {ours_types['recall_by_type'][name]:.3f}  "
            f"stock {stock_types['recall_by_type'][name]:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
