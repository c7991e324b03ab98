"""The upload plan (OSS multipart rules) and the signed upload ticket."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.uploads import (
    DEFAULT_PART_BYTES,
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
