"""The department permission matrix (versioned data in ``data/permissions.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal, cast

from crm_backend.errors import PermissionDenied
from crm_backend.models.enums import Department
from crm_backend.paths import DATA_DIR
from crm_backend.services.tokens import Principal

Resource = Literal[
    "complaints",
    "complaint_work",
    "consents",
    "customers",
    "data_requests",
    "orders",
    "profile_edit",
    "transcripts",
]
ViewLevel = Literal["full", "masked", "redacted", "none"]
_LEVELS = {"full", "masked", "redacted", "none"}


@lru_cache
def permission_matrix() -> dict[str, dict[str, ViewLevel]]:
    raw = json.loads((DATA_DIR / "permissions.json").read_text(encoding="utf-8"))
    matrix: dict[str, dict[str, ViewLevel]] = raw["departments"]
    for department in Department:
        levels = matrix[department.value]
        if not set(levels.values()) <= _LEVELS:
            raise ValueError(f"unknown view level for {department.value} in permissions.json")
    return matrix


def staff_view_level(principal: Principal, resource: Resource) -> ViewLevel:
    """How much of ``resource`` a staff principal may see; raises when nothing."""
    if principal.kind != "staff" or principal.department is None:
        raise PermissionDenied("staff only")
    level = cast(ViewLevel, permission_matrix()[principal.department.value].get(resource, "none"))
    if level == "none":
        raise PermissionDenied(
            f"the {principal.department.value} department may not view {resource}"
        )
    return level


ReportLevel = Literal["full", "masked"]


@lru_cache
def report_permissions() -> dict[str, dict[str, ReportLevel]]:
    raw = json.loads((DATA_DIR / "permissions.json").read_text(encoding="utf-8"))
    matrix: dict[str, dict[str, ReportLevel]] = raw["reports"]
    for department in Department:
        if not set(matrix[department.value].values()) <= {"full", "masked"}:
            raise ValueError(f"unknown report level for {department.value} in permissions.json")
    return matrix


def allowed_reports(principal: Principal) -> dict[str, ReportLevel]:
    """The reports a staff principal may run, each with how personal fields are shown."""
    if principal.kind != "staff" or principal.department is None:
        raise PermissionDenied("staff only")
    return dict(report_permissions()[principal.department.value])


def report_level(principal: Principal, report: str) -> ReportLevel:
    level = allowed_reports(principal).get(report)
    if level is None:
        assert principal.department is not None
        raise PermissionDenied(
            f"the {principal.department.value} department may not run the {report} report"
        )
    return level
