"""The report catalogue: every report staff can ask for, its parameters and defaults.

Which department may run which report, and whether it sees personal fields in full or
masked, is data: the ``reports`` section of ``data/permissions.json``.
"""

from __future__ import annotations

from crm_backend.reports.base import ReportSpec, TopRange
from crm_backend.reports.complaint_reports import (
    COMPLAINT_DIMENSIONS,
    CSAT_DIMENSIONS,
    complaint_sla,
    complaints_summary,
    csat,
)
from crm_backend.reports.customer_reports import (
    SEGMENTS,
    churn_risk,
    customer_value,
    rfm_segments,
)
from crm_backend.reports.forecast_report import forecast_backtest
from crm_backend.reports.governance_reports import (
    AUDIT_DIMENSIONS,
    audit_access,
    consent_summary,
    data_quality,
)
from crm_backend.reports.sales_reports import SALES_DIMENSIONS, sales_summary, top_customers

REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            name="complaints_summary",
            title="Complaints summary",
            description="Complaints opened in a period, by category, status, priority or channel.",
            compute=complaints_summary,
            dimensions=COMPLAINT_DIMENSIONS,
            default_period="this month",
        ),
        ReportSpec(
            name="complaint_sla",
            title="Complaint SLA",
            description="First-response and resolution breach rates and median times.",
            compute=complaint_sla,
            dimensions=("priority", "category"),
            default_period="this month",
        ),
        ReportSpec(
            name="csat",
            title="Customer satisfaction",
            description="CSAT from complaint follow-ups and rated feedback.",
            compute=csat,
            dimensions=CSAT_DIMENSIONS,
            default_period="this quarter",
        ),
        ReportSpec(
            name="sales_summary",
            title="Sales summary",
            description="Sales in a period: total, by channel, store or month, with growth.",
            compute=sales_summary,
            dimensions=SALES_DIMENSIONS,
            default_period="this month",
            snapshot_presets=(
                {"period": "last month", "dimension": "channel"},
                {"period": "last month", "dimension": "store"},
                {"period": "last month", "dimension": "total"},
                {"period": "last quarter", "dimension": "channel"},
                {"period": "last year", "dimension": "channel"},
                {"period": "last year", "dimension": "total"},
                {"period": "this year", "dimension": "month"},
                {"period": "last year", "dimension": "month"},
            ),
        ),
        ReportSpec(
            name="top_customers",
            title="Top customers",
            description="The customers who spent most in a period.",
            compute=top_customers,
            default_period="this year",
            top=TopRange(default=10, maximum=100),
            snapshot_presets=({"period": "last year"}, {"period": "last month"}),
        ),
        ReportSpec(
            name="rfm_segments",
            title="RFM segments",
            description="Customers by recency, frequency and spend, in named segments.",
            compute=rfm_segments,
            segments=SEGMENTS,
            default_source="snapshot",
            snapshot_presets=({},),
        ),
        ReportSpec(
            name="churn_risk",
            title="Churn risk",
            description="Repeat customers likely lapsed (BG/NBD probability still active).",
            compute=churn_risk,
            top=TopRange(default=20, maximum=1000),
            default_source="snapshot",
            snapshot_presets=({},),
        ),
        ReportSpec(
            name="customer_value",
            title="Customer value",
            description="Expected purchases and spend next quarter (BG/NBD + Gamma-Gamma).",
            compute=customer_value,
            top=TopRange(default=20, maximum=1000),
            default_source="snapshot",
            snapshot_presets=({},),
        ),
        ReportSpec(
            name="forecast_backtest",
            title="Forecast backtest",
            description="Purchases predicted for a past period against what really happened.",
            compute=forecast_backtest,
            default_period="last quarter",
            default_source="snapshot",
            snapshot_presets=({"period": "last quarter"}, {"period": "last month"}),
        ),
        ReportSpec(
            name="data_quality",
            title="Data quality",
            description="Customer profiles with missing, malformed or stale details.",
            compute=data_quality,
            default_source="snapshot",
            snapshot_presets=({},),
        ),
        ReportSpec(
            name="consent_summary",
            title="Consent summary",
            description="Marketing opt-ins per channel now, and consents given or withdrawn.",
            compute=consent_summary,
            default_period="this month",
        ),
        ReportSpec(
            name="audit_access",
            title="Personal data access log",
            description="Who read or changed personal data, by action, record, actor or purpose.",
            compute=audit_access,
            dimensions=AUDIT_DIMENSIONS,
            default_period="this month",
        ),
    )
}
