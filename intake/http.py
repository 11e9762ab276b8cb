"""The webhook HTTP server (aiohttp). Channels add their routes; this module owns /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from storage.db import Database

RouteAdder = Callable[[web.Application], None]


def make_app(db: Database, extra_routes: list[RouteAdder] | None = None) -> web.Application:
    """The application with /healthz and whatever routes the enabled channels add."""
    app = web.Application(client_max_size=10 * 1024 * 1024)

    async def healthz(_request: web.Request) -> web.Response:
        ok = await asyncio.to_thread(db.ping)
        if ok:
            return web.json_response({"status": "ok", "database": "ok"})
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)

    app.router.add_get("/healthz", healthz)
    for add in extra_routes or []:
        add(app)
    return app
