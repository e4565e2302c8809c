"""`create_app(settings)`: the HTTP service. Nothing is built at import, so tests pass their own."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api import _errors
from bot.api._limits import make_limiter
from bot.api.deps import AppState
from bot.api.routes import assist, chat, health, kpi, offers, surveys, tickets, webhooks
from bot.config import Settings, load_fx
from bot.drafting import Drafter
from bot.pipeline import warm_up
from bot.policy import Policy, load_policy
from bot.store import make_engine, make_sessionmaker, upgrade
from bot.triage import load_triager

__all__ = ["app_from_environment", "create_app"]

log = logging.getLogger(__name__)


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: `<tag>-<function name>`."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


class BodyLimit:
    """Refuse bodies over the limit with 413 before reading them (Content-Length or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body over {self.max_bytes} bytes"}, status_code=413
        )
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(Exception):
    pass


class NoSniff:
    """`X-Content-Type-Options: nosniff` on every response that does not set it, as plain ASGI.

    Why not `@app.middleware("http")`: that runs every request through a task group and a
    memory stream, a cost paid on each ticket for one header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)


def create_app(
    settings: Settings,
    *,
    policy: Policy | None = None,
    drafter: Drafter | None = None,
    migrate: bool = True,
) -> FastAPI:
    """Build the service for `settings`; tests inject a policy and a drafter with fakes."""
    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    state = AppState(
        settings=settings,
        sessions=make_sessionmaker(engine),
        policy=policy or load_policy(settings.policy_path),
        drafter=drafter or Drafter.from_settings(settings),
        keys=settings.parsed_api_keys(),
        limiter=make_limiter(settings, settings.rate_limit_per_minute, "key"),
        chat_limiter=make_limiter(settings, max(6, settings.rate_limit_per_minute // 20), "chat"),
        fx=load_fx(settings),
        triager=load_triager(),
    )
    # before uvicorn listens, so /healthz answers only once the first ticket costs what the rest do
    if state.triager is not None:
        warm_up(state.policy, state.triager, state.fx)
    app = FastAPI(
        title="appease",
        version="0.1.0",
        description="CLV-aware goodwill offers, drafted by a model and bounded by policy.",
        generate_unique_id_function=_operation_id,
    )
    app.state.appease = state
    _errors.install(app)
    for module in (tickets, offers, assist, chat, surveys, kpi, health, webhooks):
        app.include_router(module.router)

    static = resources.files("bot.api") / "static"

    @app.get("/widget", response_class=HTMLResponse, tags=["pages"])
    async def widget_page() -> HTMLResponse:
        return HTMLResponse(static.joinpath("widget.html").read_text(encoding="utf-8"))

    @app.get("/widget.js", tags=["pages"])
    async def widget_js() -> Response:
        return Response(
            static.joinpath("widget.js").read_text(encoding="utf-8"), media_type="text/javascript"
        )

    @app.get("/assist", response_class=HTMLResponse, tags=["pages"])
    async def assist_page() -> HTMLResponse:
        return HTMLResponse(static.joinpath("assist.html").read_text(encoding="utf-8"))

    app.add_middleware(NoSniff)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    _state_limits_in_schema(app, settings)
    return app


def _state_limits_in_schema(app: FastAPI, settings: Settings) -> None:
    """The OpenAPI schema says the message limit this server enforces, not the schemas' ceiling."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for component in schema.get("components", {}).get("schemas", {}).values():
            for name, prop in component.get("properties", {}).items():
                if name in ("message", "description") and "maxLength" in prop:
                    prop["maxLength"] = min(int(prop["maxLength"]), settings.max_message_chars)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """The app for one of `appease serve --workers N`: settings from APPEASE_*, migrated already."""
    return create_app(Settings(), migrate=False)
