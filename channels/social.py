"""Social media channel: Facebook Page webhooks and Graph API replies, plus a generic
social-listening feed. Privacy first: public replies carry no personal data (the pipeline
renders them), posts holding personal data are hidden where the profile says so, and the
conversation moves to Messenger, where the customer's case follows them.

`setup(ctx)` wires whatever is configured:
- FACEBOOK_APP_SECRET + FACEBOOK_PAGE_TOKEN + FACEBOOK_VERIFY_TOKEN: `GET/POST
  /webhooks/facebook` and the Graph API transport for outbox rows on channel "social"
  (FACEBOOK_GRAPH_URL overrides the API base URL);
- INTAKE_SOCIAL_SECRET: `POST /webhooks/social` (feed posts; replies are suggested, not sent).
Neither: None (the service logs that the channel was skipped). Some but not all of the
Facebook settings: a ConfigError naming what is missing, rather than a half-working channel.
"""

from __future__ import annotations

import logging

from aiohttp import web

from channels.facebook_graph import DEFAULT_GRAPH_URL, GraphClient, GraphTransport
from channels.facebook_webhook import FacebookWebhook
from channels.social_feed import SocialFeed
from intake.errors import ConfigError
from intake.plugins import ChannelContext, ChannelRuntime
from intake.sender import Transport
from models import Channel

log = logging.getLogger("intake.channels.social")

FACEBOOK_SETTINGS = ("FACEBOOK_APP_SECRET", "FACEBOOK_PAGE_TOKEN", "FACEBOOK_VERIFY_TOKEN")


def setup(ctx: ChannelContext) -> ChannelRuntime | None:
    """The social channel's routes and transport, or None when nothing is configured."""
    settings = ctx.settings
    secrets = {
        "FACEBOOK_APP_SECRET": settings.facebook_app_secret,
        "FACEBOOK_PAGE_TOKEN": settings.facebook_page_token,
        "FACEBOOK_VERIFY_TOKEN": settings.facebook_verify_token,
    }
    present = {name: s.get_secret_value() for name, s in secrets.items()
               if s is not None and s.get_secret_value().strip()}
    feed_secret = (settings.social_secret.get_secret_value().strip()
                   if settings.social_secret is not None else "")
    if not present and not feed_secret:
        return None
    if present and len(present) < len(FACEBOOK_SETTINGS):
        missing = [name for name in FACEBOOK_SETTINGS if name not in present]
        raise ConfigError(f"{', '.join(missing)}: required with "
                          f"{', '.join(sorted(present))} for Facebook Page webhooks")
    routes = []
    transports: dict[str, Transport] = {}
    client: GraphClient | None = None
    if present:
        webhook = FacebookWebhook(ctx.db, ctx.receive, present["FACEBOOK_APP_SECRET"],
                                  present["FACEBOOK_VERIFY_TOKEN"], ctx.clock)
        routes.append(webhook.add_routes)
        client = GraphClient(settings.facebook_graph_url or DEFAULT_GRAPH_URL,
                             present["FACEBOOK_PAGE_TOKEN"], present["FACEBOOK_APP_SECRET"])
        transports[Channel.SOCIAL.value] = GraphTransport(client, ctx.db, ctx.clock)
        log.info("facebook: webhooks at /webhooks/facebook, replies through the Graph API")
    if feed_secret:
        feed = SocialFeed(ctx.db, ctx.receive, feed_secret, ctx.profile, ctx.clock)
        routes.append(feed.add_routes)
        log.info("social feed: posts accepted at /webhooks/social (replies suggested, not sent)")

    async def stop() -> None:
        if client is not None:
            await client.close()

    def add_all(app: web.Application) -> None:
        for add in routes:
            add(app)

    return ChannelRuntime(name="social", routes=[add_all], transports=transports, stop=stop)
