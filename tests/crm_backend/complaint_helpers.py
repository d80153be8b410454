"""Filing complaints and moving them along through the API, for the complaint tests."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1/complaints"


def file_guest_complaint(client: TestClient, headers: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "description": "The kettle I bought last week leaks from the bottom when I fill it.",
        "category": "product_quality",
        "contact_method": "phone",
        "contact_value": "9123 4567",
        "conversation_id": f"conv-{uuid.uuid4().hex}",
    }
    body.update(overrides)
    response = client.post(API, json=body, headers=headers.service())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def staff_post(
    client: TestClient, headers: Any, username: str, reference: str, what: str, body: dict[str, Any]
) -> Any:
    return client.post(f"{API}/{reference}/{what}", json=body, headers=headers.staff(username))


def resolve(client: TestClient, headers: Any, reference: str, text: str = "refund issued") -> Any:
    response = staff_post(
        client,
        headers,
        "cs.demo",
        reference,
        "transition",
        {"action": "resolve", "resolution": text},
    )
    assert response.status_code == 200, response.text
    return response.json()
