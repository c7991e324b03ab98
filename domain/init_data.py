"""Telegram Mini App ``initData``: the signed query string a Mini App receives, verified.

The algorithm (docs/provider-contracts.md, "Telegram Mini Apps"):

- ``secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)``;
- the data-check-string is every received field except ``hash``, as ``key=value`` with the value
  URL-decoded, sorted by key and joined with ``\\n`` (a ``signature`` field, which Telegram adds for
  third-party validation, is a received field like any other and stays in);
- the data is genuine when ``hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) == hash``;
- ``auth_date`` (Unix seconds) says when Telegram issued it: older than the allowed age is refused,
  so a leaked string cannot be replayed for ever.

Pure: no clock, no I/O; the caller passes ``now``. Nothing here raises on hostile input except
``InitDataRejected`` with a short reason (for logs, never shown to the page).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl

import attrs

from domain.users import Sender

MAX_INIT_DATA_CHARS = 8192
# A clock a little ahead of ours must not make fresh data look as if it came from the future.
CLOCK_SKEW_S = 60


class InitDataRejected(ValueError):
    """The initData is not genuine, malformed, or too old."""


@attrs.frozen
class VerifiedInitData:
    user: Sender
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()


def data_check_string(fields: list[tuple[str, str]]) -> str:
    return "\n".join(f"{key}={value}" for key, value in sorted(fields) if key != "hash")


def sign(fields: list[tuple[str, str]], bot_token: str) -> str:
    """The ``hash`` Telegram would put next to ``fields`` (tests and the local runner sign with it)."""
    return hmac.new(secret_key(bot_token), data_check_string(fields).encode("utf-8"), hashlib.sha256).hexdigest()


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def verify_init_data(init_data: str, bot_token: str, *, now: float, max_age_s: float) -> VerifiedInitData:
    """The user behind a genuine, fresh ``initData``; InitDataRejected otherwise."""
    if not bot_token:
        raise InitDataRejected("no bot token configured")
    if not isinstance(init_data, str) or not init_data or len(init_data) > MAX_INIT_DATA_CHARS:
        raise InitDataRejected("missing or oversized")
    try:
        fields = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRejected("not a query string") from None
    keys = [key for key, _ in fields]
    if len(keys) != len(set(keys)):
        raise InitDataRejected("repeated field")
    values = dict(fields)
    given = values.get("hash", "")
    if not given or not hmac.compare_digest(sign(fields, bot_token), given.lower()):
        raise InitDataRejected("bad hash")
    try:
        auth_date = int(values.get("auth_date", ""))
    except ValueError:
        raise InitDataRejected("no auth_date") from None
    if auth_date > now + CLOCK_SKEW_S:
        raise InitDataRejected("auth_date in the future")
    if now - auth_date > max_age_s:
        raise InitDataRejected("too old")
    try:
        raw_user = json.loads(values.get("user", ""))
    except ValueError:
        raise InitDataRejected("no user") from None
    user_id = raw_user.get("id") if isinstance(raw_user, dict) else None
    if type(user_id) is not int or user_id <= 0:
        raise InitDataRejected("no user id")
    language = raw_user.get("language_code")
    return VerifiedInitData(
        user=Sender(user_id=user_id, first_name=_str(raw_user.get("first_name")),
                        last_name=_str(raw_user.get("last_name")), username=_str(raw_user.get("username")),
                        language_code=language if isinstance(language, str) else None),
        auth_date=auth_date)
