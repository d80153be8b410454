"""Staff accounts: creation and sign-in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_backend.errors import Conflict, NotAuthenticated
from crm_backend.models import Staff
from crm_backend.models.enums import Department, StaffRole
from crm_backend.services.passwords import hash_password, verify_password
from crm_backend.services.tokens import Principal

MIN_PASSWORD_LENGTH = 10


def add_staff(
    *,
    session: Session,
    username: str,
    password: str,
    department: Department,
    role: StaffRole = StaffRole.AGENT,
    display_name: str | None = None,
) -> Staff:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise Conflict(f"staff username {username!r} already exists")
    staff = Staff(
        username=username,
        display_name=display_name or username,
        department=department,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(staff)
    session.flush()
    return staff


def staff_principal(*, session: Session, username: str) -> Principal:
    """The principal of an active staff account, with its current department and role."""
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None or not staff.is_active:
        raise NotAuthenticated("invalid token")
    return principal_of(staff)


def principal_of(staff: Staff) -> Principal:
    return Principal(
        kind="staff", subject=staff.username, department=staff.department, role=staff.role
    )


def authenticate_staff(*, session: Session, username: str, password: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    valid = verify_password(staff.password_hash if staff else None, password)
    if staff is None or not valid or not staff.is_active:
        raise NotAuthenticated("wrong username or password")
    return staff
