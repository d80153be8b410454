"""Hong Kong street addresses written in Chinese: "九龍旺角彌敦道23號5樓A室".

A run of Chinese characters ending in a street word (道, 街, 路, 里, 徑, 坊, 公路) with a
building number (23號), optionally followed by the building, floor (5樓) and flat (A室, 3座).
The region and district are whatever characters precede the street name on the same run.
"""

from __future__ import annotations

from presidio_analyzer import Pattern

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer

_HAN = r"[\u4e00-\u9fff]"
_NUMBER = r"[0-9]{1,4}(?:\s?[-至]\s?[0-9]{1,4})?"
_STREET = rf"{_HAN}{{1,14}}?(?:公路|道|街|路|里|徑|坊)\s?{_NUMBER}\s?[號号]"
_REST = (
    rf"(?:\s?(?:{_HAN}{{1,10}}?(?=\s?[0-9A-Z地]))?"
    r"(?:[0-9]{1,3}\s?樓|地下|[A-Z0-9]{1,4}\s?室|[A-Z0-9]{1,3}\s?座|第?[0-9]{1,2}\s?期))*"
)

PATTERNS = [Pattern("Chinese street address", rf"{_STREET}{_REST}", 0.6)]

CONTEXT = ["地址", "送貨", "住"]


class ZhAddressRecognizer(ModulePatternRecognizer):
    """Chinese-script Hong Kong addresses, reported as ``ADDRESS``."""

    ENTITY = "ADDRESS"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT
