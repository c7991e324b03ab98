"""Contract of the DirectUploads port (uploads a user's device sends straight to the store).

Run on the in-memory twin (its URLs are handed to ``accept_put``, as the local runner's server does)
and on the OSS adapter through ``oss2`` against the loopback OSS, where every part is a real HTTP
``PUT`` to its V4 signed URL and the browser's CORS preflight is answered from the bucket's rules.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from adapters.alibaba.oss_blob_store import OssBlobStore
from adapters.memory.blob_store import InMemoryBlobStore, UploadRefused
from adapters.memory.clock import FakeClock
from ports.blob_store import DirectUploads
from ports.errors import PermanentFailure
from tests.loopback.oss_server import running_oss_server

AK, SK, BUCKET, REGION = "LTAI-oss-loopback", "oss-secret-never-printed", "voice-audio", "ap-southeast-1"
KEY = "uploads/3f9d2c1a0b7e4d5f8a6c.bin"
PART = 100 * 1024
ORIGIN = "https://bot.example.fcapp.run"


def _http(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=body,
                     headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture(params=["memory", "oss"])
def uploads(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    if request.param == "memory":
        clock = FakeClock()
        store = InMemoryBlobStore(clock, upload_base_url="http://127.0.0.1:1/blobs")

        def put(url: str, body: bytes) -> tuple[int, str | None]:
            parts = urlsplit(url)
            try:
                return 200, store.accept_put(parts.path[len("/blobs/"):], parts.query, body)
            except UploadRefused as exc:
                return exc.status, None

        yield SimpleNamespace(store=store, put=put, advance=clock.advance, server=None)
        return
    with running_oss_server(AK, SK, bucket=BUCKET, region=REGION) as server:
        store = OssBlobStore(server.endpoint, BUCKET, AK, SK, region=REGION)

        def put(url: str, body: bytes) -> tuple[int, str | None]:
            status, headers, _ = _http("PUT", url, body)
            return status, headers.get("ETag")

        yield SimpleNamespace(store=store, put=put, advance=server.advance, server=server)


def test_the_adapters_implement_the_port(uploads):
    assert DirectUploads in type(uploads.store).__mro__


def test_parts_put_to_signed_urls_assemble_into_the_object(uploads):
    store = uploads.store
    data = bytes(range(256)) * (PART * 2 // 256) + b"tail"
    upload_id = store.start_multipart(KEY)
    chunks = [data[:PART], data[PART:2 * PART], data[2 * PART:]]
    etags = []
    for number, chunk in enumerate(chunks, 1):
        status, etag = uploads.put(store.signed_part_url(KEY, upload_id, number, 600), chunk)
        assert status == 200 and etag
        etags.append((number, etag))
    assert store.object_size(KEY) is None  # nothing exists before completion
    store.complete_multipart(KEY, upload_id, list(reversed(etags)))  # any order in, ascending out
    assert store.object_size(KEY) == len(data)
    assert store.get(KEY) == data


def test_download_to_writes_the_object(uploads, tmp_path):
    store = uploads.store
    status, _ = uploads.put(store.signed_put_url(KEY, 600), b"x" * 3_000_000)
    assert status == 200
    target = tmp_path / "source"
    assert store.download_to(KEY, target) == 3_000_000
    assert target.read_bytes() == b"x" * 3_000_000


def test_a_part_url_is_good_for_its_own_part_only(uploads):
    store = uploads.store
    upload_id = store.start_multipart(KEY)
    url = store.signed_part_url(KEY, upload_id, 1, 600)
    forged = url.replace("partNumber=1", "partNumber=2")
    assert forged != url
    assert uploads.put(forged, b"a" * PART)[0] == 403


def test_an_expired_part_url_is_refused(uploads):
    store = uploads.store
    upload_id = store.start_multipart(KEY)
    url = store.signed_part_url(KEY, upload_id, 1, 60)
    uploads.advance(120)
    assert uploads.put(url, b"a" * PART)[0] == 403


def test_completion_checks_etags_and_minimum_part_size(uploads):
    store = uploads.store
    upload_id = store.start_multipart(KEY)
    _, etag1 = uploads.put(store.signed_part_url(KEY, upload_id, 1, 600), b"a" * 1000)  # too small
    _, etag2 = uploads.put(store.signed_part_url(KEY, upload_id, 2, 600), b"b" * 10)
    with pytest.raises(PermanentFailure):
        store.complete_multipart(KEY, upload_id, [(1, '"0000"'), (2, etag2)])
    with pytest.raises(PermanentFailure):
        store.complete_multipart(KEY, upload_id, [(1, etag1), (2, etag2)])
    assert store.object_size(KEY) is None


def test_a_part_sent_again_replaces_the_first(uploads):
    store = uploads.store
    upload_id = store.start_multipart(KEY)
    uploads.put(store.signed_part_url(KEY, upload_id, 1, 600), b"old")
    _, etag = uploads.put(store.signed_part_url(KEY, upload_id, 1, 600), b"new")
    store.complete_multipart(KEY, upload_id, [(1, etag)])
    assert store.get(KEY) == b"new"


def test_abort_forgets_the_upload(uploads):
    store = uploads.store
    upload_id = store.start_multipart(KEY)
    store.abort_multipart(KEY, upload_id)
    store.abort_multipart(KEY, upload_id)  # again: not an error
    assert uploads.put(store.signed_part_url(KEY, upload_id, 1, 600), b"a")[0] == 404


# -- OSS only: the bucket set-up the Mini App needs --------------------------------------------------

@pytest.fixture
def oss():
    with running_oss_server(AK, SK, bucket=BUCKET, region=REGION) as server:
        yield server, OssBlobStore(server.endpoint, BUCKET, AK, SK, region=REGION)


def _preflight(server, origin: str, key: str = KEY):
    return _http("OPTIONS", f"{server.endpoint}/{BUCKET}/{key}", headers={
        "Origin": origin, "Access-Control-Request-Method": "PUT"})


def test_without_cors_a_browser_preflight_is_refused_and_doctor_says_so(oss):
    server, store = oss
    assert _preflight(server, ORIGIN)[0] == 403
    problems = store.direct_upload_problems(ORIGIN, "uploads/")
    assert any("CORS" in p for p in problems) and any("lifecycle" in p for p in problems)


def test_configured_cors_allows_the_origin_and_exposes_etag(oss):
    server, store = oss
    store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=1, expire_after_days=2)
    status, headers, _ = _preflight(server, ORIGIN)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PUT" in headers["Access-Control-Allow-Methods"]
    assert _preflight(server, "https://evil.example")[0] == 403
    upload_id = store.start_multipart(KEY)
    status, headers, _ = _http("PUT", store.signed_part_url(KEY, upload_id, 1, 600), b"a" * 10,
                               headers={"Origin": ORIGIN})
    assert status == 200 and headers["Access-Control-Expose-Headers"] == "ETag" and headers["ETag"]
    assert store.direct_upload_problems(ORIGIN, "uploads/") == []
    assert b"<AbortMultipartUpload><Days>1</Days>" in server.lifecycle_xml
    assert b"<Prefix>uploads/</Prefix>" in server.lifecycle_xml
