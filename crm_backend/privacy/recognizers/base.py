"""The shape our pattern recognizers share: patterns, context words and entity are the
module's constants, overridable by constructor arguments as in Presidio's own recognizers."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer


class ModulePatternRecognizer(PatternRecognizer):
    ENTITY: ClassVar[str]
    DEFAULT_PATTERNS: ClassVar[list[Pattern]]
    DEFAULT_CONTEXT: ClassVar[list[str]]
    REGEX_FLAGS: ClassVar[int] = re.DOTALL | re.MULTILINE | re.IGNORECASE  # Presidio's default

    def __init__(
        self,
        patterns: list[Pattern] | None = None,
        context: list[str] | None = None,
        supported_language: str = "en",
        supported_entity: str | None = None,
    ) -> None:
        super().__init__(
            supported_entity=supported_entity or self.ENTITY,
            patterns=patterns or self.DEFAULT_PATTERNS,
            context=context or self.DEFAULT_CONTEXT,
            supported_language=supported_language,
            global_regex_flags=self.REGEX_FLAGS,
        )
