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


# -- configure-uploads merges into the bucket's configurations (real oss2, loopback OSS) ---------------

SHOP = "https://shop.example"
# The audio rule docs/deploy.md tells the operator to set, and an operator's CORS rule for another site.
AUDIO_LIFECYCLE = (b"<LifecycleConfiguration><Rule><ID>delete-audio</ID><Prefix>audio/</Prefix><Status>Enabled"
                   b"</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>")
SHOP_CORS = (f"<CORSConfiguration><CORSRule><AllowedOrigin>{SHOP}</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
             "<AllowedHeader>*</AllowedHeader><ExposeHeader>x-oss-meta-author</ExposeHeader></CORSRule>"
             "</CORSConfiguration>").encode()


def _rules(xml: bytes, tag: str) -> list[bytes]:
    from xml.etree import ElementTree

    return [ElementTree.canonicalize(ElementTree.tostring(r), strip_text=True).encode()
            for r in ElementTree.fromstring(xml).findall(tag)]


def _bucket_puts(server) -> list[str]:
    return [key for method, key, _ in server.requests if method == "PUT" and key in ("?cors", "?lifecycle")]


@pytest.fixture
def configured_bucket(oss):
    """The bucket as an operator left it, set through oss2 itself (PutBucketLifecycle, PutBucketCors)."""
    server, store = oss
    store._bucket.put_bucket_lifecycle(AUDIO_LIFECYCLE)
    store._bucket.put_bucket_cors(SHOP_CORS)
    server.requests.clear()
    return server, store


def test_configure_keeps_the_audio_rule_and_the_operators_cors_rule(configured_bucket):
    from adapters.alibaba.oss_bucket_rules import Change

    server, store = configured_bucket
    audio_rule, shop_rule = _rules(AUDIO_LIFECYCLE, "Rule")[0], _rules(SHOP_CORS, "CORSRule")[0]
    merge = store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=1, expire_after_days=2)

    assert merge.lifecycle.ours is Change.ADDED and merge.cors.ours is Change.ADDED
    assert merge.lifecycle.kept == ("delete-audio (prefix audio/: Expiration)",)
    assert merge.cors.kept == (f"{SHOP} (GET)",)
    lifecycle = _rules(server.lifecycle_xml, "Rule")
    assert len(lifecycle) == 2 and lifecycle[0] == audio_rule and b"<ID>direct-uploads</ID>" in lifecycle[1]
    cors = _rules(server.cors_xml, "CORSRule")
    assert len(cors) == 2 and cors[1] == shop_rule and f"<AllowedOrigin>{ORIGIN}</AllowedOrigin>".encode() in cors[0]
    # Both sites still work in a browser, and doctor's check passes.
    assert _preflight(server, ORIGIN)[0] == 200
    status, headers, _ = _http("OPTIONS", f"{server.endpoint}/{BUCKET}/{KEY}", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "GET"})
    assert status == 200 and headers["Access-Control-Expose-Headers"] == "x-oss-meta-author"
    assert store.direct_upload_problems(ORIGIN, "uploads/") == []
    # What oss2 reads back: the audio rule is whole.
    audio = [r for r in store._bucket.get_bucket_lifecycle().rules if r.id == "delete-audio"]
    assert len(audio) == 1 and audio[0].prefix == "audio/" and audio[0].expiration.days == 1


def test_configure_twice_gives_the_same_configuration_and_writes_nothing_the_second_time(configured_bucket):
    from adapters.alibaba.oss_bucket_rules import Change

    server, store = configured_bucket
    store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=1, expire_after_days=2)
    assert _bucket_puts(server) == ["?lifecycle", "?cors"]
    cors_xml, lifecycle_xml = server.cors_xml, server.lifecycle_xml
    again = store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=1, expire_after_days=2)
    assert again.cors.ours is Change.UNCHANGED and again.lifecycle.ours is Change.UNCHANGED
    assert (server.cors_xml, server.lifecycle_xml) == (cors_xml, lifecycle_xml)
    assert _bucket_puts(server) == ["?lifecycle", "?cors"]
    # New days replace our rule only.
    changed = store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=3, expire_after_days=5)
    assert changed.lifecycle.ours is Change.REPLACED and changed.cors.ours is Change.UNCHANGED
    lifecycle = _rules(server.lifecycle_xml, "Rule")
    assert len(lifecycle) == 2 and lifecycle[0] == _rules(AUDIO_LIFECYCLE, "Rule")[0]
    assert b"<AbortMultipartUpload><Days>3</Days></AbortMultipartUpload>" in lifecycle[1]


def test_a_merge_over_an_oss_limit_is_refused_and_changes_nothing(configured_bucket):
    from adapters.alibaba.oss_bucket_rules import RulesConflict

    server, store = configured_bucket
    ten = b"".join(f"<CORSRule><AllowedOrigin>https://s{i}.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                   "</CORSRule>".encode() for i in range(10))
    store._bucket.put_bucket_cors(b"<CORSConfiguration>" + ten + b"</CORSConfiguration>")
    server.requests.clear()
    before = (server.cors_xml, server.lifecycle_xml)
    with pytest.raises(RulesConflict, match="at most 10"):
        store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=1, expire_after_days=2)
    assert (server.cors_xml, server.lifecycle_xml) == before and _bucket_puts(server) == []


def test_a_whole_bucket_expiration_rule_is_refused_and_changes_nothing(oss):
    from adapters.alibaba.oss_bucket_rules import RulesConflict

    server, store = oss
    store._bucket.put_bucket_lifecycle(AUDIO_LIFECYCLE.replace(b"audio/", b""))
    server.requests.clear()
    with pytest.raises(RulesConflict, match=r"delete-audio \(the whole bucket\) also has Expiration"):
        store.configure_direct_uploads([ORIGIN], "uploads/", abort_after_days=1, expire_after_days=2)
    assert server.cors_xml is None and _bucket_puts(server) == []


def test_the_loopback_refuses_what_oss_refuses(oss):
    # So an accepted merge above means OSS's documented checks passed.
    import oss2.exceptions

    _server, store = oss
    overlapping = AUDIO_LIFECYCLE.replace(b"</LifecycleConfiguration>", (
        b"<Rule><ID>all</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>9</Days></Expiration>"
        b"</Rule></LifecycleConfiguration>"))
    duplicate_id = AUDIO_LIFECYCLE.replace(b"</LifecycleConfiguration>", (
        b"<Rule><ID>delete-audio</ID><Prefix>x/</Prefix><Status>Enabled</Status><Expiration><Days>9</Days>"
        b"</Expiration></Rule></LifecycleConfiguration>"))
    late_transition = (b"<LifecycleConfiguration><Rule><ID>ia</ID><Prefix></Prefix><Status>Enabled</Status><Transition>"
                       b"<Days>30</Days><StorageClass>IA</StorageClass></Transition></Rule>"
                       b"<Rule><ID>direct-uploads</ID><Prefix>uploads/</Prefix><Status>Enabled</Status>"
                       b"<Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>")
    for body in (overlapping, duplicate_id, late_transition):
        with pytest.raises(oss2.exceptions.ServerError) as refused:
            store._bucket.put_bucket_lifecycle(body)
        assert refused.value.status == 400
    eleven = b"".join(f"<CORSRule><AllowedOrigin>https://s{i}.example</AllowedOrigin><AllowedMethod>GET"
                      "</AllowedMethod></CORSRule>".encode() for i in range(11))
    with pytest.raises(oss2.exceptions.ServerError):
        store._bucket.put_bucket_cors(b"<CORSConfiguration>" + eleven + b"</CORSConfiguration>")
