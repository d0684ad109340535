"""Sending and editing through PTB, reporting each message to the runtime's recorder."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message

from handlers.render import split_text
from handlers.runtime import Runtime


def _labels(markup: InlineKeyboardMarkup | None) -> list[list[str]]:
    if markup is None:
        return []
    return [[button.text for button in row] for row in markup.inline_keyboard]


async def send(
    bot: Bot,
    runtime: Runtime,
    chat_id: int,
    text: str,
    *,
    kind: str,
    order: str | None = None,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message:
    """Send text (split past 4,096 characters; buttons ride on the last part)."""
    parts = split_text(text)
    message: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        message = await bot.send_message(
            chat_id,
            part,
            reply_markup=markup if last else None,
            reply_to_message_id=reply_to if index == 0 else None,
            allow_sending_without_reply=True,
        )
        _record(runtime, message, part, markup if last else None, kind, order, edit=False)
    assert message is not None
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
) -> None:
    result = await bot.edit_message_text(
        split_text(text)[0], chat_id=chat_id, message_id=message_id, reply_markup=markup
    )
    if isinstance(result, Message):
        _record(runtime, result, result.text or "", markup, kind, order, edit=True)


async def edit_markup(
    bot: Bot,
    runtime: Runtime,
    chat_id: int,
    message_id: int,
    text: str,
    *,
    kind: str,
    order: str | None,
    markup: InlineKeyboardMarkup | None,
) -> None:
    result = await bot.edit_message_reply_markup(
        chat_id=chat_id, message_id=message_id, reply_markup=markup
    )
    if isinstance(result, Message):
        _record(runtime, result, text, markup, kind, order, edit=True)


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
) -> Message:
    message = await bot.send_document(chat_id, InputFile(content, filename=filename),
                                      caption=caption[:1024])
    _record(runtime, message, caption, None, kind, order, edit=False)
    return message


def _record(
    runtime: Runtime,
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | None,
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
