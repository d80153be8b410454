"""The /chat and /staff pages, their static files, security headers, the page configuration
and the development-only demo customer sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from crm_backend.api.routes.web import WEB_DIR, content_security_policy
from crm_backend.config import Settings
from crm_backend.main import create_app
from crm_backend.models import Customer, Order
from crm_backend.services.tokens import decode_token


def _policy(response) -> dict[str, str]:
    directives = response.headers["content-security-policy"].split(";")
    return {d.split()[0]: " ".join(d.split()[1:]) for d in map(str.strip, directives) if d}


@pytest.mark.parametrize("path", ["/chat", "/staff"])
def test_pages_are_served_with_a_strict_policy(client, settings, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"].startswith("'self' data:")
    rasa = settings.rasa_url.rstrip("/")
    assert policy["connect-src"].split() == [
        "'self'",
        rasa,
        rasa.replace("http://", "ws://"),
    ]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_handlers: list[str] = []
        self.external: list[str] = []
        self._in_script = False
        self.inline_code = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.inline_handlers += [name for name in found if name.startswith("on")]
        for name in ("src", "href"):
            value = found.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_code += data.strip()


@pytest.mark.parametrize("page", ["chat.html", "staff.html"])
def test_pages_have_no_inline_script_and_no_cdn(page):
    parser = _Scripts()
    parser.feed((WEB_DIR / page).read_text())
    assert parser.scripts and all(s.get("src", "").startswith("/static/") for s in parser.scripts)
    assert parser.inline_code == ""
    assert parser.inline_handlers == []
    assert parser.external == []


def test_static_files_are_served_but_not_the_npm_files(client):
    script = client.get("/static/js/widget.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "script-src 'self'" in script.headers["content-security-policy"]
    assert client.get("/static/css/chat.css").status_code == 200
    for path in ("/static/package.json", "/static/package-lock.json", "/static/chat.html"):
        assert client.get(path).status_code == 404, path
    assert client.get("/static/js/../../main.py").status_code == 404


def test_scripts_render_text_not_html():
    """A guard against regressions: no script builds HTML from strings."""
    for script in (WEB_DIR / "js").glob("*.js"):
        code = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, f"{script.name} uses {sink}"


def test_api_keeps_its_headers_without_the_page_policy(client):
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers  # /docs loads its own UI


def test_page_config_names_rasa_and_hides_the_demo_sign_in_unless_turned_on(client, settings):
    body = client.get("/api/v1/web/config").json()
    assert body == {
        "rasa_url": settings.rasa_url.rstrip("/"),
        "socket_path": "/socket.io",
        "demo_sign_in": False,
    }


def test_demo_sign_in_is_not_there_unless_turned_on(client):
    assert client.post("/api/v1/auth/demo/customer").status_code == 404


def test_production_refuses_the_demo_sign_in(settings):
    with pytest.raises(ValueError, match="CRM_DEMO_SIGN_IN must be off in production"):
        Settings(**{**settings.model_dump(), "environment": "production", "demo_sign_in": True})


def test_the_public_rasa_address_wins_in_the_policy(settings):
    public = settings.model_copy(update={"rasa_public_url": "https://chat.example.hk/"})
    policy = content_security_policy(public)
    assert "connect-src 'self' https://chat.example.hk wss://chat.example.hk;" in policy


@pytest.fixture
def development(settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    dev_settings = settings.model_copy(update={"demo_sign_in": True})
    application = create_app(dev_settings)
    try:
        with TestClient(application) as test_client:
            yield test_client, dev_settings
    finally:
        application.state.engine.dispose()


def test_demo_sign_in_gives_a_complete_customer_in_development(development, session):
    client, dev_settings = development
    assert client.get("/api/v1/web/config").json()["demo_sign_in"] is True
    response = client.post("/api/v1/auth/demo/customer")
    assert response.status_code == 200
    body = response.json()
    principal = decode_token(dev_settings, body["access_token"])
    assert principal.kind == "customer" and principal.subject == body["customer_no"]
    assert 0 < body["expires_in"] <= dev_settings.customer_token_minutes * 60
    customer = session.query(Customer).filter_by(customer_no=body["customer_no"]).one()
    assert customer.given_name and customer.family_name and customer.address_line
    assert "@" in (customer.email or "") and customer.phone
    assert session.query(Order).filter_by(customer_id=customer.id).count() > 0
    # The customer token works on the API as the page's chat would use it.
    me = client.get(
        f"/api/v1/customers/{body['customer_no']}",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert me.status_code == 200
