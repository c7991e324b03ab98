"""Contract of the BlobStore port, run on the in-memory twin and on the OSS adapter.

The OSS adapter talks through ``oss2`` (V4 signatures) to the loopback server of
``tests/loopback/oss_server.py``, which checks every signature and honours signed-URL expiry against a
clock the tests move forward; signed URLs are fetched over real HTTP from that server.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest

from adapters.alibaba.oss_blob_store import OssBlobStore, region_from_endpoint
from adapters.memory.blob_store import InMemoryBlobStore
from adapters.memory.clock import FakeClock
from ports.blob_store import BlobStore
from ports.errors import PermanentFailure, TransientFailure
from tests.loopback.oss_server import OssLoopback, crc64_ecma, running_oss_server

AK, SK, BUCKET, REGION = "LTAI-oss-loopback", "oss-secret-never-printed", "voice-audio", "ap-southeast-1"
KEY = "audio/0b7c6f1e-2d1a-4c8e-9d64-5e1f0a9b3c21.ogg"  # opaque: nothing about the user
AUDIO = b"OggS\x00\x02" + bytes(range(256)) * 40


def _fetch_http(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.read()
    except urllib.error.HTTPError:
        return None


@pytest.fixture(params=["memory", "oss"])
def blobs(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    if request.param == "memory":
        clock = FakeClock()
        store = InMemoryBlobStore(clock)
        yield SimpleNamespace(store=store, fetch=store.read_url, advance=clock.advance, server=None)
        return
    with running_oss_server(AK, SK, bucket=BUCKET, region=REGION) as server:
        store = OssBlobStore(server.endpoint, BUCKET, AK, SK, region=REGION)
        yield SimpleNamespace(store=store, fetch=_fetch_http, advance=server.advance, server=server)


@pytest.fixture
def oss() -> Iterator[OssLoopback]:
    with running_oss_server(AK, SK, bucket=BUCKET, region=REGION) as server:
        yield server


def test_the_adapters_subclass_the_port(blobs: SimpleNamespace) -> None:
    assert BlobStore in type(blobs.store).__mro__


def test_put_exists_delete(blobs: SimpleNamespace) -> None:
    store = blobs.store
    assert not store.exists(KEY)
    store.put(KEY, AUDIO, "audio/ogg")
    assert store.exists(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)
    store.delete(KEY)  # deleting a missing key is not an error


def test_get_returns_the_bytes_and_a_missing_key_is_permanent(blobs: SimpleNamespace) -> None:
    store = blobs.store
    store.put(KEY, AUDIO, "audio/ogg")
    assert store.get(KEY) == AUDIO
    store.delete(KEY)
    with pytest.raises(PermanentFailure):
        store.get(KEY)


def test_a_signed_url_reads_the_blob_until_it_expires(blobs: SimpleNamespace) -> None:
    blobs.store.put(KEY, AUDIO, "audio/ogg")
    url = blobs.store.signed_url(KEY, 600)
    assert blobs.fetch(url) == AUDIO
    blobs.advance(590)  # margin: V4 URLs carry the signing time truncated to the second
    assert blobs.fetch(url) == AUDIO
    blobs.advance(15)
    assert blobs.fetch(url) is None


def test_a_signed_url_stops_working_after_delete(blobs: SimpleNamespace) -> None:
    blobs.store.put(KEY, AUDIO, "audio/ogg")
    url = blobs.store.signed_url(KEY, 3600)
    blobs.store.delete(KEY)
    assert blobs.fetch(url) is None


@pytest.mark.parametrize("expires_s", [0, -1, 3601, 7 * 86400])
def test_signed_urls_live_at_most_one_hour(blobs: SimpleNamespace, expires_s: int) -> None:
    with pytest.raises(ValueError):
        blobs.store.signed_url(KEY, expires_s)


def test_a_put_replaces_the_blob(blobs: SimpleNamespace) -> None:
    blobs.store.put(KEY, b"first", "audio/ogg")
    blobs.store.put(KEY, AUDIO, "audio/ogg")
    assert blobs.fetch(blobs.store.signed_url(KEY, 60)) == AUDIO


# --------------------------------------------------------------------------- OSS specifics


def test_objects_keep_their_content_type_and_crc(oss: OssLoopback) -> None:
    store = OssBlobStore(oss.endpoint, BUCKET, AK, SK, region=REGION)
    store.put(KEY, AUDIO, "audio/ogg")
    assert oss.objects[KEY].content_type == "audio/ogg"
    assert oss.objects[KEY].data == AUDIO
    assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA  # CRC-64/XZ (ECMA-182) check value


def test_requests_are_signed_with_v4_in_header_and_url(oss: OssLoopback) -> None:
    store = OssBlobStore(oss.endpoint, BUCKET, AK, SK, region=REGION)
    store.put(KEY, AUDIO, "audio/ogg")
    url = store.signed_url(KEY, 60)
    assert _fetch_http(url) == AUDIO
    query = parse_qs(urlparse(url).query)
    assert query["x-oss-signature-version"] == ["OSS4-HMAC-SHA256"]
    assert query["x-oss-expires"] == ["60"]
    assert query["x-oss-credential"][0].startswith(f"{AK}/") and "/ap-southeast-1/oss/" in query[
        "x-oss-credential"][0]
    assert SK not in url
    assert [kind for _, _, kind in oss.requests] == ["header", "url"]


def test_the_loopback_refuses_v1_signatures(oss: OssLoopback) -> None:
    import oss2

    v1 = oss2.Bucket(oss2.Auth(AK, SK), oss.endpoint, BUCKET)
    with pytest.raises(oss2.exceptions.AccessDenied):
        v1.put_object(KEY, AUDIO)


def test_a_tampered_signed_url_is_refused(oss: OssLoopback) -> None:
    store = OssBlobStore(oss.endpoint, BUCKET, AK, SK, region=REGION)
    store.put(KEY, AUDIO, "audio/ogg")
    url = store.signed_url(KEY, 60)
    assert _fetch_http(url.replace("x-oss-expires=60", "x-oss-expires=3600")) is None
    assert _fetch_http(url.replace(KEY.rsplit("/", 1)[1], "other.ogg")) is None


def test_a_wrong_secret_is_permanent_and_never_echoed(oss: OssLoopback) -> None:
    store = OssBlobStore(oss.endpoint, BUCKET, AK, "not-the-secret", region=REGION)
    with pytest.raises(PermanentFailure) as info:
        store.put(KEY, AUDIO, "audio/ogg")
    assert info.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(info.value) and AK not in str(info.value)
    unknown = OssBlobStore(oss.endpoint, BUCKET, "LTAI-unknown", SK, region=REGION)
    with pytest.raises(PermanentFailure) as info:
        unknown.exists(KEY)
    assert oss.objects == {}


def test_sts_credentials_sign_with_the_security_token() -> None:
    with running_oss_server(AK, SK, bucket=BUCKET, region=REGION, security_token="sts-token-1") as server:
        store = OssBlobStore(server.endpoint, BUCKET, AK, SK, security_token="sts-token-1", region=REGION)
        store.put(KEY, AUDIO, "audio/ogg")
        url = store.signed_url(KEY, 300)
        assert "x-oss-security-token=sts-token-1" in url
        assert _fetch_http(url) == AUDIO
        without = OssBlobStore(server.endpoint, BUCKET, AK, SK, region=REGION)
        with pytest.raises(PermanentFailure):
            without.exists(KEY)


def test_server_errors_are_transient(oss: OssLoopback) -> None:
    store = OssBlobStore(oss.endpoint, BUCKET, AK, SK, region=REGION)
    oss.fail_next(1)
    with pytest.raises(TransientFailure) as info:
        store.put(KEY, AUDIO, "audio/ogg")
    assert info.value.code == "ServiceUnavailable"
    store.put(KEY, AUDIO, "audio/ogg")
    assert store.exists(KEY)


def test_an_unreachable_endpoint_is_transient() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = OssBlobStore(f"http://127.0.0.1:{port}", BUCKET, AK, SK, region=REGION, connect_timeout=2)
    with pytest.raises(TransientFailure):
        store.exists(KEY)


def test_signed_urls_on_a_real_endpoint_are_https() -> None:
    # Signing is local: no request leaves the machine.
    store = OssBlobStore("oss-ap-southeast-1.aliyuncs.com", BUCKET, AK, SK)
    url = store.signed_url(KEY, 3600)
    assert url.startswith(f"https://{BUCKET}.oss-ap-southeast-1.aliyuncs.com/audio/")
    assert store.region == "ap-southeast-1"
    https = OssBlobStore("https://oss-ap-southeast-1-internal.aliyuncs.com", BUCKET, AK, SK)
    assert https.region == "ap-southeast-1"


@pytest.mark.parametrize("endpoint", ["http://oss-ap-southeast-1.aliyuncs.com", "ftp://example.com"])
def test_a_plain_http_endpoint_is_refused_outside_loopback(endpoint: str) -> None:
    with pytest.raises(ValueError):
        OssBlobStore(endpoint, BUCKET, AK, SK, region=REGION)


def test_v4_needs_a_region() -> None:
    assert region_from_endpoint("https://oss-cn-hangzhou.aliyuncs.com") == "cn-hangzhou"
    assert region_from_endpoint("http://127.0.0.1:9000") is None
    with pytest.raises(ValueError):
        OssBlobStore("http://127.0.0.1:9000", BUCKET, AK, SK)


def test_importing_the_adapter_does_not_import_oss2() -> None:
    import subprocess
    import sys

    code = "import sys, adapters.alibaba.oss_blob_store; print('oss2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=_root())
    assert result.stdout.strip() == "False", result.stderr


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])

