"""The copy of a customer's personal data made for a data access request (PDPO DPP6), and
the signed, expiring link that downloads it.

The export is built once, stored (JSON content plus a plain-text summary) and kept for
``EXPORT_LIFETIME``; the retention job deletes it after. A link is an HMAC-SHA256 over the
export's public id and the link's expiry (unix seconds) with the signing key, valid for
``LINK_LIFETIME``; a fresh link can be minted while the export exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.config import Settings
from crm_backend.errors import Gone, NotFound
from crm_backend.models import (
    AuditLogEntry,
    Complaint,
    Consent,
    Customer,
    DataExport,
    DataRequest,
    Feedback,
    MarketingPreference,
    Order,
    ProfileChange,
)
from crm_backend.models.enums import ActorType, MarketingChannel
from crm_backend.services.clock import format_local
from crm_backend.services.complaint_views import note_visible
from crm_backend.services.signed_links import sign, signature_ok

LINK_LIFETIME = timedelta(hours=24)
EXPORT_LIFETIME = timedelta(days=7)
DOWNLOAD_PATH = "/api/v1/data-exports"
EXPORT_FORMAT_VERSION = "1"


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


class ExportNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("download not found")


def build_export(
    *, session: Session, customer: Customer, request: DataRequest, now: datetime
) -> DataExport:
    """Collect the customer's data into a new export row (flushed, not committed)."""
    content = export_content(session=session, customer=customer, now=now)
    export = DataExport(
        public_id=secrets.token_urlsafe(24),
        request_id=request.id,
        customer_id=customer.id,
        content=content,
        summary=export_summary(content),
        created_at=now,
        expires_at=now + EXPORT_LIFETIME,
    )
    session.add(export)
    session.flush()
    return export


def download_link(settings: Settings, export: DataExport, *, now: datetime) -> DownloadLink:
    """A link valid for ``LINK_LIFETIME``, never past the export's own expiry."""
    expires_at = min(now + LINK_LIFETIME, export.expires_at)
    expires = int(expires_at.timestamp())
    signature = sign(settings, export.public_id, expires)
    # Absolute: the link travels by email/SMS and chat, away from the backend's origin.
    base = settings.public_url.rstrip("/")
    url = f"{base}{DOWNLOAD_PATH}/{export.public_id}?expires={expires}&signature={signature}"
    return DownloadLink(url=url, expires_at=datetime.fromtimestamp(expires, UTC))


def open_export(
    *,
    session: Session,
    settings: Settings,
    public_id: str,
    expires: int | None,
    signature: str | None,
    now: datetime,
) -> DataExport:
    """The export a signed link names. Bad or missing signature, or unknown export: 404
    (the same answer, so a link cannot be probed); past its time: 410. Audited."""
    if expires is None or not signature:
        raise ExportNotFound()
    if not signature_ok(settings, public_id, expires, signature):
        raise ExportNotFound()
    export = session.scalar(select(DataExport).where(DataExport.public_id == public_id))
    if export is None:
        raise ExportNotFound()
    if now.timestamp() > expires or now > export.expires_at:
        raise Gone("this download link has expired; ask for a new copy of your data")
    export.downloaded_at = now
    # The holder of a signed link is not identified; the link went only to the customer.
    session.add(
        AuditLogEntry(
            actor_type=ActorType.CUSTOMER,
            actor_id=None,
            action="export",
            record_type="data_export",
            record_id=export.public_id[:64],
            purpose="data_access_request_download",
            created_at=now,
        )
    )
    return export


def export_content(*, session: Session, customer: Customer, now: datetime) -> dict[str, Any]:
    """Everything held about the customer, as JSON-ready values."""
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": _iso(now),
        "profile": {
            "customer_no": customer.customer_no,
            "family_name": customer.family_name,
            "given_name": customer.given_name,
            "email": customer.email,
            "phone": customer.phone,
            "address_line": customer.address_line,
            "district": customer.district,
            "preferred_language": customer.preferred_language,
            "created_at": _iso(customer.created_at),
            "updated_at": _iso(customer.updated_at),
        },
        "consents": _consents(session, customer),
        "marketing_preferences": _marketing(session, customer),
        "orders": _orders(session, customer),
        "complaints": _complaints(session, customer),
        "feedback": _feedback(session, customer),
        "profile_changes": _profile_changes(session, customer),
        "data_requests": _data_requests(session, customer),
    }


def _consents(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Consent).where(Consent.customer_id == customer.id).order_by(Consent.id)
    )
    return [
        {
            "purpose": row.purpose,
            "statement_version": row.statement_version,
            "granted": row.granted,
            "channel": row.channel,
            "conversation_id": row.conversation_id,
            "created_at": _iso(row.created_at),
        }
        for row in rows
    ]


def _marketing(session: Session, customer: Customer) -> dict[str, Any]:
    rows = {
        row.channel: row
        for row in session.scalars(
            select(MarketingPreference).where(MarketingPreference.customer_id == customer.id)
        )
    }
    result: dict[str, Any] = {}
    for channel in MarketingChannel:
        row = rows.get(channel)
        result[channel.value] = {
            "opted_in": bool(row and row.opted_in),
            "updated_at": _iso(row.updated_at) if row else None,
        }
    return result


def _orders(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Order).where(Order.customer_id == customer.id).order_by(Order.ordered_at, Order.id)
    )
    return [
        {
            "order_no": order.order_no,
            "channel": order.channel.value,
            "store_name": order.store_name,
            "status": order.status.value,
            "ordered_at": _iso(order.ordered_at),
            "total_amount": _money(order.total_amount),
            "currency": order.currency,
            "lines": [
                {
                    "sku": line.product.sku,
                    "product": line.product.name,
                    "quantity": line.quantity,
                    "unit_price": _money(line.unit_price),
                }
                for line in order.lines
            ],
        }
        for order in rows
    ]


def _complaints(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Complaint).where(Complaint.customer_id == customer.id).order_by(Complaint.id)
    ).unique()
    return [
        {
            "reference": complaint.reference,
            "category": complaint.category.value,
            "description": complaint.description,
            "priority": complaint.priority.value,
            "status": complaint.status.value,
            "channel": complaint.channel,
            "order_no": complaint.order.order_no if complaint.order else None,
            "contact_method": complaint.contact_method.value if complaint.contact_method else None,
            "contact_value": complaint.contact_value,
            "created_at": _iso(complaint.created_at),
            "resolved_at": _iso(complaint.resolved_at),
            "closed_at": _iso(complaint.closed_at),
            "resolution": complaint.resolution,
            "csat_score": complaint.csat_score,
            "csat_comment": complaint.csat_comment,
            "recovery_offer": complaint.recovery_offer,
            # What the customer's own complaint view shows: their additions and the outcome,
            # never staff notes (they name colleagues); who acted is given as a role only.
            "events": [
                {
                    "event_type": event.event_type,
                    "from_status": event.from_status.value if event.from_status else None,
                    "to_status": event.to_status.value if event.to_status else None,
                    "note": event.note if note_visible(event.event_type, "customer") else None,
                    "by": event.actor_type.value,
                    "created_at": _iso(event.created_at),
                }
                for event in complaint.events
            ],
        }
        for complaint in rows
    ]


def _feedback(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Feedback).where(Feedback.customer_id == customer.id).order_by(Feedback.id)
    )
    return [
        {
            "kind": row.kind.value,
            "text": row.text,
            "rating": row.rating,
            "store_name": row.store_name,
            "channel": row.channel,
            "created_at": _iso(row.created_at),
        }
        for row in rows
    ]


def _profile_changes(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ProfileChange)
        .where(ProfileChange.customer_id == customer.id)
        .order_by(ProfileChange.id)
    )
    return [
        {
            "field": row.field,
            "old_value_masked": row.old_value_masked,
            "new_value_masked": row.new_value_masked,
            "by": row.actor_type.value,
            "channel": row.channel,
            "consent_id": row.consent_id,
            "created_at": _iso(row.created_at),
        }
        for row in rows
    ]


def _data_requests(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(DataRequest).where(DataRequest.customer_id == customer.id).order_by(DataRequest.id)
    )
    return [
        {
            "reference": row.reference,
            "kind": row.kind.value,
            "status": row.status.value,
            "created_at": _iso(row.created_at),
            "due_at": _iso(row.due_at),
        }
        for row in rows
    ]


def export_summary(content: dict[str, Any]) -> str:
    """The export as plain text a person can read."""
    profile = content["profile"]
    name = " ".join(p for p in (profile["given_name"], profile["family_name"]) if p) or "-"
    lines = [
        "COPY OF YOUR PERSONAL DATA",
        f"Customer number: {profile['customer_no']}",
        f"Prepared: {_local(content['generated_at'])} (Hong Kong time)",
        "",
        "PROFILE",
        f"  Name: {name}",
        f"  Email: {profile['email'] or '-'}",
        f"  Phone: {profile['phone'] or '-'}",
        f"  Address: {profile['address_line'] or '-'}",
        f"  District: {profile['district'] or '-'}",
        f"  Preferred language: {profile['preferred_language']}",
        f"  Customer since: {_local(profile['created_at'])}",
        "",
        "MARKETING PREFERENCES",
    ]
    for channel, choice in content["marketing_preferences"].items():
        lines.append(f"  {channel}: {'opted in' if choice['opted_in'] else 'not opted in'}")
    lines += ["", f"CONSENTS ({len(content['consents'])})"]
    for consent in content["consents"]:
        given = "given" if consent["granted"] else "withdrawn or refused"
        lines.append(
            f"  {_local(consent['created_at'])}: {consent['purpose']} {given} "
            f"(statement {consent['statement_version']}, via {consent['channel']})"
        )
    lines += ["", f"ORDERS ({len(content['orders'])})"]
    for order in content["orders"]:
        where = order["store_name"] or "online"
        lines.append(
            f"  {order['order_no']} {_local(order['ordered_at'])} {where}, {order['status']}, "
            f"{order['currency']} {order['total_amount']}"
        )
        for line in order["lines"]:
            lines.append(
                f"    {line['quantity']} x {line['product']} ({line['sku']}) at "
                f"{order['currency']} {line['unit_price']}"
            )
    lines += ["", f"COMPLAINTS ({len(content['complaints'])})"]
    for complaint in content["complaints"]:
        lines.append(
            f"  {complaint['reference']} ({complaint['category']}, {complaint['status']}), "
            f"filed {_local(complaint['created_at'])}"
        )
        lines.append(f"    Description: {complaint['description']}")
        if complaint["resolution"]:
            lines.append(f"    Resolution: {complaint['resolution']}")
        if complaint["csat_score"] is not None:
            comment = f" - {complaint['csat_comment']}" if complaint["csat_comment"] else ""
            lines.append(f"    Your rating: {complaint['csat_score']}/5{comment}")
        for event in complaint["events"]:
            note = f": {event['note']}" if event["note"] else ""
            lines.append(
                f"    {_local(event['created_at'])} {event['event_type']} (by {event['by']}){note}"
            )
    lines += ["", f"FEEDBACK ({len(content['feedback'])})"]
    for item in content["feedback"]:
        rating = f", rating {item['rating']}/5" if item["rating"] is not None else ""
        lines.append(f"  {_local(item['created_at'])} {item['kind']}{rating}: {item['text']}")
    lines += ["", f"PROFILE CHANGES ({len(content['profile_changes'])})"]
    for change in content["profile_changes"]:
        lines.append(
            f"  {_local(change['created_at'])} {change['field']}: "
            f"{change['old_value_masked'] or '-'} -> {change['new_value_masked'] or '-'} "
            f"(by {change['by']}, via {change['channel']})"
        )
    lines += ["", f"DATA REQUESTS ({len(content['data_requests'])})"]
    for request in content["data_requests"]:
        lines.append(
            f"  {request['reference']} {request['kind']}, {request['status']}, "
            f"made {_local(request['created_at'])}"
        )
    return "\n".join(lines) + "\n"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _local(iso: str | None) -> str:
    return format_local(datetime.fromisoformat(iso)) if iso else "-"
