from __future__ import annotations

from fastapi import APIRouter

from crm_backend.api.deps import SessionDep, SettingsDep
from crm_backend.schemas.auth import StaffLogin, StaffProfile, TokenResponse
from crm_backend.services.staff import authenticate_staff, principal_of
from crm_backend.services.tokens import issue_token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/staff/login", responses={401: {"description": "Wrong username or password"}})
def staff_login(body: StaffLogin, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    staff = authenticate_staff(session=session, username=body.username, password=body.password)
    token, expires_in = issue_token(settings, principal_of(staff))
    return TokenResponse(
        access_token=token,
        expires_in=expires_in,
        staff=StaffProfile(
            username=staff.username,
            display_name=staff.display_name,
            department=staff.department,
            role=staff.role,
        ),
    )
