"""The upload plan (OSS multipart rules) and the signed upload ticket."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.uploads import (
    DEFAULT_PART_BYTES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MIN_PART_BYTES,
    TicketRejected,
    UploadTicket,
    decode_ticket,
    encode_ticket,
    is_media_type,
    job_id_for_upload,
    plan_parts,
)

KEY = b"s" * 32
TICKET = UploadTicket(user_id=7, key="uploads/abc", size=123, content_type="video/mp4",
                      store_upload_id="U1", part_count=1, issued_at=1_800_000_000)


def test_two_gigabytes_in_eight_mebibyte_parts():
    plan = plan_parts(2 * 1024**3)
    assert len(plan) == 256 and {size for _, size in plan} == {DEFAULT_PART_BYTES}


def test_one_part_when_it_fits():
    assert plan_parts(1000) == [(1, 1000)]
    assert plan_parts(DEFAULT_PART_BYTES) == [(1, DEFAULT_PART_BYTES)]


@given(st.integers(min_value=1, max_value=200 * 1024**3), st.integers(min_value=1, max_value=64 * 1024**2))
def test_every_plan_obeys_the_multipart_rules(size, part_bytes):
    plan = plan_parts(size, part_bytes)
    assert [n for n, _ in plan] == list(range(1, len(plan) + 1))
    assert len(plan) <= MAX_PARTS
    assert sum(s for _, s in plan) == size
    assert all(s >= MIN_PART_BYTES for _, s in plan[:-1])
    assert 0 < plan[-1][1] <= plan[0][1]


def test_a_file_needing_more_than_ten_thousand_parts_gets_larger_parts():
    plan = plan_parts(100 * 1024**3, DEFAULT_PART_BYTES)
    assert len(plan) <= MAX_PARTS and plan[0][1] > DEFAULT_PART_BYTES


def test_nothing_to_plan_for_an_empty_file():
    with pytest.raises(ValueError):
        plan_parts(0)


def test_a_ticket_round_trips_and_any_change_is_refused():
    text = encode_ticket(TICKET, KEY)
    assert decode_ticket(text, KEY) == TICKET
    body, mac = text.split(".")
    forged = encode_ticket(attrs.evolve(TICKET, user_id=8), KEY).split(".")[0] + "." + mac
    for bad in (forged, body + "." + mac[:-2] + "AA", text + "x", "", "a.b.c"):
        with pytest.raises(TicketRejected):
            decode_ticket(bad, KEY)
    with pytest.raises(TicketRejected):
        decode_ticket(text, b"t" * 32)


def test_media_types_and_job_ids():
    assert is_media_type("audio/ogg") and is_media_type("VIDEO/mp4")
    assert not is_media_type("application/pdf") and not is_media_type("")
    assert job_id_for_upload("uploads/a") == job_id_for_upload("uploads/a") != job_id_for_upload("uploads/b")


# -- the ticket on the wire ---------------------------------------------------------------------------

# TICKET signed with KEY, computed outside Python (the facts as compact JSON with sorted keys, then
# unpadded base64url; the MAC is HMAC-SHA256 of that body text, also unpadded base64url):
#   BODY=$(printf '%s' "$JSON" | base64 -w0 | tr '+/' '-_' | tr -d '=')
#   printf '%s' "$BODY" | openssl dgst -sha256 -hmac ssssssssssssssssssssssssssssssss -binary \
#       | base64 -w0 | tr '+/' '-_' | tr -d '='
TICKET_TEXT = (
    "eyJjb250ZW50X3R5cGUiOiJ2aWRlby9tcDQiLCJpc3N1ZWRfYXQiOjE4MDAwMDAwMDAsImtleSI6InVwbG9hZHMvYWJjIiwicGFy"
    "dF9jb3VudCI6MSwic2l6ZSI6MTIzLCJzdG9yZV91cGxvYWRfaWQiOiJVMSIsInVzZXJfaWQiOjd9"
    ".xzRZP5bYfVW5sJMLWfBlPeDYjWTE4SNyJ5ZairUs9hQ"
)
# The Mini App route takes the ticket as one path segment of at most 4096 such characters.
URL_SAFE_TICKET = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def test_the_ticket_format_is_stable_across_releases():
    # A page may start an upload on one release and complete it on the next.
    assert encode_ticket(TICKET, KEY) == TICKET_TEXT
    assert decode_ticket(TICKET_TEXT, KEY) == TICKET


@pytest.mark.parametrize("key", ["uploads/abc", "uploads/" + "a" * 31, "uploads/é/ü", "u", ""])
def test_a_ticket_is_one_url_path_segment(key):
    text = encode_ticket(attrs.evolve(TICKET, key=key), KEY)
    assert URL_SAFE_TICKET.fullmatch(text), text


@pytest.mark.parametrize("extra", range(8))
def test_every_ticket_we_issue_is_accepted_back_whatever_its_length(extra):
    # Field lengths move the base64 text through every length modulo 4 (and its padding).
    ticket = attrs.evolve(TICKET, key="uploads/" + "k" * extra, store_upload_id="U" * (extra % 3))
    assert decode_ticket(encode_ticket(ticket, KEY), KEY) == ticket


@given(st.builds(UploadTicket, user_id=st.integers(min_value=1, max_value=2**53), key=st.text(max_size=200),
                 size=st.integers(min_value=1, max_value=2**40), content_type=st.text(max_size=40),
                 store_upload_id=st.text(max_size=64), part_count=st.integers(min_value=1, max_value=MAX_PARTS),
                 issued_at=st.integers(min_value=0, max_value=2**33)))
def test_any_ticket_round_trips(ticket):
    assert decode_ticket(encode_ticket(ticket, KEY), KEY) == ticket


def _signed_body(body: str) -> str:
    """``body`` with a MAC that fits it, built from the documented format, not by the code under test."""
    mac = base64.urlsafe_b64encode(hmac.new(KEY, body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    return f"{body}.{mac}"


def test_tickets_are_read_up_to_4096_characters_and_not_beyond():
    longest = attrs.evolve(TICKET, key="uploads/" + "k" * 2910)
    text = encode_ticket(longest, KEY)
    assert len(text) == 4096
    assert decode_ticket(text, KEY) == longest
    # One character more, with a MAC that fits it (a stray padding character decodes to the same
    # facts), is refused before anything is read.
    body = text.split(".")[0]
    for over in (_signed_body(body + "="), _signed_body(body + "=" * 1000)):
        assert len(over) > 4096
        with pytest.raises(TicketRejected):
            decode_ticket(over, KEY)


@pytest.mark.parametrize("text", [None, 12, b"abc.def", ["a.b"]])
def test_a_ticket_that_is_not_text_is_refused(text):
    with pytest.raises(TicketRejected):
        decode_ticket(text, KEY)


def test_the_largest_multipart_upload_is_ten_thousand_parts_of_five_gigabytes():
    plan = plan_parts(MAX_PARTS * MAX_PART_BYTES)
    assert len(plan) == MAX_PARTS and {size for _, size in plan} == {MAX_PART_BYTES}
    with pytest.raises(ValueError):
        plan_parts(MAX_PARTS * MAX_PART_BYTES + 1)


def test_an_uploads_job_id_has_the_shape_of_every_job_id():
    # 32 lowercase hex characters, as for a Telegram file's job: ids travel in button data.
    for key in ("uploads/a", "uploads/" + "x" * 500, ""):
        assert re.fullmatch(r"[0-9a-f]{32}", job_id_for_upload(key))


def _refusal(text: object) -> str:
    with pytest.raises(TicketRejected) as refused:
        decode_ticket(text, KEY)  # type: ignore[arg-type]
    return str(refused.value)


def test_each_refused_ticket_names_why_for_the_operators_log():
    # The Mini App's complete call logs this reason with its 404: a MAC that does not match (a
    # forgery, or a key rotated under an open upload) must read differently from a broken id.
    good = encode_ticket(TICKET, KEY)
    body, mac = good.split(".")
    assert _refusal(None) == "malformed"
    assert _refusal("a" * 4097) == "malformed"
    assert _refusal("a.b.c") == "malformed"
    assert _refusal(body + "." + mac[:-2] + "AA") == "not ours"
    assert _refusal(_signed_body(base64.urlsafe_b64encode(b"[1]").decode().rstrip("="))) == "malformed"
    assert _refusal(_signed_body(base64.urlsafe_b64encode(b'{"user_id": 7}').decode().rstrip("="))) == "malformed"
    assert _refusal(_signed_body("!!!")) == "malformed"
