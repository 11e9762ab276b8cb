"""Telegram updates -> `InboundMessage`s, through python-telegram-bot's own handlers.

Only translation happens here: a chat message becomes an InboundMessage (conversation = the
chat, external id = chat id and message id, so a redelivered update is stored once), photos and
documents are downloaded and kept as attachments, an edit replaces the stored text, and the
customer's explicit choices (the "make it a formal complaint" button, /escalate) become an
InboundMessage carrying an intent for the pipeline to honour. Answers given here are wire-level
receipts and refusals (the chat equivalent of an SMTP reply line); every decision is the
pipeline's, and its replies come back through the outbox.

Storage failures propagate (the error handler records them per update) so the caller does not
confirm the update to Telegram: long polling fetches it again, a webhook answers 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import (
    Audio,
    CallbackQuery,
    Document,
    Message,
    PhotoSize,
    Update,
    Video,
    VideoNote,
    Voice,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from channels import telegram_texts as texts
from channels.telegram_cases import OwnedCase, owned_case, ref_pattern
from intake.plugins import ChannelContext
from models import Attachment, Channel, InboundMessage
from storage.attachment_files import NewFile, add_files
from storage.message_edits import record_edit
from storage.telegram_refs import case_ref_for_bot_message

log = logging.getLogger("intake.channels.telegram")

FILES = filters.PHOTO | filters.Document.ALL | filters.VIDEO | filters.VOICE | filters.AUDIO \
    | filters.VIDEO_NOTE
CONTENT = filters.TEXT | FILES
BUTTON_ACTIONS = {"formal": "formal_complaint", "escalate": "escalate"}
BUTTON_PATTERN = r"^(formal|escalate):[A-Za-z0-9-]{1,40}$"
DEFAULT_TYPES = {
    "photo": ("image/jpeg", "jpg"),
    "video": ("video/mp4", "mp4"),
    "video_note": ("video/mp4", "mp4"),
    "voice": ("audio/ogg", "ogg"),
    "audio": ("audio/mpeg", "mp3"),
    "document": ("application/octet-stream", "bin"),
}

FileMedia = PhotoSize | Document | Video | VideoNote | Voice | Audio


class Oversized(Exception):
    """A file is over the size limit: the message is refused, politely, and nothing stored."""


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A file announced in a message, before download."""

    kind: str
    media: FileMedia
    filename: str
    content_type: str
    size: int | None


def raw_json(update: Update) -> bytes:
    """The update as stored: canonical JSON, so a redelivery has the same digest."""
    return json.dumps(update.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")


def message_external_id(message: Message) -> str:
    return f"{message.chat.id}:{message.message_id}"


def _sender(message: Message) -> tuple[str, str | None, bool]:
    user = message.from_user
    if user is None:
        return str(message.chat.id), None, False
    return str(user.id), user.first_name, user.is_bot


def to_inbound(update: Update, message: Message, *, text: str, received_at: datetime,
               attachments: tuple[Attachment, ...] = (),
               intent: dict[str, str] | None = None, external_id: str | None = None,
               subject: str | None = None) -> InboundMessage:
    """The InboundMessage for one chat message (or a button press, with `external_id`)."""
    chat_id = str(message.chat.id)
    sender, first_name, is_bot = _sender(message)
    metadata: dict[str, Any] = {"update_id": update.update_id, "chat_id": chat_id,
                                "message_id": message.message_id}
    user = message.from_user
    if user is not None and user.username:
        metadata["username"] = user.username
    if intent is not None:
        metadata["intent"] = intent
    thread_ids: tuple[str, ...] = ()
    if message.reply_to_message is not None:
        thread_ids = (message_external_id(message.reply_to_message),)
    return InboundMessage(
        channel=Channel.TELEGRAM,
        external_id=external_id or message_external_id(message),
        received_at=received_at,
        text=text,
        sender=sender,
        sender_name=first_name,
        subject=subject,
        raw=raw_json(update),
        thread_ids=thread_ids,
        automated="telegram: sent by a bot" if is_bot else None,
        attachments=attachments,
        conversation_id=chat_id,
        metadata=metadata,
    )


def announced_files(message: Message, limit: int) -> list[FileSpec]:
    """The files in a message; raises Oversized if one cannot fit under `limit` bytes."""
    specs: list[FileSpec] = []
    if message.photo:
        # Telegram offers several sizes of a photo: keep the largest one that fits.
        fitting = [p for p in message.photo if p.file_size is None or p.file_size <= limit]
        if not fitting:
            raise Oversized
        best = max(fitting, key=lambda p: (p.file_size or 0, p.width * p.height))
        specs.append(FileSpec("photo", best, f"photo_{best.file_unique_id}.jpg", "image/jpeg",
                              best.file_size))
    for kind in ("document", "video", "video_note", "voice", "audio"):
        media = getattr(message, kind)
        if media is None:
            continue
        default_type, extension = DEFAULT_TYPES[kind]
        name = getattr(media, "file_name", None) or f"{kind}_{media.file_unique_id}.{extension}"
        content_type = getattr(media, "mime_type", None) or default_type
        specs.append(FileSpec(kind, media, name, content_type, media.file_size))
    for spec in specs:
        if spec.size is not None and spec.size > limit:
            raise Oversized
    return specs


class InboundHandlers:
    """The PTB handlers of the Telegram channel and the per-update failure record."""

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.max_file_bytes = ctx.settings.telegram_max_file_bytes
        self.refs = ref_pattern(ctx.profile.reference_prefix)
        self.failures: dict[int, BaseException] = {}

    # -- registration ------------------------------------------------------------------------

    def register(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Order matters: one handler per group runs, the first whose filters match."""
        app.add_handler(TypeHandler(Update, self.guard), group=-1)
        app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self.on_edit))
        app.add_handler(CommandHandler(["start", "help"], self.on_start))
        app.add_handler(CommandHandler("status", self.on_status))
        app.add_handler(CommandHandler("escalate", self.on_escalate))
        app.add_handler(MessageHandler(filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(CONTENT, self.on_message))
        app.add_handler(MessageHandler(filters.Sticker.ALL, self.on_sticker))
        app.add_handler(MessageHandler(filters.ALL, self.on_unsupported))
        app.add_handler(CallbackQueryHandler(self.on_button, pattern=BUTTON_PATTERN))
        app.add_handler(CallbackQueryHandler(self.on_stale_button))
        app.add_error_handler(self.on_error)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Remember which update failed, so it is not confirmed to Telegram."""
        if isinstance(update, Update) and context.error is not None:
            self.failures[update.update_id] = context.error
        log.error("telegram update=%s failed: %s",
                  update.update_id if isinstance(update, Update) else "?",
                  type(context.error).__name__)

    # -- guard -------------------------------------------------------------------------------

    async def guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Private chats only; bots are never answered (their messages are kept, unanswered)."""
        chat = update.effective_chat
        if chat is None or chat.type != chat.PRIVATE:
            log.info("telegram update=%s ignored: not a private chat", update.update_id)
            raise ApplicationHandlerStop
        user = update.effective_user
        if user is not None and user.is_bot:
            message = update.message
            if message is not None and (message.text or message.caption):
                text = message.text or message.caption or ""
                await self.ctx.receive(to_inbound(update, message, text=text,
                                                  received_at=self._date(message)))
            log.info("telegram update=%s from a bot: not answered", update.update_id)
            raise ApplicationHandlerStop

    # -- messages ----------------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        text = message.text if message.text is not None else (message.caption or "")
        try:
            specs = announced_files(message, self.max_file_bytes)
        except Oversized:
            await self._say(message.chat.id, texts.oversized(self.max_file_bytes), update)
            return
        if not text.strip() and not specs:
            await self._say(message.chat.id, texts.empty_message(), update)
            return
        try:
            files = [await self._download(spec) for spec in specs]
        except Oversized:
            await self._say(message.chat.id, texts.oversized(self.max_file_bytes), update)
            return
        attachments = tuple(Attachment(f.filename, f.content_type, f.size) for f in files)
        inbound = to_inbound(update, message, text=text, received_at=self._date(message),
                             attachments=attachments, subject=await self._replied_case(message))
        stored = await self.ctx.receive(inbound)
        if files:
            await asyncio.to_thread(add_files, self.ctx.db, stored.id, files, self.ctx.clock())
        log.info("telegram update=%s stored as inbound=%s (files=%s)", update.update_id,
                 stored.id, len(files))

    async def _download(self, spec: FileSpec) -> NewFile:
        """The file's bytes; a failed download keeps the description and the file id."""
        source = spec.media.file_id
        try:
            file = await spec.media.get_file()
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                raise Oversized from exc
            log.warning("telegram file could not be fetched (%s): kept its id only",
                        type(exc).__name__)
            return NewFile(spec.filename, spec.content_type, spec.size or 0, None, source)
        except TelegramError as exc:
            log.warning("telegram file could not be fetched (%s): kept its id only",
                        type(exc).__name__)
            return NewFile(spec.filename, spec.content_type, spec.size or 0, None, source)
        if len(data) > self.max_file_bytes:
            raise Oversized
        return NewFile(spec.filename, spec.content_type, len(data), data, source)

    async def on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.edited_message
        if message is None:
            return
        text = message.text if message.text is not None else (message.caption or "")
        edited_at = message.edit_date or self.ctx.clock()
        result = await asyncio.to_thread(
            record_edit, self.ctx.db, Channel.TELEGRAM.value, message_external_id(message), text,
            edited_at, self.ctx.clock(), f"update:{update.update_id}")
        if result is None and text.strip():
            # We never received the original (sent before the bot was running): keep it now.
            stored = await self.ctx.receive(to_inbound(update, message, text=text,
                                                       received_at=edited_at))
            log.info("telegram update=%s: edit of an unseen message stored as inbound=%s",
                     update.update_id, stored.id)
            return
        if result is not None:
            log.info("telegram update=%s: edit of inbound=%s recorded (changed=%s)",
                     update.update_id, result.inbound_id, result.changed)

    async def on_sticker(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await self._say(update.message.chat.id, texts.sticker(), update)

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return  # service messages, channel posts: nothing a customer wrote
        if message.text is not None and not message.text.strip():
            await self._say(message.chat.id, texts.empty_message(), update)
            return
        await self._say(message.chat.id, texts.unsupported(), update)

    # -- commands ----------------------------------------------------------------------------

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await self._say(update.message.chat.id, texts.welcome(self.ctx.profile), update)

    async def on_unknown_command(self, update: Update,
                                 context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        command = message.text.split()[0].split("@")[0]
        await self._say(message.chat.id, texts.unknown_command(command), update)

    async def _command_case(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                            command: str) -> tuple[Message, OwnedCase] | None:
        """The case named after /status or /escalate, if this chat owns it; otherwise the chat
        is told how to use the command, or that no such case exists (learning nothing)."""
        message = update.message
        if message is None:
            return None
        ref = self._ref_argument(context)
        if ref is None:
            await self._say(message.chat.id, texts.usage_for(command, self._example_ref()),
                            update)
            return None
        case = await self._owned(ref, message.chat.id)
        if case is None:
            await self._say(message.chat.id, texts.not_found(ref), update)
            return None
        return message, case

    async def on_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = await self._command_case(update, context, "status")
        if found is None:
            return
        message, case = found
        await self._say(message.chat.id, texts.status(case.ref, case.route, case.status,
                                                      case.stage, case.next_due), update)

    async def on_escalate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is None or update.message.text is None:
            return
        text = update.message.text
        found = await self._command_case(update, context, "escalate")
        if found is None:
            return
        message, case = found
        inbound = to_inbound(update, message, text=text,
                             received_at=self._date(message),
                             intent={"action": "escalate", "case_ref": case.ref})
        stored = await self.ctx.receive(inbound)
        log.info("telegram update=%s: escalation request stored as inbound=%s",
                 update.update_id, stored.id)
        await self._say(message.chat.id, texts.escalate_received(case.ref), update)

    # -- buttons -----------------------------------------------------------------------------

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        prefix, _, ref = query.data.partition(":")
        message = query.message
        if message is None:
            await self._answer(query, texts.button_stale())
            return
        case = await self._owned(ref, message.chat.id)
        if case is None:
            await self._answer(query, texts.button_stale())
            return
        action = BUTTON_ACTIONS[prefix]
        label = texts.FORMAL_BUTTON if action == "formal_complaint" else texts.ESCALATE_BUTTON
        inbound = InboundMessage(
            channel=Channel.TELEGRAM, external_id=f"callback:{query.id}",
            received_at=self.ctx.clock(), text=f"[button] {label} ({case.ref})",
            sender=str(query.from_user.id), sender_name=query.from_user.first_name,
            raw=raw_json(update), conversation_id=str(message.chat.id),
            metadata={"update_id": update.update_id, "chat_id": str(message.chat.id),
                      "callback_query_id": query.id,
                      "intent": {"action": action, "case_ref": case.ref}},
        )
        try:
            stored = await self.ctx.receive(inbound)
        except Exception:
            await self._answer(query, texts.try_again_later())
            raise
        log.info("telegram update=%s: button %s stored as inbound=%s", update.update_id,
                 prefix, stored.id)
        await self._answer(query, texts.button_thanks(action))
        if isinstance(message, Message):
            try:
                await message.edit_reply_markup(reply_markup=None)
            except TelegramError as exc:
                log.info("telegram: could not remove the button (%s)", type(exc).__name__)

    async def on_stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._answer(update.callback_query, texts.button_stale())

    # -- helpers -----------------------------------------------------------------------------

    async def _replied_case(self, message: Message) -> str | None:
        """'Re: REF' when the customer used Telegram's reply on one of our messages about a
        case: the pipeline files it on that case, as it does an email reply."""
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return None
        ref = await asyncio.to_thread(case_ref_for_bot_message, self.ctx.db,
                                      str(message.chat.id), replied.message_id)
        return f"Re: {ref}" if ref else None

    def _date(self, message: Message) -> datetime:
        return message.date or self.ctx.clock()

    def _ref_argument(self, context: ContextTypes.DEFAULT_TYPE) -> str | None:
        args = context.args or []
        if not args or not self.refs.match(args[0].strip()):
            return None
        return args[0].strip().upper()

    def _example_ref(self) -> str:
        return f"{self.ctx.profile.reference_prefix}-{self.ctx.clock().year}-00012"

    async def _owned(self, ref: str, chat_id: int) -> OwnedCase | None:
        return await asyncio.to_thread(owned_case, self.ctx.db, ref, str(chat_id))

    async def _say(self, chat_id: int, text: str, update: Update) -> None:
        """A direct answer; if Telegram is unreachable it is dropped (nothing was stored)."""
        try:
            await update.get_bot().send_message(chat_id=chat_id, text=text)
        except TelegramError as exc:
            log.warning("telegram update=%s: direct answer not sent (%s)", update.update_id,
                        type(exc).__name__)

    async def _answer(self, query: CallbackQuery, text: str) -> None:
        try:
            await query.answer(text=text)
        except TelegramError as exc:
            log.info("telegram: callback answer not sent (%s)", type(exc).__name__)
