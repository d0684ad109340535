"""The Bot API calls that deliver outbox rows, each reported to the runtime's recorder."""

from __future__ import annotations

from telegram import Bot, ForceReply, InlineKeyboardMarkup, InputFile, Message

from handlers.render import split_text
from handlers.runtime import Runtime


def _labels(markup: InlineKeyboardMarkup | ForceReply | None) -> list[list[str]]:
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [[button.text for button in row] for row in markup.inline_keyboard]


async def send_part(
    bot: Bot,
    runtime: Runtime,
    chat_id: int,
    text: str,
    *,
    kind: str,
    order: str | None = None,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
) -> Message:
    """One message of at most 4,096 characters (the outbox splits longer texts)."""
    message = await bot.send_message(chat_id, text, reply_markup=markup)
    _record(runtime, message, text, markup, kind, order, edit=False)
    return message


async def edit(
    bot: Bot,
    runtime: Runtime,
    chat_id: int,
    message_id: int,
    text: str,
    *,
    kind: str,
    order: str | None = None,
    markup: InlineKeyboardMarkup | None = None,
    markup_only: bool = False,
) -> Message | bool:
    """A sent message's text and buttons, or with `markup_only` its buttons alone (the text
    it already shows is `text`, and is recorded as such)."""
    if markup_only:
        result = await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    else:
        result = await bot.edit_message_text(split_text(text)[0], chat_id=chat_id,
                                             message_id=message_id, reply_markup=markup)
    if isinstance(result, Message):
        shown = text if markup_only else result.text or ""
        _record(runtime, result, shown, markup, kind, order, edit=True)
    return result


async def send_document(
    bot: Bot,
    runtime: Runtime,
    chat_id: int,
    filename: str,
    content: bytes,
    caption: str,
    *,
    kind: str,
    order: str | None,
    as_photo: bool = False,
) -> Message:
    message = await (bot.send_photo if as_photo else bot.send_document)(
        chat_id, InputFile(content, filename=filename), caption=caption[:1024])
    _record(runtime, message, caption, None, kind, order, edit=False)
    return message


def _record(
    runtime: Runtime,
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | ForceReply | None,
    kind: str,
    order: str | None,
    *,
    edit: bool,
) -> None:
    if runtime.recorder is not None:
        runtime.recorder(
            chat_id=message.chat_id,
            message_id=message.message_id,
            text=text,
            buttons=_labels(markup),
            kind=kind,
            order=order,
            edit=edit,
            at=runtime.clock.now(),
        )
