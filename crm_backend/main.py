"""FastAPI application factory."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from crm_backend.api.errors import install_error_handlers
from crm_backend.api.routes import (
    auth,
    callbacks,
    complaints,
    conversations,
    customers,
    data_exports,
    data_quality,
    data_requests,
    feedback,
    health,
    marketing,
    orders,
    reports,
    verifications,
    web,
)
from crm_backend.config import Settings, get_settings
from crm_backend.db import make_engine, make_session_factory
from crm_backend.periodic import lifespan
from crm_backend.privacy.log_filter import install_log_scrubbing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    install_log_scrubbing()  # uvicorn has set up its logging by now
    app = FastAPI(
        title="HK Retail CRM",
        version="0.1.0",
        description="Backend of the conversational CRM assistant.",
        lifespan=lifespan,
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)

    api = APIRouter(prefix="/api/v1")
    for module in (
        auth,
        complaints,
        customers,
        marketing,
        data_quality,
        data_requests,
        data_exports,
        orders,
        callbacks,
        feedback,
        verifications,
        reports,
        conversations,
    ):
        api.include_router(module.router)
    web.install(app, settings, api)  # /chat, /staff, /static, security headers
    app.include_router(health.router)
    app.include_router(api)
    return app
