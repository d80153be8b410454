from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

ORDER_NO_PATTERN = r"^ORD-[0-9]{8}$"
COMPLAINT_REF_PATTERN = r"^CMP-[0-9]{6,9}$"
CUSTOMER_NO_PATTERN = r"^C[0-9]{6,9}$"


def _strip_upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# Normalised before the pattern check, so "ord-00012345 " is accepted as ORD-00012345.
OrderNo = Annotated[str, BeforeValidator(_strip_upper), StringConstraints(pattern=ORDER_NO_PATTERN)]
ConversationId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
]
