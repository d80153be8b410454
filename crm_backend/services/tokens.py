"""Signed, short-lived bearer tokens (HS256 JWT) for staff and customers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import jwt

from crm_backend.config import Settings
from crm_backend.db import utcnow
from crm_backend.errors import NotAuthenticated
from crm_backend.models.enums import Department, StaffRole

# complaint: may act on one complaint as its complainant (a guest who proved they can read
# the contact on it, or the holder of its satisfaction follow-up).
PrincipalKind = Literal["customer", "staff", "complaint"]
_ALGORITHM = "HS256"
_AUDIENCE = "crm-api"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a customer (``subject`` = customer number), a staff member
    (``subject`` = username, with department and role) or the holder of a complaint token
    (``subject`` = complaint reference)."""

    kind: PrincipalKind
    subject: str
    department: Department | None = None
    role: StaffRole | None = None

    @property
    def actor_id(self) -> str:
        return self.subject


def issue_token(
    settings: Settings, principal: Principal, *, minutes: int | None = None
) -> tuple[str, int]:
    """A signed token and its lifetime in seconds; ``minutes`` overrides the setting."""
    if minutes is None:
        minutes = (
            settings.staff_token_minutes
            if principal.kind == "staff"
            else settings.customer_token_minutes
        )
    now = utcnow()
    claims: dict[str, object] = {
        "iss": settings.token_issuer,
        "aud": _AUDIENCE,
        "sub": principal.subject,
        "kind": principal.kind,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
    }
    if principal.kind == "staff":
        claims["dept"] = str(principal.department)
        claims["role"] = str(principal.role)
    return jwt.encode(claims, settings.signing_key, algorithm=_ALGORITHM), minutes * 60


def decode_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            issuer=settings.token_issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("token expired") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("invalid token") from exc
    kind = claims.get("kind")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise NotAuthenticated("invalid token")
    if kind == "customer":
        return Principal(kind="customer", subject=subject)
    if kind == "complaint":
        return Principal(kind="complaint", subject=subject)
    if kind == "staff":
        try:
            return Principal(
                kind="staff",
                subject=subject,
                department=Department(str(claims.get("dept"))),
                role=StaffRole(str(claims.get("role"))),
            )
        except ValueError as exc:
            raise NotAuthenticated("invalid token") from exc
    raise NotAuthenticated("invalid token")
