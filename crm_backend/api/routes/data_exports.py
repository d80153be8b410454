from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from crm_backend.api.deps import SessionDep, SettingsDep
from crm_backend.db import utcnow
from crm_backend.services.data_export import open_export

router = APIRouter(tags=["data_exports"])
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@router.get(
    "/data-exports/{public_id}",
    responses={200: {"content": {"application/json": {}, "text/plain": {}}}},
)
def download(
    public_id: Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    session: SessionDep,
    settings: SettingsDep,
    expires: Annotated[int | None, Query(ge=0, le=2**40)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
    format: Annotated[Literal["json", "text"], Query()] = "json",
) -> Response:
    """A copy of a customer's data, by the signed link sent to them (no token needed).
    Unknown export or a bad signature: 404; an expired link or export: 410."""
    export = open_export(
        session=session,
        settings=settings,
        public_id=public_id,
        expires=expires,
        signature=signature,
        now=utcnow(),
    )
    session.commit()  # the audit entry and the download time
    filename = "personal-data"
    if format == "text":
        return PlainTextResponse(
            export.summary,
            headers={**_NO_STORE, "Content-Disposition": f'inline; filename="{filename}.txt"'},
        )
    return JSONResponse(
        export.content,
        headers={**_NO_STORE, "Content-Disposition": f'inline; filename="{filename}.json"'},
    )
