"""Presidio's email recognizer, validating domains against tldextract's bundled suffix list.

Presidio's ``EmailRecognizer.validate_result`` calls the module-level ``tldextract.extract``,
whose extractor fetches the Public Suffix List over HTTP (and writes a cache under the home
directory) on first use. This subclass uses an extractor with no URLs and no cache, so it reads
only the snapshot shipped inside the tldextract package: no network, no files written.
"""

from __future__ import annotations

import threading

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

PATTERNS = EmailRecognizer.PATTERNS
CONTEXT = EmailRecognizer.CONTEXT

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

    def validate_result(self, pattern_text: str) -> bool:
        return offline_extractor()(pattern_text).fqdn != ""
