"""Telegram chat channel: complain in a chat, get a case, follow it up (docs/telegram.md).

`setup(ctx)` returns None when TELEGRAM_BOT_TOKEN is unset, so the channel is off and `intake
serve` logs that it was skipped. python-telegram-bot is imported only when the channel is on:
it costs about a second of start-up, which matters when a service restarts after a crash while
mail servers are retrying.
"""

from __future__ import annotations

import logging

from intake.plugins import ChannelContext, ChannelRuntime


def setup(ctx: ChannelContext) -> ChannelRuntime | None:
    """The Telegram channel when TELEGRAM_BOT_TOKEN is set; None (channel off) otherwise."""
    token = ctx.settings.telegram_bot_token
    if token is None or not token.get_secret_value().strip():
        return None
    # Bot API URLs contain the token: httpx logs every request URL at INFO and PTB logs its
    # base URLs at DEBUG, so neither may log below those levels, whatever INTAKE_LOG_LEVEL says.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)
    from channels.telegram_runtime import TelegramChannel

    return TelegramChannel(ctx, token.get_secret_value().strip()).runtime()
