"""Pushing a message into a customer's live conversation through Rasa's HTTP API
(``POST /conversations/{id}/trigger_intent``, behind Rasa's auth token)."""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

FOLLOWUP_INTENT = "EXTERNAL_satisfaction_followup"


class ChatPusher(Protocol):
    def push_followup(self, conversation_id: str, complaint_ref: str, followup_token: str) -> bool:
        """True when Rasa took the message; False when it could not be delivered."""
        ...


class RasaChatPusher:
    def __init__(self, rasa_url: str, rasa_token: str, *, timeout: float = 10.0) -> None:
        self._client = httpx.Client(base_url=rasa_url.rstrip("/"), timeout=timeout)
        self._token = rasa_token

    def push_followup(self, conversation_id: str, complaint_ref: str, followup_token: str) -> bool:
        try:
            response = self._client.post(
                f"/conversations/{quote(conversation_id, safe='')}/trigger_intent",
                # "latest": answer on the channel the customer last wrote from (socket.io
                # pushes it to an open page; REST keeps it in the conversation).
                params={"output_channel": "latest", "token": self._token},
                json={
                    "name": FOLLOWUP_INTENT,
                    "entities": {"complaint_ref": complaint_ref, "followup_token": followup_token},
                },
            )
        except httpx.HTTPError as exc:
            logger.warning("chat push failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            logger.warning("chat push refused: HTTP %s", response.status_code)
            return False
        return True

    def close(self) -> None:
        self._client.close()
