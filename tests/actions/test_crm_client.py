"""Failure handling of the backend client, with the network's misbehaviour simulated."""

from __future__ import annotations

import httpx
import pytest

from actions import crm_client


def client_with(handler) -> crm_client.CrmClient:
    return crm_client.CrmClient(
        "http://backend.test",
        "service-token",
        transport=httpx.MockTransport(handler),
        retry_delays=(0.0, 0.0),
    )


async def test_sends_service_token_and_forwards_the_users_token():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"order_no": "ORD-00000001"})

    client = client_with(handler)
    await client.get_order("ORD-00000001", user_token="user-token")
    await client.aclose()
    assert seen[0].headers["X-Service-Token"] == "service-token"
    assert seen[0].headers["Authorization"] == "Bearer user-token"
    assert seen[0].url.path == "/api/v1/orders/ORD-00000001"


async def test_idempotent_calls_are_retried_after_server_errors():
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503) if calls < 3 else httpx.Response(200, json={"ok": True})

    client = client_with(handler)
    assert await client.get_order("ORD-00000001", user_token="t") == {"ok": True}
    assert calls == 3
    calls = 0
    assert await client.file_complaint({}, user_token=None, idempotency_key="k" * 16) == {
        "ok": True
    }
    assert calls == 3
    await client.aclose()


async def test_calls_without_an_idempotency_key_are_not_retried():
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    client = client_with(handler)
    with pytest.raises(crm_client.BackendUnavailable):
        await client.request_callback({"conversation_id": "c"}, user_token=None)
    assert calls == 1
    await client.aclose()


async def test_gives_up_after_the_retries_with_a_typed_error():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = client_with(handler)
    with pytest.raises(crm_client.BackendUnavailable):
        await client.get_order("ORD-00000001", user_token="t")
    await client.aclose()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"detail": "token expired"}, crm_client.NotAuthorized),
        (403, {"detail": "staff only"}, crm_client.Forbidden),
        (404, {"detail": "order not found"}, crm_client.NotFound),
        (409, {"detail": "conflict"}, crm_client.Conflict),
        (422, {"detail": [{"loc": ["body", "order_no"], "msg": "bad"}]}, crm_client.InvalidRequest),
        (418, {"detail": "teapot"}, crm_client.BackendError),
    ],
)
async def test_answers_become_typed_errors(status, body, error):
    client = client_with(lambda request: httpx.Response(status, json=body))
    with pytest.raises(error) as raised:
        await client.get_order("ORD-00000001", user_token="t")
    if status == 422:
        assert raised.value.field == "order_no"
        assert raised.value.reason == "bad"
    await client.aclose()


def test_service_token_comes_from_env_or_the_secrets_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_SERVICE_TOKEN", raising=False)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="service token"):
        crm_client._service_token_from_env()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "service_token").write_text("from-file\n")
    assert crm_client._service_token_from_env() == "from-file"
    monkeypatch.setenv("CRM_SERVICE_TOKEN", "from-env")
    assert crm_client._service_token_from_env() == "from-env"


def test_request_lines_with_references_stay_out_of_the_logs():
    import logging

    import actions.crm_client  # noqa: F401  (sets the levels on import)

    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() >= logging.WARNING
