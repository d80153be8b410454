from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

ORDER_NO_PATTERN = r"^ORD-[0-9]{8}$"
COMPLAINT_REF_PATTERN = r"^CMP-[0-9]{6,9}$"
CUSTOMER_NO_PATTERN = r"^C[0-9]{6,9}$"
# A customer number, or "me" for the customer a customer token names.
CUSTOMER_PATH_PATTERN = r"^(me|C[0-9]{6,9})$"


def _strip_upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# Normalised before the pattern check, so "ord-00012345 " is accepted as ORD-00012345.
OrderNo = Annotated[str, BeforeValidator(_strip_upper), StringConstraints(pattern=ORDER_NO_PATTERN)]
# Likewise "cmp-000123 " is accepted as CMP-000123.
ComplaintRef = Annotated[
    str, BeforeValidator(_strip_upper), StringConstraints(pattern=COMPLAINT_REF_PATTERN)
]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


# Free text: newlines and tabs allowed, other control characters (NUL ...) refused.
PlainText = Annotated[str, AfterValidator(_no_control_characters)]


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# Free text stripped before any length check (so "   " is empty, not 3 long); give the
# bounds with ``Annotated[StrippedText, StringConstraints(min_length=..., max_length=...)]``.
StrippedText = Annotated[str, BeforeValidator(_strip), AfterValidator(_no_control_characters)]


# An email address or phone number as typed; services normalise and validate it.
ContactValue = Annotated[StrippedText, StringConstraints(max_length=254)]
ConversationId = Annotated[StrippedText, StringConstraints(min_length=1, max_length=128)]
