from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from crm_backend.db import utcnow


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_documents_the_contract_paths(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/auth/staff/login",
        "/api/v1/complaints",
        "/api/v1/complaints/{reference}",
        "/api/v1/customers/{customer_no}",
        "/api/v1/orders/{order_no}",
        "/api/v1/callbacks",
    ):
        assert path in paths
    assert client.get("/docs").status_code == 200


def test_staff_login_issues_a_token_that_opens_staff_views(client, database):
    username = "cs.demo"
    department, password = database.demo_staff[username]
    response = client.post(
        "/api/v1/auth/staff/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["staff"] == {
        "username": username,
        "display_name": body["staff"]["display_name"],
        "department": department,
        "role": "agent",
    }
    assert 0 < body["expires_in"] <= 24 * 3600
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/customers/C000001", headers=auth).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("cs.demo", "wrong-password-123"), ("nobody.here", "whatever-password")],
)
def test_login_failures_look_the_same(client, username, password):
    response = client.post(
        "/api/v1/auth/staff/login", json={"username": username, "password": password}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong username or password"}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x"}, "username"),
        ({"username": "cs.demo"}, "password"),
        ({"username": "", "password": "x"}, "username"),
        ({"username": "cs.demo", "password": "x" * 300}, "password"),
        ({"username": ["cs.demo"], "password": "x"}, "username"),
        ({"username": "cs.demo", "password": "x", "role": "admin"}, "role"),
    ],
)
def test_malformed_login_gets_422_naming_the_field(client, body, field):
    response = client.post("/api/v1/auth/staff/login", json=body)
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["detail"]]


def test_login_with_invalid_json_is_422(client):
    response = client.post(
        "/api/v1/auth/staff/login",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def _claims(settings, **overrides):
    now = utcnow()
    claims = {
        "iss": settings.token_issuer,
        "aud": "crm-api",
        "sub": "C000001",
        "kind": "customer",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return claims


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda s: jwt.encode(_claims(s), "another-key-" * 4, "HS256"), id="forged"),
        pytest.param(
            lambda s: jwt.encode(
                _claims(s, exp=utcnow() - timedelta(seconds=1)), s.signing_key, "HS256"
            ),
            id="expired",
        ),
        pytest.param(
            lambda s: jwt.encode(_claims(s, aud="someone-else"), s.signing_key, "HS256"),
            id="wrong-audience",
        ),
        pytest.param(
            lambda s: jwt.encode(_claims(s, kind="admin"), s.signing_key, "HS256"), id="bad-kind"
        ),
        pytest.param(
            lambda s: jwt.encode(_claims(s, kind="staff", dept="board"), s.signing_key, "HS256"),
            id="unknown-department",
        ),
        pytest.param(lambda s: "not.a.token", id="garbage"),
        pytest.param(
            lambda s: jwt.encode(_claims(s), s.signing_key, "HS256").rsplit(".", 1)[0] + ".",
            id="signature-stripped",
        ),
    ],
)
def test_bad_tokens_get_401(client, settings, make_token):
    response = client.get(
        "/api/v1/customers/C000001", headers={"Authorization": f"Bearer {make_token(settings)}"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_missing_token_gets_401(client):
    assert client.get("/api/v1/customers/C000001").status_code == 401
    assert client.get("/api/v1/complaints/CMP-000001").status_code == 401


def test_unsigned_alg_none_token_is_refused(client, settings):
    token = jwt.encode(_claims(settings), key=None, algorithm="none")
    response = client.get("/api/v1/customers/C000001", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
