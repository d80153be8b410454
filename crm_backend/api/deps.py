"""FastAPI dependencies: the database session and who is calling."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from crm_backend.config import Settings
from crm_backend.errors import NotAuthenticated
from crm_backend.services.staff import staff_principal
from crm_backend.services.tokens import Principal, decode_token

_bearer = HTTPBearer(auto_error=False, description="Staff or customer token")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(request: Request) -> Iterator[Session]:
    """A session per request. Routes that write call ``session.commit()`` themselves,
    so a failed commit is an error response, never a success that was not stored."""
    with request.app.state.session_factory() as session:  # closing rolls back the rest
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def optional_principal(
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    principal = decode_token(settings, credentials.credentials)
    if principal.kind == "staff":
        # A deactivated account or a department move takes effect at once, not at expiry.
        return staff_principal(session=session, username=principal.subject)
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise NotAuthenticated("a bearer token is required")
    return principal


def is_service_token(settings: Settings, value: str | None) -> bool:
    """The Rasa side's shared token (action server, event broker), compared in constant time."""
    if not value:
        return False
    return hmac.compare_digest(value.encode(), settings.service_token.encode())


def require_service_token(
    settings: SettingsDep,
    x_service_token: Annotated[str | None, Header(description="The Rasa side's token")] = None,
) -> None:
    if not is_service_token(settings, x_service_token):
        raise NotAuthenticated("the service token is required")


def bot_or_customer(
    settings: SettingsDep,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    x_service_token: Annotated[str | None, Header(description="The action server's token")] = None,
) -> Principal | None:
    """A signed-in user (their bearer token), or the bot acting for an anonymous visitor
    (service token only). Returns the user, or None for the anonymous visitor."""
    if principal is not None:
        return principal
    if is_service_token(settings, x_service_token):
        return None
    raise NotAuthenticated("a bearer token or the service token is required")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
BotOrCustomer = Annotated[Principal | None, Depends(bot_or_customer)]
