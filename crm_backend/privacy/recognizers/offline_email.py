"""Presidio's email recognizer, validating domains against tldextract's bundled suffix list.

Presidio's ``EmailRecognizer.validate_result`` calls the module-level ``tldextract.extract``,
whose extractor fetches the Public Suffix List over HTTP (and writes a cache under the home
directory) on first use. This subclass uses an extractor with no URLs and no cache, so it reads
only the snapshot shipped inside the tldextract package: no network, no files written.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

import tldextract
from presidio_analyzer import RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer

PATTERNS = EmailRecognizer.PATTERNS
CONTEXT = EmailRecognizer.CONTEXT

MAX_LENGTH = 254  # the longest e-mail address (RFC 5321 path limit)
_AT = re.compile("@")
_WHITESPACE = re.compile(r"\s")

_extractor: tldextract.TLDExtract | None = None
_extractor_lock = threading.Lock()


def offline_extractor() -> tldextract.TLDExtract:
    """One snapshot-only extractor per process."""
    global _extractor
    with _extractor_lock:
        if _extractor is None:
            _extractor = tldextract.TLDExtract(
                cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
            )
        return _extractor


class OfflineEmailRecognizer(EmailRecognizer):
    """Email addresses whose domain ends in a public suffix, reported as ``EMAIL_ADDRESS``."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> list[RecognizerResult]:
        # Presidio's e-mail pattern is slow to fail, so it only reads the word around each "@"
        # (at most MAX_LENGTH characters either side).
        results: list[RecognizerResult] = []
        covered = 0
        for at in _AT.finditer(text):
            if at.start() < covered:
                continue
            low = max(0, at.start() - MAX_LENGTH)
            spaces = [match.end() for match in _WHITESPACE.finditer(text, low, at.start())]
            start = spaces[-1] if spaces else low
            after = _WHITESPACE.search(text, at.end(), at.end() + MAX_LENGTH)
            covered = after.start() if after else min(len(text), at.end() + MAX_LENGTH)
            for result in super().analyze(text[start:covered], entities, None, regex_flags):
                result.start += start
                result.end += start
                results.append(result)
        return results

    def validate_result(self, pattern_text: str) -> bool:
        return _has_public_suffix(pattern_text.rpartition("@")[2].lower())


@functools.lru_cache(maxsize=4096)
def _has_public_suffix(domain: str) -> bool:
    return offline_extractor()(domain).fqdn != ""
