"""ORM models, one table per module; importing this package registers them all."""

from crm_backend.models.audit_log_entry import AuditLogEntry
from crm_backend.models.callback_request import CallbackRequest
from crm_backend.models.complaint import Complaint
from crm_backend.models.complaint_event import ComplaintEvent
from crm_backend.models.consent import Consent
from crm_backend.models.customer import Customer
from crm_backend.models.data_request import DataExport, DataRequest
from crm_backend.models.feedback import Feedback
from crm_backend.models.marketing_preference import MarketingPreference
from crm_backend.models.order import Order
from crm_backend.models.order_line import OrderLine
from crm_backend.models.outbox_message import OutboxMessage
from crm_backend.models.product import Product
from crm_backend.models.profile_change import ProfileChange
from crm_backend.models.profile_change_request import ProfileChangeRequest
from crm_backend.models.report_snapshot import ReportSnapshot
from crm_backend.models.staff import Staff
from crm_backend.models.transcript_entry import TranscriptEntry
from crm_backend.models.verification_code import VerificationCode

__all__ = [
    "AuditLogEntry",
    "CallbackRequest",
    "Complaint",
    "ComplaintEvent",
    "Consent",
    "Customer",
    "DataExport",
    "DataRequest",
    "Feedback",
    "MarketingPreference",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Product",
    "ProfileChange",
    "ProfileChangeRequest",
    "ReportSnapshot",
    "Staff",
    "TranscriptEntry",
    "VerificationCode",
]
