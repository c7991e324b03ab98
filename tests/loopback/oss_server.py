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
- Multipart uploads as OSS documents them (docs/provider-contracts.md, "OSS multipart"):
  ``POST ?uploads`` (InitiateMultipartUpload, XML ``UploadId``), ``PUT ?partNumber=N&uploadId=ID``
  (UploadPart; N from 1 to 10,000; ``ETag`` in the answer; the same N again replaces the part),
  ``POST ?uploadId=ID`` with the ``CompleteMultipartUpload`` XML (parts in ascending order, ETags
  matching, every part but the last at least 100 KB, else ``InvalidPartOrder``/``InvalidPart``/
  ``EntityTooSmall``), ``DELETE ?uploadId=ID`` (AbortMultipartUpload). An unknown upload id is 404
  ``NoSuchUpload``. Signed part URLs carry ``partNumber`` and ``uploadId`` in their signed query.
- Bucket CORS (``PUT/GET/DELETE /<bucket>/?cors``) and lifecycle (``PUT/GET /<bucket>/?lifecycle``)
  are stored as the whole XML that was put, and a PUT replaces all of it, as on OSS. A PUT that OSS
  refuses is refused (400, nothing stored): more than 10 CORS rules; more than 1,000 lifecycle rules,
  a repeated rule ID, two rules with the same prefix, the same action on overlapping prefixes, or an
  expiration not later than a transition on overlapping prefixes.
  A browser's preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is
  answered from the first matching rule (origin, method and every requested header allowed) with the
  ``Access-Control-*`` headers, or 403 when none matches;
  an actual request with ``Origin`` gets ``Access-Control-Allow-Origin`` and
  ``Access-Control-Expose-Headers`` from the matching rule, and none when no rule matches (the
  browser then hides the answer from the page). ``fail_part_puts(n)`` drops the connection of the
  next n part uploads without answering (a connection lost mid-upload).

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
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.etree import ElementTree

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


MIN_PART_BYTES = 100 * 1024
MAX_PARTS = 10_000


@attrs.define
class Upload:
    key: str
    parts: dict[int, tuple[bytes, str]] = attrs.field(factory=dict)  # number → (bytes, ETag)


@attrs.define
class CorsRule:
    origins: list[str]
    methods: list[str]
    headers: list[str]
    expose: list[str]
    max_age: int | None


def _wildcard(pattern: str, value: str) -> bool:
    """OSS allows one ``*`` in an AllowedOrigin or AllowedHeader."""
    if "*" not in pattern:
        return pattern.lower() == value.lower()
    head, _, tail = pattern.lower().partition("*")
    value = value.lower()
    return value.startswith(head) and value.endswith(tail) and len(value) >= len(head) + len(tail)


MAX_CORS_RULES = 10
MAX_LIFECYCLE_RULES = 1000
_ONE_PER_OBJECT = ("Expiration", "AbortMultipartUpload", "NoncurrentVersionExpiration")


def _check_lifecycle_rules(rules: list[ElementTree.Element]) -> None:
    """PutBucketLifecycle's refusals of rules that clash (docs/provider-contracts.md, "OSS lifecycle"):
    too many rules, a repeated ID, two rules with the same prefix, two rules with the same action
    (Expiration, NoncurrentVersionExpiration, AbortMultipartUpload) on overlapping prefixes, and an
    expiration in days not later than a transition in days on overlapping prefixes. Checked on every
    rule, enabled or not (the refusal pages do not single out disabled rules)."""
    if len(rules) > MAX_LIFECYCLE_RULES:
        raise _OssError(400, "InvalidArgument", f"At most {MAX_LIFECYCLE_RULES} lifecycle rules per bucket.")
    ids = [(rule.findtext("ID") or "").strip() for rule in rules]
    if len(set(ids)) != len(ids):
        raise _OssError(400, "InvalidArgument", "Rule ID must be unique.")
    prefixes = [(rule.findtext("Prefix") or "").strip() for rule in rules]
    for i, j in itertools.combinations(range(len(rules)), 2):
        a, b = prefixes[i], prefixes[j]
        if a == b:
            raise _OssError(400, "InvalidArgument", "Two lifecycle rules have the same prefix.")
        if not (a.startswith(b) or b.startswith(a)):
            continue
        if any(rules[i].find(action) is not None and rules[j].find(action) is not None for action in _ONE_PER_OBJECT):
            raise _OssError(400, "InvalidArgument", "Overlapping prefixes with the same lifecycle action.")
        for expiring, moving in ((rules[i], rules[j]), (rules[j], rules[i])):
            expire = expiring.findtext("Expiration/Days")
            if expire and any(int(days) >= int(expire) for days in (t.findtext("Days") for t in
                                                                     moving.findall("Transition")) if days):
                raise _OssError(400, "InvalidArgument", "Expiration must come after the transitions.")


def _etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


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
        self.uploads: dict[str, Upload] = {}
        self.cors_xml: bytes | None = None
        self.lifecycle_xml: bytes | None = None
        self.part_puts: list[tuple[str, int]] = []  # (upload id, part number) of every stored part
        self.preflights: list[tuple[str, str, bool]] = []  # (origin, requested method, allowed)
        self._drop_parts = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def fail_part_puts(self, n: int = 1) -> None:
        """Drop the connection of the next ``n`` part uploads (the part is not stored)."""
        with self._lock:
            self._drop_parts += n

    def take_part_drop(self) -> bool:
        with self._lock:
            if self._drop_parts:
                self._drop_parts -= 1
                return True
            return False

    def cors_rules(self) -> list[CorsRule]:
        if not self.cors_xml:
            return []
        root = ElementTree.fromstring(self.cors_xml)
        rules = []
        for node in root.findall("CORSRule"):
            age = node.findtext("MaxAgeSeconds")
            rules.append(CorsRule([e.text or "" for e in node.findall("AllowedOrigin")],
                                  [e.text or "" for e in node.findall("AllowedMethod")],
                                  [e.text or "" for e in node.findall("AllowedHeader")],
                                  [e.text or "" for e in node.findall("ExposeHeader")],
                                  int(age) if age else None))
        return rules

    def matching_cors_rule(self, origin: str, method: str, request_headers: list[str]) -> CorsRule | None:
        for rule in self.cors_rules():
            if not any(_wildcard(o, origin) for o in rule.origins):
                continue
            if method.upper() not in (m.upper() for m in rule.methods):
                continue
            if all(any(_wildcard(h, wanted) for h in rule.headers) for wanted in request_headers):
                return rule
        return None

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
        self._cors = None
        try:
            if method == "OPTIONS":
                self._preflight(headers)
                return
            origin = headers.get("origin")
            if origin:
                self._cors = store.matching_cors_rule(origin, method, [])
            if store.take_failure():
                raise _OssError(503, "ServiceUnavailable", "Please reduce your request rate.")
            kind = store.verify(method, path, query, headers)
            bucket, _, key = path.lstrip("/").partition("/")
            if bucket != store.bucket:
                raise _OssError(404, "NoSuchBucket", "The specified bucket does not exist.")
            params = dict(query)
            if not key:
                self._bucket_config(method, params, body)
                return
            store.requests.append((method, key, kind))
            if method == "POST" and "uploads" in params:
                self._initiate(key)
            elif method == "PUT" and "uploadId" in params:
                self._upload_part(key, params, body)
            elif method == "POST" and "uploadId" in params:
                self._complete(key, params["uploadId"], body)
            elif method == "DELETE" and "uploadId" in params:
                if store.uploads.pop(params["uploadId"], None) is None:
                    raise _OssError(404, "NoSuchUpload", "The specified upload does not exist.")
                self._reply(204, b"", {})
            elif method == "PUT":
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

    do_PUT = do_GET = do_HEAD = do_DELETE = do_POST = do_OPTIONS = _handle

    # ---- CORS

    def _preflight(self, headers: dict[str, str]) -> None:
        store: OssLoopback = self.server.backend
        origin = headers.get("origin", "")
        wanted = headers.get("access-control-request-method", "")
        asked = [h.strip() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
        rule = store.matching_cors_rule(origin, wanted, asked) if origin and wanted else None
        store.preflights.append((origin, wanted, rule is not None))
        if rule is None:
            raise _OssError(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
        out = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ", ".join(rule.methods),
               "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
        if asked:
            out["Access-Control-Allow-Headers"] = ", ".join(asked)
        if rule.expose:
            out["Access-Control-Expose-Headers"] = ", ".join(rule.expose)
        if rule.max_age is not None:
            out["Access-Control-Max-Age"] = str(rule.max_age)
        self._reply(200, b"", out)

    def _cors_headers(self) -> dict[str, str]:
        rule = getattr(self, "_cors", None)
        if rule is None:
            return {}
        out = {"Access-Control-Allow-Origin": self.headers.get("Origin", ""),
               "Access-Control-Allow-Methods": ", ".join(rule.methods), "Vary": "Origin"}
        if rule.expose:
            out["Access-Control-Expose-Headers"] = ", ".join(rule.expose)
        return out

    # ---- bucket configuration

    def _bucket_config(self, method: str, params: dict[str, str], body: bytes) -> None:
        store: OssLoopback = self.server.backend
        name = "cors" if "cors" in params else "lifecycle" if "lifecycle" in params else None
        if name is None:
            raise _OssError(400, "InvalidObjectName", "The object name is empty.")
        store.requests.append((method, "?" + name, "header"))
        attr = f"{name}_xml"
        if method == "PUT":
            try:
                root = ElementTree.fromstring(body)
            except ElementTree.ParseError:
                raise _OssError(400, "MalformedXML", "The XML you provided was not well-formed.") from None
            if name == "lifecycle":
                for rule in root.findall("Rule"):
                    abort = rule.find("AbortMultipartUpload")
                    if abort is not None and (abort.find("Days") is None) == (abort.find("CreatedBeforeDate") is None):
                        raise _OssError(400, "MalformedXML", "AbortMultipartUpload needs Days or CreatedBeforeDate.")
                _check_lifecycle_rules(root.findall("Rule"))
            elif len(root.findall("CORSRule")) > MAX_CORS_RULES:
                raise _OssError(400, "InvalidArgument", f"At most {MAX_CORS_RULES} CORS rules per bucket.")
            setattr(store, attr, body)
            self._reply(200, b"", {})
        elif method == "DELETE":
            setattr(store, attr, None)
            self._reply(204, b"", {})
        else:
            stored = getattr(store, attr)
            if stored is None:
                code = "NoSuchCORSConfiguration" if name == "cors" else "NoSuchLifecycle"
                raise _OssError(404, code, f"The {name} configuration does not exist.")
            self._reply(200, stored, {"Content-Type": "application/xml"})

    # ---- multipart

    def _initiate(self, key: str) -> None:
        store: OssLoopback = self.server.backend
        upload_id = uuid.uuid4().hex.upper()
        store.uploads[upload_id] = Upload(key)
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult>'
               f"<Bucket>{store.bucket}</Bucket><Key>{key}</Key><UploadId>{upload_id}</UploadId>"
               "</InitiateMultipartUploadResult>").encode()
        self._reply(200, xml, {"Content-Type": "application/xml"})

    def _upload(self, key: str, upload_id: str) -> Upload:
        store: OssLoopback = self.server.backend
        upload = store.uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise _OssError(404, "NoSuchUpload", "The specified upload does not exist.")
        return upload

    def _upload_part(self, key: str, params: dict[str, str], body: bytes) -> None:
        store: OssLoopback = self.server.backend
        upload = self._upload(key, params["uploadId"])
        try:
            number = int(params.get("partNumber", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PARTS:
            raise _OssError(400, "InvalidArgument", "Part number must be an integer between 1 and 10000.")
        if store.take_part_drop():
            # The connection goes away before any answer: the browser sees a network error.
            self.close_connection = True
            self.connection.shutdown(2)
            return
        upload.parts[number] = (body, _etag(body))
        store.part_puts.append((params["uploadId"], number))
        self._reply(200, b"", {"ETag": _etag(body), "x-oss-hash-crc64ecma": str(crc64_ecma(body))})

    def _complete(self, key: str, upload_id: str, body: bytes) -> None:
        store: OssLoopback = self.server.backend
        upload = self._upload(key, upload_id)
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise _OssError(400, "MalformedXML", "The XML you provided was not well-formed.") from None
        listed = [(int(p.findtext("PartNumber") or 0), (p.findtext("ETag") or "").strip()) for p in root.findall("Part")]
        if not listed:
            raise _OssError(400, "MalformedXML", "The XML you provided was not well-formed.")
        numbers = [n for n, _ in listed]
        if numbers != sorted(set(numbers)):
            raise _OssError(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        chunks = []
        for index, (number, etag) in enumerate(listed):
            stored = upload.parts.get(number)
            if stored is None or stored[1].strip('"') != etag.strip('"'):
                raise _OssError(400, "InvalidPart", "One or more of the specified parts could not be found.")
            if index < len(listed) - 1 and len(stored[0]) < MIN_PART_BYTES:
                raise _OssError(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.")
            chunks.append(stored[0])
        data = b"".join(chunks)
        del store.uploads[upload_id]
        store.objects[key] = StoredObject(data, "application/octet-stream", store.now())
        digest = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest().upper()
        etag = f'"{digest}-{len(chunks)}"'
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult>'
               f"<Location>{store.endpoint}/{store.bucket}/{key}</Location><Bucket>{store.bucket}</Bucket>"
               f"<Key>{key}</Key><ETag>{etag}</ETag></CompleteMultipartUploadResult>").encode()
        self._reply(200, xml, {"Content-Type": "application/xml", "ETag": etag,
                               "x-oss-hash-crc64ecma": str(crc64_ecma(data))})

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
            *((name, value) for name, value in self._cors_headers().items() if name not in headers),
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
