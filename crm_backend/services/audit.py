"""Audit log of every read or change of personal data."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm_backend.models import AuditLogEntry
from crm_backend.models.enums import ActorType
from crm_backend.services.tokens import Principal


def actor_of(principal: Principal | None) -> tuple[ActorType, str | None]:
    if principal is None:
        return ActorType.BOT, None
    kind = ActorType.STAFF if principal.kind == "staff" else ActorType.CUSTOMER
    return kind, principal.actor_id


def record_access(
    *,
    session: Session,
    principal: Principal | None,
    action: str,
    record_type: str,
    record_id: str,
    purpose: str,
) -> None:
    actor_type, actor_id = actor_of(principal)
    session.add(
        AuditLogEntry(
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            record_type=record_type,
            record_id=record_id,
            purpose=purpose,
        )
    )


def record_system_access(
    *, session: Session, action: str, record_type: str, record_id: str, purpose: str
) -> None:
    """An access by a scheduled job (retention, follow-ups), not by a person or the bot."""
    session.add(
        AuditLogEntry(
            actor_type=ActorType.SYSTEM,
            actor_id=None,
            action=action,
            record_type=record_type,
            record_id=record_id,
            purpose=purpose,
        )
    )
