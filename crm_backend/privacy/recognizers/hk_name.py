"""Hong Kong people's names the small spaCy model misses: "Ng Pui Shan", "Cheung Ivy", "Ivy Cheung".

spaCy's small English model misses roughly one Cantonese name in ten (measured on the demo
customers), so names are also found by pattern, case-sensitively:

- a common Hong Kong surname followed by one to three capitalised words ("Chan Tai Man");
- a capitalised word followed by such a surname ("Kelvin Lee");
- capitalised words right after a cue ("Mr Chan", "my name is Yoyo", "spoke to Mandy").

Place names built from surnames (Wan Chai, Kwun Tong) are left to the scrubber's allow-list.
"""

from __future__ import annotations

from typing import Any

import regex as re
from presidio_analyzer import Pattern, RecognizerResult

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer
from crm_backend.privacy.recognizers.common_words import COMMON_CAPITALISED_WORDS
from crm_backend.privacy.recognizers.places import DISTRICTS, names_pattern

SURNAMES = (
    "Au", "Chan", "Chang", "Cheng", "Cheuk", "Cheung", "Chiu", "Choi", "Chong", "Chow", "Chu",
    "Chui", "Chung", "Fok", "Fong", "Fu", "Fung", "Ha", "Hau", "Ho", "Hon", "Hsu", "Hui", "Hung",
    "Ip", "Kam", "Kan", "Keung", "Ko", "Kong", "Kwan", "Kwok", "Kwong", "Lai", "Lam", "Lau",
    "Law", "Lee", "Leung", "Li", "Liu", "Lo", "Lui", "Lum", "Luk", "Lung", "Ma", "Mak", "Man",
    "Mok", "Ng", "Ngai", "Pang", "Poon", "Sham", "Shek", "Shum", "Sin", "Siu", "So", "Sze", "Tai",
    "Tam", "Tang", "Tin", "To", "Tong", "Tsang", "Tse", "Tsoi", "Tsui", "Tung", "Wai", "Wan",
    "Wong", "Woo", "Wu", "Yau", "Yeung", "Yim", "Yip", "Yiu", "Yu", "Yuen", "Yung",
)  # fmt: skip
# Surnames that are also everyday English words cannot close a "Given Surname" pair.
_ENGLISH_WORD_SURNAMES = frozenset(
    {"Au", "Ha", "Ho", "Lo", "Ma", "Man", "So", "To", "Law", "Sin", "Wan"}
)

# Capitalised words that are not given names: places, shop words, CRM words, months, openers.
_NOT_A_NAME = (
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Path|Terrace|Drive|Building|Bldg|Mansion|Court"
    r"|Gardens?|Estate|Centre|Center|Tower|Plaza|House|Villa|Heights|Shop|Store|Branch|Mall"
    r"|Station|Market|Order|Complaint|Customer|Ref|Flat|Block|Floor|Room|Unit|Jan|January"
    r"|Feb|February|Mar|March|Apr|April|May|Jun|June|Jul|July|Aug|August|Sep|Sept|September"
    r"|Oct|October|Nov|November|Dec|December|Monday|Tuesday|Wednesday|Thursday|Friday"
    r"|Saturday|Sunday|Mr|Mrs|Ms|Miss|Madam|Mdm|Dr|"
    + "|".join(word.capitalize() for word in sorted(COMMON_CAPITALISED_WORDS) if word.isalpha())
    + r")\b"
)
_WORD = rf"(?!{_NOT_A_NAME})[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?\b"
# "Tung Chau Street", "Lee Garden": a name-like run before a street or building word is a place.
_NOT_BEFORE_PLACE_WORD = (
    r"(?!\s+(?:Road|Rd|Street|St|Avenue|Ave|Lane|Path|Terrace|Drive|Building|Bldg|Mansion"
    r"|Court|Gardens?|Estate|Centre|Center|Tower|Plaza|House|Villa|Heights|Station|Market)\b)"
)
# Forms and staff notes write the surname in capitals: "CHAN Tai Man".
_SURNAME = r"(?:" + "|".join(SURNAMES) + "|" + "|".join(s.upper() for s in SURNAMES) + r")\b"
_PAIR_SURNAME = r"(?:" + "|".join(s for s in SURNAMES if s not in _ENGLISH_WORD_SURNAMES) + r")\b"
_CUE = (
    r"(?i:\b(?:mr|mrs|ms|miss|madam|mdm|dr|my\s+name\s+is|name(?:\s+is)?|this\s+is|i\s+am|i'm"
    r"|call\s+me|ask(?:ed)?(?:\s+for)?|contact(?:\s+person)?\s*:|speak\s+to|spoke\s+to|talk\s+to|talked\s+to|served\s+by"
    r"|signed\s+by|handled\s+by|approved\s+by|handed\s+(?:over\s+)?to|per|staff|colleague"
    r"|salesperson|salesman|saleslady|technician|supervisor|manager|agent|courier|driver"
    r"|account\s+holder|attn|cc))\.?:?\s+"
)

# "Chan Tai Man, Kelvin": an English given name after the Chinese name, as forms write it.
_COMMA_GIVEN = rf"(?:,\s*(?!{names_pattern(DISTRICTS)}\b){_WORD}(?![\s-]*[A-Z]))?"

PATTERNS = [
    Pattern(
        "HK name (surname first)",
        rf"(?=[A-Z])(?<![\w-])(?:{_WORD}\s+)?{_SURNAME}(?:\s+{_WORD}){{1,3}}{_NOT_BEFORE_PLACE_WORD}"
        rf"{_COMMA_GIVEN}",
        0.6,
    ),
    Pattern(
        "HK name (given name first)",
        rf"(?=[A-Z])(?<![\w-]){_WORD}(?:\s+{_WORD}){{0,2}}\s+{_PAIR_SURNAME}{_NOT_BEFORE_PLACE_WORD}",
        0.6,
    ),
    Pattern("Name after a cue", rf"(?=[A-Z])(?<={_CUE}){_WORD}(?:\s+{_WORD}){{0,3}}", 0.5),
    # A signature closing a message: "... about CMP-000123 - Yoyo Ho".
    Pattern(
        "Name signing off",
        rf"(?=[A-Z])(?<=\s(?:-{{1,2}}|\u2013|\u2014)\s?){_WORD}(?:[\s-]+{_WORD}){{0,3}}(?=[\s.!]*$)",
        0.5,
    ),
]

CONTEXT = ["name", "mr", "mrs", "ms", "miss", "call", "staff", "salesperson", "manager"]


class HkNameRecognizer(ModulePatternRecognizer):
    """Hong Kong personal names by pattern, reported as ``PERSON``."""

    ENTITY = "PERSON"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT
    REGEX_FLAGS = re.MULTILINE  # case matters: names are capitalised

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: Any = None
    ) -> list[RecognizerResult]:
        # The scrubber marks text with no capitalised word outside its allow-list.
        if getattr(nlp_artifacts, "no_name_candidates", False):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)
