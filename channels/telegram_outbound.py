"""Outbox rows -> Telegram `sendMessage`, with the customer's choices as inline buttons.

A dissatisfaction reply carries a "make it a formal complaint" button (the Code, 1.3, requires
offering that choice; the button's press comes back as an intent), and an escalation offer a
"stage 2 review" button. Failures are classified for the sender: flood control (429, with
Telegram's retry_after), timeouts, 5xx and an unreachable server are temporary; a blocked bot or
a chat that does not exist is permanent.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from channels import telegram_texts as texts
from intake.errors import DeliveryError
from storage.db import Database
from storage.outbox import Claimed
from storage.telegram_refs import record_sent, sent_parts

log = logging.getLogger("intake.channels.telegram")

BUTTONS = {
    "dissatisfaction": ("formal", texts.FORMAL_BUTTON),
    "escalation_offer": ("escalate", texts.ESCALATE_BUTTON),
}


def keyboard_for(row: Claimed) -> InlineKeyboardMarkup | None:
    """The choice a reply offers, as a button whose callback names the case."""
    template = str(row.metadata.get("template") or row.kind)
    ref = row.metadata.get("case_ref")
    if template not in BUTTONS or not ref:
        return None
    prefix, label = BUTTONS[template]
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"{prefix}:{ref}")]])


def split_text(body: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Telegram refuses texts over 4096 characters: cut long replies at paragraph breaks."""
    body = body.strip() or "."
    parts: list[str] = []
    while len(body) > limit:
        cut = body.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = body.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(body[:cut].rstrip())
        body = body[cut:].lstrip()
    parts.append(body)
    return parts


def chat_id_of(recipient: str) -> int | str:
    """Outbox recipients are chat ids as text; a channel username (@name) is passed through."""
    try:
        return int(recipient)
    except ValueError:
        return recipient


def retry_delay(exc: RetryAfter) -> timedelta:
    """Telegram's retry_after as a timedelta (PTB gives int or timedelta by configuration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is deprecated
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))


def classify(exc: TelegramError) -> DeliveryError:
    """A DeliveryError the sender understands: temporary ones are retried, with Telegram's
    own delay after a 429."""
    if isinstance(exc, RetryAfter):
        error = DeliveryError("telegram: flood control (429)", temporary=True)
        error.retry_after = retry_delay(exc)  # type: ignore[attr-defined]
        return error
    if isinstance(exc, Forbidden):
        return DeliveryError("telegram: the customer has blocked the bot or left the chat (403)",
                             temporary=False)
    if isinstance(exc, (BadRequest, ChatMigrated)):
        return DeliveryError(f"telegram: request refused (400): {type(exc).__name__}",
                             temporary=False)
    if isinstance(exc, InvalidToken):
        # An operator can fix the token; keep the replies until give-up rather than lose them.
        return DeliveryError("telegram: the bot token was rejected; check TELEGRAM_BOT_TOKEN",
                             temporary=True)
    if isinstance(exc, NetworkError):
        return DeliveryError(f"telegram unreachable or failing: {type(exc).__name__}",
                             temporary=True)
    return DeliveryError(f"telegram error: {type(exc).__name__}", temporary=True)


class TelegramTransport:
    """The outbound half of the channel: delivers rows with channel "telegram".

    With a database, each part Telegram accepts is recorded at once, so a resend of the row
    (after a crash before the sender marked it sent, or a failure on a later part) skips the
    parts the customer already has, and the bot message is tied to its case for replies.
    """

    def __init__(self, bot: Bot, ready: Callable[[], bool], db: Database | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.bot = bot
        self.ready = ready
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))

    async def send(self, row: Claimed) -> None:
        if not self.ready():
            raise DeliveryError("telegram: not connected to the Bot API yet", temporary=True)
        chat_id = chat_id_of(row.recipient)
        parts = split_text(row.body)
        markup = keyboard_for(row)
        done = await asyncio.to_thread(sent_parts, self.db, row.id) if self.db else set()
        for index, part in enumerate(parts):
            if index in done:
                continue
            last = index == len(parts) - 1
            try:
                sent = await self.bot.send_message(chat_id=chat_id, text=part,
                                                   reply_markup=markup if last else None)
            except TelegramError as exc:
                raise classify(exc) from exc
            await self._record(row, index, sent.chat.id, sent.message_id)
        log.info("telegram outbox=%s delivered (%s part(s), button=%s)", row.id, len(parts),
                 markup is not None)

    async def _record(self, row: Claimed, part: int, chat_id: int, message_id: int) -> None:
        if self.db is None:
            return
        try:
            await asyncio.to_thread(record_sent, self.db, row.id, part, str(chat_id),
                                    message_id, row.case_id, self.clock())
        except Exception as exc:  # the message is out: never turn that into a resend
            log.warning("telegram outbox=%s part %s sent but not recorded (%s)", row.id, part,
                        type(exc).__name__)
