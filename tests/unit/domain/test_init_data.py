"""Mini App initData verification against Telegram's documented algorithm.

The known-answer vector below was computed outside Python with OpenSSL, not with the code under test:

    KEY=$(printf '%s' '123456:TEST-token-not-real' | openssl dgst -sha256 -hmac WebAppData -hex)
    printf 'auth_date=1765000000\\nquery_id=AAF-test-query\\nsignature=sig-ABC_def\\nuser={...}' \\
        | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -hex
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlencode

import pytest

from domain.init_data import MAX_INIT_DATA_CHARS, InitDataRejected, secret_key, verify_init_data
from domain.users import Sender

TOKEN = "123456:TEST-token-not-real"
USER_JSON = '{"id":424242,"first_name":"Ann","language_code":"ru"}'
OPENSSL_SECRET_KEY = "c50e7402610549b7a6ca0eead130035fadad866545b763011d1b22d477c637c3"
OPENSSL_HASH = "46ca3ea6cccd2aa35bb777c0268d8ad420d5cbb10edd02ef404306d23e440934"
AUTH_DATE = 1765000000
DAY = 86400


def _query(hash_value: str, **overrides: str) -> str:
    # Telegram's order is not sorted; the verifier must sort itself.
    fields = {"query_id": "AAF-test-query", "user": USER_JSON, "auth_date": str(AUTH_DATE),
              "signature": "sig-ABC_def", "hash": hash_value}
    fields.update(overrides)
    return urlencode(fields, quote_via=quote)


def _independent_hash(pairs: dict[str, str], token: str = TOKEN) -> str:
    """The documented steps written out separately from the production helpers."""
    check = "\n".join(f"{k}={pairs[k]}" for k in sorted(pairs))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return hmac.new(key, check.encode(), hashlib.sha256).hexdigest()


def test_secret_key_matches_openssl():
    assert secret_key(TOKEN).hex() == OPENSSL_SECRET_KEY


def test_the_openssl_vector_verifies():
    verified = verify_init_data(_query(OPENSSL_HASH), TOKEN, now=AUTH_DATE + 10, max_age_s=DAY)
    assert verified.user.user_id == 424242
    assert verified.user.first_name == "Ann"
    assert verified.user.language_code == "ru"
    assert verified.auth_date == AUTH_DATE


def test_uppercase_hex_hash_is_the_same_hash():
    assert verify_init_data(_query(OPENSSL_HASH.upper()), TOKEN, now=AUTH_DATE, max_age_s=DAY).user.user_id == 424242


def test_signature_is_part_of_the_checked_string():
    # Dropping or altering the signature field changes the data-check-string: the hash no longer fits.
    with pytest.raises(InitDataRejected):
        verify_init_data(_query(OPENSSL_HASH, signature="other"), TOKEN, now=AUTH_DATE, max_age_s=DAY)


def test_a_string_signed_without_signature_verifies_by_the_same_rule():
    pairs = {"auth_date": str(AUTH_DATE), "user": USER_JSON}
    query = urlencode({**pairs, "hash": _independent_hash(pairs)}, quote_via=quote)
    assert verify_init_data(query, TOKEN, now=AUTH_DATE, max_age_s=DAY).user.user_id == 424242


@pytest.mark.parametrize("change", [
    {"user": USER_JSON.replace("424242", "424243")},  # another user
    {"auth_date": str(AUTH_DATE + 1)},
    {"hash": "0" * 64},
    {"hash": ""},
])
def test_any_tampering_is_rejected(change):
    change = dict(change)  # the parameter is shared by every run of the test: never mutate it
    query = _query(change.pop("hash", OPENSSL_HASH), **change)
    with pytest.raises(InitDataRejected):
        verify_init_data(query, TOKEN, now=AUTH_DATE, max_age_s=DAY)


def test_another_bots_token_is_rejected():
    with pytest.raises(InitDataRejected):
        verify_init_data(_query(OPENSSL_HASH), "654321:other-token", now=AUTH_DATE, max_age_s=DAY)


def test_stale_data_is_rejected_and_fresh_accepted_at_the_boundary():
    assert verify_init_data(_query(OPENSSL_HASH), TOKEN, now=AUTH_DATE + DAY, max_age_s=DAY)
    with pytest.raises(InitDataRejected, match="too old"):
        verify_init_data(_query(OPENSSL_HASH), TOKEN, now=AUTH_DATE + DAY + 1, max_age_s=DAY)


def test_data_from_the_future_beyond_skew_is_rejected():
    with pytest.raises(InitDataRejected, match="future"):
        verify_init_data(_query(OPENSSL_HASH), TOKEN, now=AUTH_DATE - 3600, max_age_s=DAY)


@pytest.mark.parametrize("raw", ["", "hash", "a=1&a=2&hash=x", "%%%", "x" * 9000])
def test_malformed_strings_are_rejected(raw):
    with pytest.raises(InitDataRejected):
        verify_init_data(raw, TOKEN, now=AUTH_DATE, max_age_s=DAY)


def test_a_genuine_string_without_a_user_id_is_rejected():
    pairs = {"auth_date": str(AUTH_DATE), "user": '{"first_name":"NoId"}'}
    query = urlencode({**pairs, "hash": _independent_hash(pairs)}, quote_via=quote)
    with pytest.raises(InitDataRejected, match="user id"):
        verify_init_data(query, TOKEN, now=AUTH_DATE, max_age_s=DAY)


def test_no_token_configured_rejects_everything():
    with pytest.raises(InitDataRejected):
        verify_init_data(_query(OPENSSL_HASH), "", now=AUTH_DATE, max_age_s=DAY)


# -- each refusal says why (the reason is what the operator reads in the log of a 401) ----------------

def _signed(pairs: dict[str, str], token: str = TOKEN) -> str:
    """A query string signed by Telegram's rule (the independent helper above), fields in the given order."""
    return urlencode({**pairs, "hash": _independent_hash(pairs, token)}, quote_via=quote)


FRESH = {"auth_date": str(AUTH_DATE), "user": USER_JSON}


def _without(name: str) -> dict[str, str]:
    return {key: value for key, value in FRESH.items() if key != name}


@pytest.mark.parametrize(("init_data", "token", "reason"), [
    (_query(OPENSSL_HASH), "", "no bot token configured"),
    ("", TOKEN, "missing or oversized"),
    (None, TOKEN, "missing or oversized"),  # a page can send any JSON value
    (b"auth_date=1", TOKEN, "missing or oversized"),
    ("x" * 9000, TOKEN, "missing or oversized"),
    ("hash", TOKEN, "not a query string"),
    ("%%%", TOKEN, "not a query string"),
    ("auth_date=1&&hash=x", TOKEN, "not a query string"),
    ("a=1&a=2&hash=x", TOKEN, "repeated field"),
    ("auth_date=1&user=%7B%7D", TOKEN, "bad hash"),  # no hash at all
    ("auth_date=1&hash=", TOKEN, "bad hash"),
    (_query("0" * 64), TOKEN, "bad hash"),
    (_signed(_without("auth_date")), TOKEN, "no auth_date"),
    (_signed({**FRESH, "auth_date": "yesterday"}), TOKEN, "no auth_date"),
    (_signed({**FRESH, "auth_date": str(AUTH_DATE + 61)}), TOKEN, "auth_date in the future"),
    (_signed({**FRESH, "auth_date": str(AUTH_DATE - DAY - 1)}), TOKEN, "too old"),
    (_signed(_without("user")), TOKEN, "no user"),
    (_signed({**FRESH, "user": "{not json"}), TOKEN, "no user"),
    (_signed({**FRESH, "user": "[424242]"}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": "424242"}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": '"424242"'}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": '{"id":"424242"}'}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": '{"id":true}'}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": '{"id":4.0}'}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": '{"id":0}'}), TOKEN, "no user id"),
    (_signed({**FRESH, "user": '{"id":-5}'}), TOKEN, "no user id"),
])
def test_each_refusal_names_its_reason(init_data, token, reason):
    with pytest.raises(InitDataRejected) as refused:
        verify_init_data(init_data, token, now=AUTH_DATE, max_age_s=DAY)
    assert str(refused.value) == reason


def test_the_smallest_user_id_is_a_user():
    verified = verify_init_data(_signed({**FRESH, "user": '{"id":1}'}), TOKEN, now=AUTH_DATE, max_age_s=DAY)
    assert verified.user.user_id == 1


@pytest.mark.parametrize(("skew", "accepted"), [(60, True), (61, False)])
def test_a_clock_a_minute_ahead_is_tolerated_exactly(skew, accepted):
    query = _signed({**FRESH, "auth_date": str(AUTH_DATE + skew)})
    if accepted:
        assert verify_init_data(query, TOKEN, now=AUTH_DATE, max_age_s=DAY).auth_date == AUTH_DATE + skew
    else:
        with pytest.raises(InitDataRejected, match="future"):
            verify_init_data(query, TOKEN, now=AUTH_DATE, max_age_s=DAY)


def test_every_name_field_of_the_user_is_kept():
    user = '{"id":5,"first_name":"Ann","last_name":"Lee","username":"annlee","language_code":"en"}'
    verified = verify_init_data(_signed({**FRESH, "user": user}), TOKEN, now=AUTH_DATE, max_age_s=DAY)
    assert verified.user == Sender(user_id=5, first_name="Ann", last_name="Lee", username="annlee",
                                   language_code="en")


@pytest.mark.parametrize("user", [
    '{"id":5}',
    '{"id":5,"first_name":7,"last_name":null,"username":["a"],"language_code":5}',
    '{"id":5,"first_name":{},"last_name":false,"username":1.5,"language_code":{"x":"en"}}',
])
def test_missing_or_non_text_names_read_as_empty(user):
    verified = verify_init_data(_signed({**FRESH, "user": user}), TOKEN, now=AUTH_DATE, max_age_s=DAY)
    assert verified.user == Sender(user_id=5, first_name="", last_name="", username="", language_code=None)


def test_a_blank_field_is_part_of_the_checked_string():
    # Telegram signs every field it sends, an empty one included (``key=`` in the data-check-string).
    pairs = {**FRESH, "start_param": ""}
    assert verify_init_data(_signed(pairs), TOKEN, now=AUTH_DATE, max_age_s=DAY).user.user_id == 424242
    # The same hash without the blank field no longer fits: the field was signed.
    tampered = urlencode({**FRESH, "hash": _independent_hash(pairs)}, quote_via=quote)
    with pytest.raises(InitDataRejected, match="bad hash"):
        verify_init_data(tampered, TOKEN, now=AUTH_DATE, max_age_s=DAY)


def test_a_genuine_string_with_a_stray_separator_is_refused():
    with pytest.raises(InitDataRejected, match="not a query string"):
        verify_init_data(_signed(FRESH) + "&", TOKEN, now=AUTH_DATE, max_age_s=DAY)


def _genuine_of_length(chars: int) -> str:
    # query_id is signed like any field; its length sets the string's (the hash is always 64 hex).
    base = len(_signed({**FRESH, "query_id": ""}))
    query = _signed({**FRESH, "query_id": "A" * (chars - base)})
    assert len(query) == chars
    return query


def test_a_genuine_string_is_read_up_to_the_size_limit_and_not_beyond():
    assert verify_init_data(_genuine_of_length(MAX_INIT_DATA_CHARS), TOKEN, now=AUTH_DATE,
                            max_age_s=DAY).user.user_id == 424242
    with pytest.raises(InitDataRejected, match="missing or oversized"):
        verify_init_data(_genuine_of_length(MAX_INIT_DATA_CHARS + 1), TOKEN, now=AUTH_DATE, max_age_s=DAY)
