"""``crm reports refresh`` (and nightly in the backend): pre-calculate each report's
snapshot parameter sets."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from crm_backend.db import transaction
from crm_backend.reports import snapshots
from crm_backend.reports.base import ReportContext
from crm_backend.reports.catalogue import REPORTS
from crm_backend.reports.clv import NotEnoughData
from crm_backend.reports.runner import preset_params

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshedSnapshot:
    report: str
    params: dict[str, object]
    seconds: float
    error: str | None = None


def refresh_snapshots(
    session_factory: sessionmaker[Session], *, now: datetime, only: str | None = None
) -> list[RefreshedSnapshot]:
    """Each snapshot in its own transaction: one report failing (too little data to fit a
    model, say) keeps the others and its own previous snapshot."""
    done: list[RefreshedSnapshot] = []
    for spec in REPORTS.values():
        if only is not None and spec.name != only:
            continue
        for params in preset_params(spec, now):
            started = time.perf_counter()
            try:
                with transaction(session_factory) as session:
                    frame = spec.compute(ReportContext(session=session, params=params, now=now))
                    snapshots.save(session, spec.name, params, frame, now)
            except NotEnoughData as exc:
                logger.warning("snapshot of %s not refreshed: %s", spec.name, exc)
                error: str | None = str(exc)
            else:
                error = None
            done.append(
                RefreshedSnapshot(spec.name, params.key(), time.perf_counter() - started, error)
            )
    return done
