"""Direct-marketing choices per channel (PDPO Part 6A): opt-in only with explicit consent
against the current statement, opt-out at once and without conditions. Each change is a
consent ledger row; the preference row holds the current choice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.db import utcnow
from crm_backend.errors import Conflict, InvalidInput, PermissionDenied
from crm_backend.models import Customer, MarketingPreference
from crm_backend.models.enums import MarketingChannel
from crm_backend.schemas.marketing import (
    ChannelPreference,
    MarketingChannels,
    MarketingPreferences,
)
from crm_backend.services.audit import record_access
from crm_backend.services.consents import marketing_purpose, record_consent
from crm_backend.services.contact_lookup import customers_with_contact, require_contact
from crm_backend.services.customers import customer_for, subject_customer
from crm_backend.services.profile_changes import STATEMENT_CHANGED, statement_read
from crm_backend.services.statements import current_statement
from crm_backend.services.tokens import Principal

# A withdrawal by contact: an email address stops email; a phone number stops SMS and calls.
CHANNELS_OF_CONTACT = {
    "email": (MarketingChannel.EMAIL,),
    "phone": (MarketingChannel.SMS, MarketingChannel.PHONE),
}


def _preferences_of(
    session: Session, customer: Customer
) -> dict[MarketingChannel, MarketingPreference]:
    rows = session.scalars(
        select(MarketingPreference).where(MarketingPreference.customer_id == customer.id)
    ).all()
    return {MarketingChannel(row.channel): row for row in rows}


def _view(session: Session, customer: Customer) -> MarketingPreferences:
    rows = _preferences_of(session, customer)

    def channel(which: MarketingChannel) -> ChannelPreference:
        row = rows.get(which)
        return ChannelPreference(
            opted_in=bool(row and row.opted_in), updated_at=row.updated_at if row else None
        )

    return MarketingPreferences(
        channels=MarketingChannels(
            email=channel(MarketingChannel.EMAIL),
            sms=channel(MarketingChannel.SMS),
            phone=channel(MarketingChannel.PHONE),
        ),
        statement=statement_read(current_statement("direct_marketing")),
    )


def read_preferences(
    *, session: Session, principal: Principal, customer_no: str
) -> MarketingPreferences:
    customer = customer_for(
        session=session, principal=principal, customer_no=customer_no, resource="consents"
    )
    record_access(
        session=session,
        principal=principal,
        action="read",
        record_type="marketing_preference",
        record_id=customer.customer_no,
        purpose="self_service" if principal.kind == "customer" else "consent_enquiry",
    )
    return _view(session, customer)


def set_preference(
    *,
    session: Session,
    principal: Principal,
    customer_no: str,
    marketing_channel: MarketingChannel,
    opted_in: bool,
    consent: bool | None,
    statement_version: str | None,
    channel: str,
    conversation_id: str | None,
    now: datetime | None = None,
) -> MarketingPreferences:
    """The customer's own choice for one channel. Setting the value already on record
    writes nothing."""
    now = now or utcnow()
    if principal.kind == "complaint":
        raise PermissionDenied("only the customer may change their marketing choices")
    # Staff are refused (403; "me" names no one for them: 404); only the customer decides.
    customer = subject_customer(session=session, principal=principal, customer_no=customer_no)
    statement = current_statement("direct_marketing")
    if opted_in:
        if consent is not True:
            raise InvalidInput(
                "consent", "opting in needs your explicit consent to the direct marketing statement"
            )
        if statement_version != statement.version:
            raise Conflict(STATEMENT_CHANGED)
    row = session.scalar(
        select(MarketingPreference)
        .where(
            MarketingPreference.customer_id == customer.id,
            MarketingPreference.channel == marketing_channel,
        )
        .with_for_update()
    )
    # An opt-out with no choice on record is still recorded: the objection must stand even
    # if a default or an import would later say otherwise.
    if row is None or row.opted_in != opted_in:
        _record_choice(
            session,
            principal,
            customer,
            row,
            marketing_channel,
            opted_in=opted_in,
            channel=channel,
            conversation_id=conversation_id,
            now=now,
        )
    return _view(session, customer)


def _record_choice(
    session: Session,
    principal: Principal | None,
    customer: Customer,
    row: MarketingPreference | None,
    marketing_channel: MarketingChannel,
    *,
    opted_in: bool,
    channel: str,
    conversation_id: str | None,
    now: datetime,
) -> None:
    given = record_consent(
        session=session,
        customer=customer,
        purpose=marketing_purpose(marketing_channel.value),
        statement_version=current_statement("direct_marketing").version,
        granted=opted_in,
        channel=channel,
        conversation_id=conversation_id,
        now=now,
    )
    if row is None:
        row = MarketingPreference(customer_id=customer.id, channel=marketing_channel)
        session.add(row)
    row.opted_in = opted_in
    row.consent_id = given.id
    row.updated_at = now
    record_access(
        session=session,
        principal=principal,
        action="update",
        record_type="marketing_preference",
        record_id=customer.customer_no,
        purpose="direct_marketing_opt_in" if opted_in else "direct_marketing_opt_out",
    )
    session.flush()


def opt_out_contact(
    *,
    session: Session,
    principal: Principal | None,
    contact_value: str,
    channel: str,
    conversation_id: str | None,
    now: datetime | None = None,
) -> list[str]:
    """Opts every customer with this contact on file out of marketing by it. The answer
    (the channels a contact of this kind covers) is the same whether anyone matched."""
    now = now or utcnow()
    if principal is not None and principal.kind != "customer":
        raise PermissionDenied("only customers (or the bot for a guest) may do this")
    contact = require_contact(contact_value)
    channels = CHANNELS_OF_CONTACT[contact.kind]
    for customer in customers_with_contact(session, contact):
        rows = _preferences_of(session, customer)
        for marketing_channel in channels:
            row = rows.get(marketing_channel)
            if row is not None and not row.opted_in:
                continue  # already out, with its withdrawal on record
            _record_choice(
                session,
                principal,
                customer,
                row,
                marketing_channel,
                opted_in=False,
                channel=channel,
                conversation_id=conversation_id,
                now=now,
            )
    return [c.value for c in channels]
