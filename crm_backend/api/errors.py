"""One place that turns domain exceptions into HTTP answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from crm_backend.errors import (
    Conflict,
    DomainError,
    Gone,
    InvalidInput,
    Locked,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    StaleVersion,
)

_STATUS: list[tuple[type[DomainError], int]] = [
    (NotAuthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Gone, 410),
    (InvalidInput, 422),
    (Locked, 423),
]


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    if isinstance(exc, InvalidInput):
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        body: dict[str, object] = {
            "detail": [
                {"loc": [exc.location, exc.field], "msg": exc.message, "type": "value_error"}
            ]
        }
    else:
        body = {"detail": exc.message}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's default echoes the rejected input back; answers (and anything that logs them)
    # should not carry personal data, so keep only where and what.
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


async def _stale_data(_request: Request, exc: Exception) -> JSONResponse:
    # Optimistic locking caught a concurrent change between our read and our write.
    return JSONResponse({"detail": StaleVersion().message}, status_code=409)


async def _operational(_request: Request, exc: Exception) -> JSONResponse:
    # SQLite refuses a write whose snapshot another writer overtook ("database is locked"):
    # nothing was stored, so the client may simply try again.
    assert isinstance(exc, OperationalError)
    if "database is locked" in str(exc.orig):
        return JSONResponse(
            {"detail": "the record is busy; try again"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(OperationalError, _operational)
    app.add_exception_handler(RequestValidationError, _validation_error)
