"""Temporary audio on OSS (``oss2``), read by the async ASR through short-lived signed URLs.

- Signing is V4 (``OSS4-HMAC-SHA256``): OSS no longer offers V1 signatures to new accounts (since
  2025-03-01) nor to new buckets (since 2025-09-01). V4 needs the bucket's region; it is read from a
  standard endpoint (``https://oss-ap-southeast-1.aliyuncs.com`` → ``ap-southeast-1``) or given.
- With ``security_token`` (FC's STS credentials) requests use ``oss2.StsAuth`` (V4); a signed URL then
  carries the token and cannot outlive it.
- Signed URLs live at most one hour (``signed_url`` refuses more) and are HTTPS, as DashScope requires
  (its async passes refuse plain-HTTP file URLs). An endpoint without a scheme gets ``https://``,
  and a plain ``http://`` endpoint is refused, except on loopback hosts (127.0.0.1, localhost, ::1),
  which the contract tests use.
- Keys are chosen by the caller and must not reveal who the audio belongs to: no user or chat ids, no
  names, no original file names; an opaque random id (``audio/<uuid4>.ogg``) is right. The bucket
  should have a lifecycle rule deleting leftovers after a day.

Errors: connection failures, timeouts, 429 and 5xx raise TransientFailure; other 4xx
PermanentFailure. Messages carry the HTTP status and OSS error code only: OSS error bodies can echo
the string to sign and the access key id, so they are never copied.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlparse

from ports.blob_store import BlobStore
from ports.errors import PermanentFailure, TransientFailure

PROVIDER = "oss"
MAX_URL_LIFETIME_S = 3600
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_REGION_IN_ENDPOINT = re.compile(r"^oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


def _is_loopback(host: str | None) -> bool:
    return (host or "") in _LOOPBACK_HOSTS


def _normalise_endpoint(endpoint: str) -> str:
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    parsed = urlparse(endpoint)
    if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
        raise ValueError("OSS endpoint must be https:// (signed URLs are fetched by DashScope over HTTPS)")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("OSS endpoint must look like https://oss-<region>.aliyuncs.com")
    return endpoint.rstrip("/")


def region_from_endpoint(endpoint: str) -> str | None:
    """``ap-southeast-1`` for ``https://oss-ap-southeast-1(-internal).aliyuncs.com``, else None."""
    host = urlparse(endpoint if "://" in endpoint else "https://" + endpoint).hostname or ""
    match = _REGION_IN_ENDPOINT.match(host)
    return match.group(1) if match else None


def _translate(exc: Exception, action: str) -> Exception:
    import oss2.exceptions as oss_errors

    if isinstance(exc, oss_errors.OssError):
        status = exc.status
        code = exc.code or ""
        request_id = exc.request_id or ""
        if isinstance(exc, oss_errors.RequestError):
            return TransientFailure(PROVIDER, f"{action} failed: connection error")
        if isinstance(exc, oss_errors.InconsistentError):
            return TransientFailure(PROVIDER, f"{action} failed: CRC mismatch", request_id=request_id)
        if isinstance(exc, oss_errors.ClientError):
            return PermanentFailure(PROVIDER, f"{action} failed: invalid request")
        if status == 429 or status >= 500:
            return TransientFailure(PROVIDER, f"{action} failed (HTTP {status})", code=code,
                                    request_id=request_id)
        return PermanentFailure(PROVIDER, f"{action} failed (HTTP {status})", code=code, request_id=request_id)
    if isinstance(exc, OSError):
        return TransientFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")
    return PermanentFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")


class OssBlobStore(BlobStore):
    def __init__(self, endpoint: str, bucket: str, access_key_id: str, access_key_secret: str,
                 security_token: str | None = None, region: str | None = None, *,
                 connect_timeout: float = 10.0) -> None:
        self._endpoint = _normalise_endpoint(endpoint)
        region = region or region_from_endpoint(self._endpoint)
        if not region:
            raise ValueError("OSS V4 signing needs the bucket's region (e.g. 'ap-southeast-1')")
        self.region = region
        self._settings = (bucket, access_key_id, access_key_secret, security_token, connect_timeout)
        self._client: Any = None

    @property
    def _bucket(self) -> Any:
        """The oss2 bucket, built on first use: the webhook resolves this adapter but rarely uses
        it, and importing oss2 costs ~150 ms of a cold start."""
        if self._client is None:
            import oss2

            # oss2 logs every request's Authorization header (the V4 signature) and its
            # string-to-sign at DEBUG; keep that out of the function logs whatever LOG_LEVEL says.
            logging.getLogger("oss2").setLevel(logging.WARNING)
            bucket, access_key_id, access_key_secret, security_token, connect_timeout = self._settings
            if security_token:
                auth: Any = oss2.StsAuth(access_key_id, access_key_secret, security_token,
                                         auth_version=oss2.AUTH_VERSION_4)
            else:
                auth = oss2.AuthV4(access_key_id, access_key_secret)
            try:
                self._client = oss2.Bucket(auth, self._endpoint, bucket, connect_timeout=connect_timeout,
                                           region=self.region)
            except oss2.exceptions.ClientError:
                raise PermanentFailure(PROVIDER, "invalid OSS bucket name") from None
        return self._client

    def _call(self, action: str, fn: Any) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every SDK failure is translated
            raise _translate(exc, action) from None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._call("put object", lambda: self._bucket.put_object(
            key, data, headers={"Content-Type": content_type}))

    def get(self, key: str) -> bytes:
        return bytes(self._call("get object", lambda: self._bucket.get_object(key).read()))

    def delete(self, key: str) -> None:
        import oss2.exceptions as oss_errors

        try:
            self._bucket.delete_object(key)
        except oss_errors.NoSuchKey:
            return
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "delete object") from None

    def exists(self, key: str) -> bool:
        return bool(self._call("check object", lambda: self._bucket.object_exists(key)))

    def signed_url(self, key: str, expires_s: int) -> str:
        if not 0 < expires_s <= MAX_URL_LIFETIME_S:
            raise ValueError("signed URLs live at most one hour")
        url = self._call("sign url", lambda: self._bucket.sign_url("GET", key, int(expires_s), slash_safe=True))
        parsed = urlparse(url)
        if parsed.scheme != "https" and not _is_loopback(parsed.hostname):
            raise PermanentFailure(PROVIDER, "signed URL is not HTTPS")
        return url
