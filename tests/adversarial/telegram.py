"""Real Telegram update JSON for the adversarial tests, posted through the webhook's HTTP contract.

``post`` runs a body through ``entrypoints.webhook_http.handle_webhook`` (JSON parsing, the update
parser, the 200/503 answer Telegram acts on) into a ``tests.world.World``; the builders write the
updates as the Bot API sends them (``message.chat.type``, ``forward_origin``, ``successful_payment``
…), so an attack enters the bot exactly where Telegram's would.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from entrypoints.webhook_http import HttpAnswer, handle_webhook

_message_ids = itertools.count(10_000)


def post(world, update: dict[str, Any]) -> HttpAnswer:
    """Deliver one update the way Telegram does (no secret configured in the world)."""
    return handle_webhook("POST", {}, json.dumps(update).encode(), secret="", accept_update=world.accept)


def person(user_id: int, first_name: str = "Ann") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}


def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Ann"}
    return {"id": chat_id, "type": chat_type, "title": "Team chat"}


def message(update_id: int, user_id: int, *, chat_id: int | None = None, chat_type: str = "private",
            **content: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": next(_message_ids), "date": 1_796_515_200, "from": person(user_id),
        "chat": chat(user_id if chat_id is None else chat_id, chat_type), **content}}


def text(update_id: int, user_id: int, body: str, **kw: Any) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(body.split()[0])}] if body.startswith("/") else []
    return message(update_id, user_id, text=body, entities=entities, **kw)


def voice(world, update_id: int, user_id: int, source: Path, *, unique: str, duration: int,
          forwarded_from: int | None = None, **kw: Any) -> dict[str, Any]:
    """A voice note (``file_id`` names a file the world's chat serves); ``forwarded_from`` adds the
    ``forward_origin`` a forwarded copy carries (same ``file_unique_id`` as the original)."""
    file_id = f"voice-{update_id}{source.suffix}"
    (world.media_dir / file_id).write_bytes(source.read_bytes())
    content: dict[str, Any] = {"voice": {"file_id": file_id, "file_unique_id": unique, "duration": duration,
                                         "mime_type": "audio/ogg", "file_size": source.stat().st_size}}
    if forwarded_from is not None:
        content["forward_origin"] = {"type": "user", "date": 1_796_500_000, "sender_user": person(forwarded_from)}
    return message(update_id, user_id, **content, **kw)


def callback(update_id: int, user_id: int, data: str, *, chat_id: int | None = None,
             chat_type: str = "private", message_id: int = 5) -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": f"cb-{update_id}", "from": person(user_id), "chat_instance": "ci-1", "data": data,
        "message": {"message_id": message_id, "date": 1_796_515_200,
                    "chat": chat(user_id if chat_id is None else chat_id, chat_type), "text": "…"}}}


def successful_payment(update_id: int, user_id: int, payload: str, stars: int, charge_id: str) -> dict[str, Any]:
    return message(update_id, user_id, successful_payment={
        "currency": "XTR", "total_amount": stars, "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": ""})


def pre_checkout(update_id: int, user_id: int, payload: str, stars: int, query_id: str) -> dict[str, Any]:
    return {"update_id": update_id, "pre_checkout_query": {
        "id": query_id, "from": person(user_id), "currency": "XTR", "total_amount": stars,
        "invoice_payload": payload}}
