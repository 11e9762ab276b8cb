"""`GET/POST /webhooks/facebook`: the subscription handshake and signed Page webhooks.

GET answers Facebook's verification request (`hub.mode=subscribe`, `hub.verify_token`,
`hub.challenge`). POST checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app
secret) before reading anything: 401 when it is missing, 403 when it is wrong, and nothing is
stored either way. A verified body is stored item by item before we answer 200 (Facebook
retries anything else, and the receiver recognises the redelivery). Bad items get a 400 naming
the field; what a customer wrote in them is still stored.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from channels import facebook_parse
from channels.social_signing import Verdict, verify
from channels.social_store import store_items, summary
from intake.receive import Receiver
from storage.db import Database

log = logging.getLogger("intake.channels.facebook")

PATH = "/webhooks/facebook"


class FacebookWebhook:
    """The two handlers, holding the secrets and the receive door."""

    def __init__(self, db: Database, receive: Receiver, app_secret: str, verify_token: str,
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.receive = receive
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.clock = clock

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.handshake)
        app.router.add_post(PATH, self.deliver)

    async def handshake(self, request: web.Request) -> web.Response:
        mode = request.query.get("hub.mode")
        token = request.query.get("hub.verify_token", "")
        challenge = request.query.get("hub.challenge")
        if mode != "subscribe" or challenge is None:
            return web.json_response(
                {"error": "expected hub.mode=subscribe with hub.verify_token and hub.challenge"},
                status=400)
        if not hmac.compare_digest(token.encode("utf-8"), self.verify_token.encode("utf-8")):
            log.warning("facebook subscription handshake refused: wrong verify token")
            return web.json_response({"error": "hub.verify_token does not match"}, status=403)
        log.info("facebook subscription handshake accepted")
        return web.Response(text=challenge, content_type="text/plain")

    async def deliver(self, request: web.Request) -> web.Response:
        body = await request.read()
        verdict = verify(self.app_secret, body, request.headers.get("X-Hub-Signature-256"),
                         prefix_required=True)
        if verdict is Verdict.MISSING:
            return web.json_response({"error": "missing X-Hub-Signature-256 header"}, status=401)
        if verdict is Verdict.INVALID:
            log.warning("facebook webhook refused: X-Hub-Signature-256 does not match")
            return web.json_response({"error": "X-Hub-Signature-256 does not match the body"},
                                     status=403)
        try:
            payload = facebook_parse.load(body)
        except facebook_parse.PayloadError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        items = facebook_parse.parse(payload, self.clock())
        try:
            stored = await store_items(self.db, self.receive, items)
        except Exception:
            log.exception("could not store a facebook webhook; answered 503 so Facebook retries")
            return web.json_response({"error": "temporary storage failure; retry"}, status=503)
        result = summary(items, stored)
        log.info("facebook webhook: %s stored, %s duplicates, %s ignored, %s problems",
                 len(result["stored"]), len(result["duplicates"]), len(result["ignored"]),
                 len(result["problems"]))
        if result["problems"]:
            return web.json_response({"error": "; ".join(result["problems"]), **result},
                                     status=400)
        return web.json_response(result)
