"""A customer's answer to a consent question, read strictly: only a clear yes is consent.

One reader for every consent the bot asks for (profile changes, direct marketing), so the
same words never mean consent in one flow and not in another. A question ("可以之後取消嗎?"),
a hedge ("sure, but not SMS") or anything else is neither: the bot asks again.
"""

from __future__ import annotations

import re

_YES = re.compile(
    r"(?:/affirm|yes|yeah|yep|yup|y|ok|okay|sure|fine|agree|agreed|i agree|yes,? i agree|"
    r"yes please|i do|i consent|consent|i accept|accept|go ahead|"
    r"好|好呀|好的|係|同意|我同意|可以)",
    re.IGNORECASE,
)
_NO = re.compile(
    r"(?:/deny|no|nope|nah|n|no thanks?|no thank you|i don'?t agree|don'?t agree|disagree|"
    r"i disagree|decline|i decline|i do not agree|"
    r"唔好|唔同意|不同意|唔要|不要|不)",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s.!\u3002\uff01]+$")  # also full-width stops


def consent_answer(text: str | None) -> bool | None:
    """True for a clear yes, False for a clear no, None for anything else."""
    answer = _TRAILING.sub("", (text or "").strip())
    if _YES.fullmatch(answer):
        return True
    if _NO.fullmatch(answer):
        return False
    return None
