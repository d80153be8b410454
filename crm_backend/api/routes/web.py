"""The customer chat page (/chat), the staff console (/staff), their static files, the page
configuration and the development-only demo sign-in. The pages are plain files: no inline
script, so the Content-Security-Policy below can forbid inline scripts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from crm_backend.api.deps import SessionDep, SettingsDep
from crm_backend.config import Settings
from crm_backend.services.demo_sign_in import demo_customer
from crm_backend.services.tokens import Principal, issue_token

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
# Paths whose responses get the page policy (the API keeps its own; /docs loads its own UI).
PAGE_PREFIXES = ("/chat", "/staff", "/static/")
STATIC_FOLDERS = ("js", "css", "img", "vendor")  # vendor/: copied from node_modules by make setup

router = APIRouter(tags=["web"], include_in_schema=False)
demo_router = APIRouter(prefix="/auth/demo", tags=["auth"])


class WebConfig(BaseModel):
    rasa_url: str
    socket_path: str = "/socket.io"
    demo_sign_in: bool


class DemoCustomerToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (a scheme name)
    expires_in: int
    customer_no: str
    display_name: str


def rasa_public_url(settings: Settings) -> str:
    return (settings.rasa_public_url or settings.rasa_url).rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(settings: Settings) -> str:
    rasa = _origin(rasa_public_url(settings))
    rasa_ws = rasa.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    images = " ".join(dict.fromkeys(["'self'", "data:", _origin(settings.public_url)]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            f"connect-src 'self' {rasa} {rasa_ws}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _page(name: str) -> FileResponse:
    return FileResponse(
        WEB_DIR / name, media_type="text/html", headers={"Cache-Control": "no-store"}
    )


@router.get("/chat")
def chat_page() -> FileResponse:
    return _page("chat.html")


@router.get("/staff")
def staff_page() -> FileResponse:
    return _page("staff.html")


@router.get("/api/v1/web/config")
def web_config(settings: SettingsDep) -> WebConfig:
    """What the pages need to reach Rasa; read by the page, never inlined into it."""
    return WebConfig(rasa_url=rasa_public_url(settings), demo_sign_in=settings.demo_sign_in)


@demo_router.post(
    "/customer", responses={404: {"description": "Demo sign-in off, or no demo customer"}}
)
def demo_customer_token(session: SessionDep, settings: SettingsDep) -> DemoCustomerToken:
    """A customer token for the demo page's "sign in as a demo customer" (only with
    CRM_DEMO_SIGN_IN on: the dev stack of `make run` and the tests)."""
    if not settings.demo_sign_in:
        raise HTTPException(status_code=404, detail="Not Found")
    customer = demo_customer(session=session)
    if customer is None:
        raise HTTPException(status_code=404, detail="no demo customer; run `crm seed`")
    token, expires_in = issue_token(
        settings, Principal(kind="customer", subject=customer.customer_no)
    )
    return DemoCustomerToken(
        access_token=token,
        expires_in=expires_in,
        customer_no=customer.customer_no,
        display_name=customer.given_name or customer.customer_no,
    )


def install(app: FastAPI, settings: Settings, api: APIRouter) -> None:
    """Pages, static files, the demo sign-in under the API prefix, and security headers."""
    api.include_router(demo_router)
    app.include_router(router)
    for folder in STATIC_FOLDERS:  # not the whole folder: package.json, node_modules stay out
        app.mount(
            f"/static/{folder}",
            StaticFiles(directory=WEB_DIR / folder, check_dir=False),
            name=f"static-{folder}",
        )
    policy = content_security_policy(settings)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith(PAGE_PREFIXES):
            response.headers["Content-Security-Policy"] = policy
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response
