from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

ORDER_NO_PATTERN = r"^ORD-[0-9]{8}$"
COMPLAINT_REF_PATTERN = r"^CMP-[0-9]{6,9}$"
CUSTOMER_NO_PATTERN = r"^C[0-9]{6,9}$"

OrderNo = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=ORDER_NO_PATTERN)
]
ConversationId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)
]
