"""The backend's own clock: runs the complaint workflows every few minutes, the
retention policy once a day and the report snapshots every night; with
``CRM_EVENT_BROKER=rabbitmq`` it also runs the transcript consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

from anyio import to_thread
from fastapi import FastAPI

from crm_backend.db import transaction, utcnow
from crm_backend.reports.periods import HONG_KONG
from crm_backend.reports.refresh import refresh_snapshots
from crm_backend.services.chat_push import RasaChatPusher
from crm_backend.services.followups import FollowupRunSummary, run_followups
from crm_backend.services.retention import run_retention
from crm_backend.services.transcript_consumer import TranscriptConsumer

logger = logging.getLogger(__name__)
RETENTION_FIRST_AFTER = 300  # seconds after start


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


def apply_retention(app: FastAPI) -> dict[str, int]:
    with transaction(app.state.session_factory) as session:
        return run_retention(session, utcnow())


def refresh_reports(app: FastAPI) -> None:
    refresh_snapshots(app.state.session_factory, now=utcnow())


def seconds_until_hour(now: datetime, hour: int) -> float:
    """Seconds from ``now`` to the next ``hour``:00 in Hong Kong."""
    local = now.astimezone(HONG_KONG)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


async def _every(
    app: FastAPI, seconds: int, job: Callable[[FastAPI], object], name: str, first_after: int
) -> None:
    delay = first_after
    while True:
        await asyncio.sleep(delay)
        delay = seconds
        try:
            await to_thread.run_sync(job, app)
        except Exception as exc:  # keep the clock alive; the next run retries
            logger.error("%s failed: %s", name, type(exc).__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    followups = settings.followup_interval_seconds
    retention = settings.retention_interval_hours * 3600
    # Retention also runs soon after a start, so a backend restarted daily still applies it.
    jobs = [
        (followups, run_once, "follow-up run", followups),
        (retention, apply_retention, "retention run", min(retention, RETENTION_FIRST_AFTER)),
    ]
    if settings.report_refresh_hour >= 0:
        first = int(seconds_until_hour(utcnow(), settings.report_refresh_hour))
        jobs.append((24 * 3600, refresh_reports, "report refresh", first))
    tasks = [
        asyncio.create_task(_every(app, seconds, job, name, first_after))
        for seconds, job, name, first_after in jobs
        if seconds > 0
    ]
    if settings.event_broker == "rabbitmq":
        # Rasa's Pika broker publishes the conversation events; transcripts are fed from here.
        consumer = TranscriptConsumer.from_settings(settings, app.state.session_factory)
        app.state.transcript_consumer = consumer
        tasks.append(asyncio.create_task(consumer.run()))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
