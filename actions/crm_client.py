"""The one way actions reach the CRM backend.

Every call sends the action server's service token; a signed-in user's own token is
forwarded as the bearer, so the backend decides access, never the bot. Failures surface as
typed exceptions; only idempotent calls are retried.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)
# httpx logs every request line at INFO; our paths carry references and verification ids.
for _noisy in ("httpx", "httpcore"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
RETRY_DELAYS = (0.2, 0.6)


class BackendError(Exception):
    """The backend answered in a way the caller did not expect."""


class BackendUnavailable(BackendError):
    """The backend could not be reached, timed out or failed (5xx)."""


class NotAuthorized(BackendError):
    """401: the user's token is missing, forged or expired."""


class Forbidden(BackendError):
    """403: a valid token without the right."""


class NotFound(BackendError):
    """404: unknown, or not the caller's to see (the two look the same on purpose)."""


class Conflict(BackendError):
    """409: the request contradicts the current state."""


class Locked(BackendError):
    """423: too many wrong one-time codes; the reference is locked for a while."""


class InvalidRequest(BackendError):
    """422: the backend rejected a field; ``field`` names it, ``reason`` is safe to show."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(f"{field or 'request'}: {reason}")
        self.field = field
        self.reason = reason


class CrmClient:
    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v1",
            timeout=timeout,
            transport=transport,
            headers={"X-Service-Token": service_token, "User-Agent": "crm-actions/1"},
        )
        self._retry_delays = retry_delays

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_order(self, order_no: str, *, user_token: str) -> dict[str, Any]:
        return await self._call("GET", f"/orders/{order_no}", user_token=user_token)

    async def file_complaint(
        self, payload: dict[str, Any], *, user_token: str | None, idempotency_key: str
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            "/complaints",
            user_token=user_token,
            json=payload,
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,
        )

    async def request_callback(
        self, payload: dict[str, Any], *, user_token: str | None
    ) -> dict[str, Any]:
        return await self._call("POST", "/callbacks", user_token=user_token, json=payload)

    # Complaint follow-up, for the complainant (customer or complaint token).
    async def get_complaint(self, reference: str, *, user_token: str) -> dict[str, Any]:
        return await self._call("GET", f"/complaints/{reference}", user_token=user_token)

    async def list_complaints(
        self, *, user_token: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self._call("GET", "/complaints", user_token=user_token, params=params)

    async def add_complaint_information(
        self, reference: str, text: str, *, user_token: str
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/complaints/{reference}/information",
            user_token=user_token,
            json={"text": text},
        )

    async def withdraw_complaint(
        self, reference: str, *, user_token: str, reason: str | None = None
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/complaints/{reference}/withdraw",
            user_token=user_token,
            json={"reason": reason},
        )

    async def rate_complaint(
        self, reference: str, rating: int, *, user_token: str, comment: str | None = None
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/complaints/{reference}/satisfaction",
            user_token=user_token,
            json={"rating": rating, "comment": comment},
        )

    # Staff work on a complaint (staff token).
    async def assign_complaint(
        self,
        reference: str,
        assignee: str | None,
        *,
        user_token: str,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/complaints/{reference}/assign",
            user_token=user_token,
            json={"assignee": assignee, "expected_version": expected_version},
        )

    async def add_complaint_note(
        self, reference: str, note: str, *, user_token: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/complaints/{reference}/notes",
            user_token=user_token,
            json={"note": note, "expected_version": expected_version},
        )

    async def transition_complaint(
        self,
        reference: str,
        action: str,
        *,
        user_token: str,
        note: str | None = None,
        resolution: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/complaints/{reference}/transition",
            user_token=user_token,
            json={
                "action": action,
                "note": note,
                "resolution": resolution,
                "expected_version": expected_version,
            },
        )

    # Orders, feedback and one-time codes.
    async def list_orders(self, *, user_token: str, limit: int = 5) -> dict[str, Any]:
        return await self._call("GET", "/orders", user_token=user_token, params={"limit": limit})

    async def give_feedback(
        self, payload: dict[str, Any], *, user_token: str | None
    ) -> dict[str, Any]:
        return await self._call("POST", "/feedback", user_token=user_token, json=payload)

    async def start_verification(
        self, payload: dict[str, Any], *, user_token: str | None = None
    ) -> dict[str, Any]:
        return await self._call("POST", "/verifications", user_token=user_token, json=payload)

    async def confirm_verification(self, verification_id: str, code: str) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/verifications/{verification_id}/confirm",
            user_token=None,
            json={"code": code},
        )

    # Profile, consents, marketing and data-subject requests (customer's own token).
    # The path names "me": the backend reads the customer from the token, so the bot never
    # handles customer numbers and a number typed in chat cannot redirect a call.
    async def get_own_profile(self, *, user_token: str, masked: bool = False) -> dict[str, Any]:
        params = {"view": "masked"} if masked else None
        return await self._call("GET", "/customers/me", user_token=user_token, params=params)

    async def propose_profile_change(
        self, payload: dict[str, Any], *, user_token: str
    ) -> dict[str, Any]:
        return await self._call(
            "POST", "/customers/me/profile-changes", user_token=user_token, json=payload
        )

    async def decide_profile_change(
        self, change_id: str, payload: dict[str, Any], *, user_token: str
    ) -> dict[str, Any]:
        return await self._call(
            "POST",
            f"/customers/me/profile-changes/{change_id}/decision",
            user_token=user_token,
            json=payload,
        )

    async def get_marketing_preferences(self, *, user_token: str) -> dict[str, Any]:
        return await self._call("GET", "/customers/me/marketing-preferences", user_token=user_token)

    async def set_marketing_preference(
        self, channel: str, payload: dict[str, Any], *, user_token: str
    ) -> dict[str, Any]:
        # PUT of a state: safe to retry.
        return await self._call(
            "PUT",
            f"/customers/me/marketing-preferences/{channel}",
            user_token=user_token,
            json=payload,
            idempotent=True,
        )

    async def opt_out_contact(
        self, payload: dict[str, Any], *, user_token: str | None = None
    ) -> dict[str, Any]:
        return await self._call(
            "POST", "/marketing-opt-outs", user_token=user_token, json=payload, idempotent=True
        )

    async def create_data_request(
        self, payload: dict[str, Any], *, user_token: str | None
    ) -> dict[str, Any]:
        return await self._call("POST", "/data-requests", user_token=user_token, json=payload)

    async def list_data_requests(self, *, user_token: str, status: str = "open") -> dict[str, Any]:
        return await self._call(
            "GET", "/data-requests", user_token=user_token, params={"status": status}
        )

    async def list_reports(self, *, user_token: str) -> dict[str, Any]:
        return await self._call("GET", "/reports", user_token=user_token)

    async def interpret_report_request(self, text: str, *, user_token: str) -> dict[str, Any]:
        return await self._call(
            "POST", "/reports/interpret", user_token=user_token, json={"text": text},
            idempotent=True,
        )  # fmt: skip

    async def run_report(
        self, name: str, params: dict[str, Any], *, user_token: str
    ) -> dict[str, Any]:
        query = {key: value for key, value in params.items() if value is not None}
        return await self._call("GET", f"/reports/{name}", user_token=user_token, params=query)

    async def prompt_profile_gaps(self, *, user_token: str) -> dict[str, Any]:
        return await self._call("POST", "/customers/me/profile-gaps/prompt", user_token=user_token)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        user_token: str | None,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        request_headers = dict(headers or {})
        if user_token:
            request_headers["Authorization"] = f"Bearer {user_token}"
        retry = method == "GET" if idempotent is None else idempotent
        delays = self._retry_delays if retry else ()
        # Log the resource, not the path: paths carry references and verification ids.
        where = f"{method} /{path.strip('/').split('/')[0]}"
        for attempt in range(len(delays) + 1):
            try:
                response = await self._http.request(
                    method, path, json=json, params=params, headers=request_headers
                )
                if response.status_code < 500:
                    return _parse(response)
                failure: Exception = BackendUnavailable(f"{where}: HTTP {response.status_code}")
            except httpx.TransportError as exc:  # connect errors, timeouts, dropped connections
                failure = BackendUnavailable(f"{where}: {type(exc).__name__}")
            if attempt < len(delays):
                logger.warning("backend call failed (%s), retrying", failure)
                await asyncio.sleep(delays[attempt])
        logger.error("backend unavailable: %s", failure)
        raise failure


def _parse(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status < 300:
        body: dict[str, Any] = response.json()
        return body
    detail = _detail(response)
    if status == 401:
        raise NotAuthorized(str(detail))
    if status == 403:
        raise Forbidden(str(detail))
    if status == 404:
        raise NotFound(str(detail))
    if status == 409:
        raise Conflict(str(detail))
    if status == 423:
        raise Locked(str(detail))
    if status == 422:
        field, reason = _first_field_error(detail)
        raise InvalidRequest(field, reason)
    raise BackendError(f"unexpected HTTP {status}")


def _detail(response: httpx.Response) -> Any:
    try:
        return response.json().get("detail")
    except ValueError:
        return None


def _first_field_error(detail: Any) -> tuple[str | None, str]:
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        location = detail[0].get("loc") or []
        field = str(location[-1]) if location else None
        return field, str(detail[0].get("msg", "invalid value"))
    return None, str(detail or "invalid request")


def _service_token_from_env() -> str:
    token = os.environ.get("CRM_SERVICE_TOKEN")
    if token:
        return token
    var_dir = Path(os.environ.get("CRM_VAR_DIR", Path(__file__).resolve().parents[1] / "var"))
    path = var_dir / "secrets" / "service_token"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"no service token: set CRM_SERVICE_TOKEN or start the backend once to create {path}"
        ) from exc


_client: CrmClient | None = None


def get_client() -> CrmClient:
    """The process-wide client, built from the environment on first use."""
    global _client
    if _client is None:
        _client = CrmClient(
            os.environ.get("CRM_BACKEND_URL", "http://127.0.0.1:8000"), _service_token_from_env()
        )
    return _client


def use_client(client: CrmClient | None) -> None:
    """Replace the process-wide client (tests point it at an in-process backend)."""
    global _client
    _client = client
