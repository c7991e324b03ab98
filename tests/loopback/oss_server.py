"""A loopback OSS server for contract tests of the real OSS blob store.

Path-style object API as ``oss2`` 2.19.1 uses it against an IP endpoint:

- ``PUT /<bucket>/<key>`` stores the body and its Content-Type; replies 200 with ``ETag``,
  ``x-oss-request-id`` and a correct ``x-oss-hash-crc64ecma`` (oss2 checks it).
- ``GET`` returns the object (with the CRC header), ``HEAD ?objectMeta`` its metadata,
  ``DELETE`` 204 whether or not it existed. A missing object is 404 ``NoSuchKey`` (on HEAD the XML
  error travels base64-encoded in ``x-oss-err``, as OSS does).
- Every request must be signed with **V4** (``OSS4-HMAC-SHA256``), in the Authorization header or in
  the query of a signed URL: the canonical request is rebuilt and the HMAC-SHA256 signature checked.
  A V1 signature (``OSS AKID:...``, ``Signature=`` URLs) is refused with 403, as OSS does for new
  buckets; a wrong secret gives 403 ``SignatureDoesNotMatch``, an unknown key id 403
  ``InvalidAccessKeyId``. With ``security_token`` set, STS requests must carry it.
- Signed URLs honour ``x-oss-date`` + ``x-oss-expires`` against the server's clock, which a test can
  move forward with ``advance(seconds)``: an expired URL gets 403 ``AccessDenied``.
- ``fail_next(n)`` makes the next n requests answer 503 ``ServiceUnavailable``.

Usage::

    with running_oss_server(AK, SK, bucket="audio") as oss:
        store = OssBlobStore(oss.endpoint, "audio", AK, SK, region=oss.region)
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import email.utils
import hashlib
import hmac
import itertools
import threading
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from tests.loopback._serving import (
    InjectedFailures,
    LoopbackHandler,
    LoopbackHTTPServer,
    MovableClock,
    ServiceError,
    serve,
)

_SIGNED_HEADERS = ("content-type", "content-md5")
_V4_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


def crc64_ecma(data: bytes) -> int:
    """The CRC-64/ECMA OSS reports in ``x-oss-hash-crc64ecma`` (oss2's own implementation)."""
    from oss2.utils import Crc64

    crc = Crc64()
    crc.update(data)
    return crc.crc


def _v4_encode(text: str, keep_slashes: bool) -> str:
    out = []
    for byte in text.encode("utf-8"):
        if byte in _V4_SAFE or (keep_slashes and byte == ord("/")):
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


@attrs.define
class StoredObject:
    data: bytes
    content_type: str
    last_modified: float


class _OssError(ServiceError):
    """An OSS error reply (XML; on HEAD base64 in ``x-oss-err``)."""


class OssLoopback(InjectedFailures, MovableClock):
    """The in-memory bucket behind the handler, with clock, fault and inspection helpers."""

    def __init__(self, access_key_id: str, access_key_secret: str, bucket: str, region: str,
                 security_token: str | None = None) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.bucket = bucket
        self.region = region
        self.security_token = security_token
        self.endpoint = ""
        self.objects: dict[str, StoredObject] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, key, auth kind: header|url)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def next_request_id(self) -> str:
        return f"5F0A{next(self._ids):020d}"

    # ---- signature V4

    def _signing_key(self, date: str, region: str) -> bytes:
        key = hmac.new(("aliyun_v4" + self.access_key_secret).encode(), date.encode(), hashlib.sha256).digest()
        key = hmac.new(key, region.encode(), hashlib.sha256).digest()
        key = hmac.new(key, b"oss", hashlib.sha256).digest()
        return hmac.new(key, b"aliyun_v4_request", hashlib.sha256).digest()

    def verify(self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str]) -> str:
        """Check the request's V4 signature; returns "header" or "url". Raises _OssError."""
        params = dict(query)
        authorization = headers.get("authorization", "")
        if "x-oss-signature" in params:
            kind = "url"
            credential = params.get("x-oss-credential", "")
            signature = params["x-oss-signature"]
            date_time = params.get("x-oss-date", "")
            additional = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
            try:
                signed_at = datetime.datetime.strptime(date_time, "%Y%m%dT%H%M%SZ").replace(
                    tzinfo=datetime.UTC).timestamp()
                expires = int(params.get("x-oss-expires", "0"))
            except ValueError:
                raise _OssError(400, "InvalidArgument", "Bad x-oss-date or x-oss-expires.") from None
            if signed_at + expires < self.now():
                raise _OssError(403, "AccessDenied", "Request has expired.")
            if "x-oss-security-token" in params and params["x-oss-security-token"] != self.security_token:
                raise _OssError(403, "InvalidSecurityToken", "The security token you provided is invalid.")
            if self.security_token is not None and "x-oss-security-token" not in params:
                raise _OssError(403, "AccessDenied", "A security token is required.")
            canonical_query = [(k, v) for k, v in query if k != "x-oss-signature"]
        elif authorization.startswith("OSS4-HMAC-SHA256 "):
            kind = "header"
            fields = dict(
                part.strip().split("=", 1) for part in authorization[len("OSS4-HMAC-SHA256 "):].split(",")
                if "=" in part)
            credential = fields.get("Credential", "")
            signature = fields.get("Signature", "")
            additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
            date_time = headers.get("x-oss-date", "")
            try:
                signed_at = datetime.datetime.strptime(date_time, "%Y%m%dT%H%M%SZ").replace(
                    tzinfo=datetime.UTC).timestamp()
            except ValueError:
                raise _OssError(403, "AccessDenied", "Bad x-oss-date.") from None
            if abs(signed_at - self.now()) > 15 * 60:
                raise _OssError(403, "RequestTimeTooSkewed", "The difference between the request time and "
                                                             "the current time is too large.")
            token = headers.get("x-oss-security-token")
            if token is not None and token != self.security_token:
                raise _OssError(403, "InvalidSecurityToken", "The security token you provided is invalid.")
            if self.security_token is not None and token is None:
                raise _OssError(403, "AccessDenied", "A security token is required.")
            canonical_query = list(query)
        elif authorization.startswith("OSS ") or "Signature" in params:
            raise _OssError(403, "AccessDenied", "V1 signatures are not accepted for this bucket.")
        else:
            raise _OssError(403, "AccessDenied", "You have no right to access this object.")

        parts = credential.split("/")
        if len(parts) != 5 or parts[3] != "oss" or parts[4] != "aliyun_v4_request":
            raise _OssError(400, "InvalidArgument", "Malformed credential.")
        access_key_id, date, region = parts[0], parts[1], parts[2]
        if access_key_id != self.access_key_id:
            raise _OssError(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist.")
        if date != date_time[:8]:
            raise _OssError(403, "SignatureDoesNotMatch", "Credential date does not match x-oss-date.")

        canonical_params = sorted((_v4_encode(k, False), _v4_encode(v, False)) for k, v in canonical_query)
        canonical_headers = sorted(
            (name, value) for name, value in headers.items()
            if name.startswith("x-oss-") or name in _SIGNED_HEADERS or name in additional)
        canonical_request = "\n".join([
            method,
            _v4_encode(path, True),
            "&".join(f"{k}={v}" if v else k for k, v in canonical_params),
            "".join(f"{k}:{v}\n" for k, v in canonical_headers),
            ";".join(sorted(additional)),
            headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ])
        scope = f"{date}/{region}/oss/aliyun_v4_request"
        string_to_sign = "\n".join([
            "OSS4-HMAC-SHA256", date_time, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
        expected = hmac.new(self._signing_key(date, region), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise _OssError(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                                                          "match the signature you provided.")
        return kind


class _Handler(LoopbackHandler):
    timeout = 10

    def _handle(self) -> None:
        store: OssLoopback = self.server.backend
        method = self.command
        body = self.read_body()
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        headers = {k.lower(): v.strip() for k, v in self.headers.items()}
        try:
            if store.take_failure():
                raise _OssError(503, "ServiceUnavailable", "Please reduce your request rate.")
            kind = store.verify(method, path, query, headers)
            bucket, _, key = path.lstrip("/").partition("/")
            if bucket != store.bucket:
                raise _OssError(404, "NoSuchBucket", "The specified bucket does not exist.")
            if not key:
                raise _OssError(400, "InvalidObjectName", "The object name is empty.")
            store.requests.append((method, key, kind))
            if method == "PUT":
                self._put(key, body, headers)
            elif method == "DELETE":
                store.objects.pop(key, None)
                self._reply(204, b"", {})
            else:
                stored = store.objects.get(key)
                if stored is None:
                    raise _OssError(404, "NoSuchKey", "The specified key does not exist.")
                self._reply(200, stored.data if method == "GET" else b"", {
                    "Content-Type": stored.content_type,
                    "ETag": '"' + hashlib.md5(stored.data).hexdigest().upper() + '"',
                    "Last-Modified": email.utils.formatdate(stored.last_modified, usegmt=True),
                    "x-oss-hash-crc64ecma": str(crc64_ecma(stored.data)),
                    "x-oss-object-type": "Normal",
                }, content_length=len(stored.data))
        except _OssError as exc:
            self._reply_error(method, exc)

    do_PUT = do_GET = do_HEAD = do_DELETE = _handle

    def _put(self, key: str, body: bytes, headers: dict[str, str]) -> None:
        store: OssLoopback = self.server.backend
        content_type = headers.get("content-type", "application/octet-stream")
        store.objects[key] = StoredObject(body, content_type, store.now())
        self._reply(200, b"", {
            "ETag": '"' + hashlib.md5(body).hexdigest().upper() + '"',
            "x-oss-hash-crc64ecma": str(crc64_ecma(body)),
        })

    def _reply_error(self, method: str, exc: _OssError) -> None:
        store: OssLoopback = self.server.backend
        request_id = store.next_request_id()
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{exc.code}</Code><Message>{exc.message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>127.0.0.1</HostId></Error>"
        ).encode()
        headers = {"Content-Type": "application/xml", "x-oss-request-id": request_id}
        if method == "HEAD":
            headers["x-oss-err"] = base64.b64encode(xml).decode()
            self._reply(exc.status, b"", headers, request_id=request_id)
        else:
            self._reply(exc.status, xml, headers, request_id=request_id)

    def _reply(self, status: int, body: bytes, headers: dict[str, str], *, request_id: str | None = None,
               content_length: int | None = None) -> None:
        store: OssLoopback = self.server.backend
        self.reply(status, body, [
            ("x-oss-request-id", request_id or store.next_request_id()),
            ("Date", email.utils.formatdate(usegmt=True)),
            *((name, value) for name, value in headers.items() if name != "x-oss-request-id"),
        ], content_length=content_length)


@contextlib.contextmanager
def running_oss_server(access_key_id: str, access_key_secret: str, bucket: str = "audio",
                       region: str = "ap-southeast-1",
                       security_token: str | None = None) -> Iterator[OssLoopback]:
    """Serve one bucket on 127.0.0.1 (random port); ``.endpoint`` is ``http://127.0.0.1:PORT``."""
    store = OssLoopback(access_key_id, access_key_secret, bucket, region, security_token)
    server = LoopbackHTTPServer(_Handler, store)
    store.endpoint = server.url
    with serve(server, "oss-loopback"):
        yield store
