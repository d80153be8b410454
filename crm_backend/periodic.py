"""The backend's own clock: runs the complaint workflows every few minutes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from anyio import to_thread
from fastapi import FastAPI

from crm_backend.db import utcnow
from crm_backend.services.chat_push import RasaChatPusher
from crm_backend.services.followups import FollowupRunSummary, run_followups

logger = logging.getLogger(__name__)


def run_once(app: FastAPI) -> FollowupRunSummary:
    settings = app.state.settings
    pusher = RasaChatPusher(settings.rasa_url, settings.rasa_token)
    try:
        return run_followups(
            session_factory=app.state.session_factory,
            settings=settings,
            now=utcnow(),
            pusher=pusher,
        )
    finally:
        pusher.close()


async def _every(app: FastAPI, seconds: int) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await to_thread.run_sync(run_once, app)
        except Exception as exc:  # keep the clock alive; the next run retries
            logger.error("follow-up run failed: %s", type(exc).__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    seconds = app.state.settings.followup_interval_seconds
    task = asyncio.create_task(_every(app, seconds)) if seconds > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
