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
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import attrs

from adapters.alibaba.oss_bucket_rules import MergedRules, merge_cors, merge_lifecycle
from ports.blob_store import BlobStore, DirectUploads
from ports.errors import PermanentFailure, TransientFailure

PROVIDER = "oss"
MAX_URL_LIFETIME_S = 3600
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_REGION_IN_ENDPOINT = re.compile(r"^oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


@attrs.frozen
class BucketRulesMerge:
    """What ``configure_direct_uploads`` did to each configuration."""

    cors: MergedRules
    lifecycle: MergedRules


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


class OssBlobStore(BlobStore, DirectUploads):
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

    # -- uploads from a user's device (the Mini App): multipart with one signed URL per part ------
    def _signed(self, method: str, key: str, expires_s: int, params: dict[str, str] | None = None) -> str:
        if not 0 < expires_s <= MAX_URL_LIFETIME_S:
            raise ValueError("signed URLs live at most one hour")
        url = self._call("sign url", lambda: self._bucket.sign_url(method, key, int(expires_s), params=params,
                                                                     slash_safe=True))
        parsed = urlparse(url)
        if parsed.scheme != "https" and not _is_loopback(parsed.hostname):
            raise PermanentFailure(PROVIDER, "signed URL is not HTTPS")
        return str(url)

    def start_multipart(self, key: str) -> str:
        return str(self._call("start multipart upload", lambda: self._bucket.init_multipart_upload(key).upload_id))

    def signed_part_url(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        # partNumber and uploadId are part of the signed query: the URL is good for that part only.
        return self._signed("PUT", key, expires_s, {"partNumber": str(part_number), "uploadId": upload_id})

    def signed_put_url(self, key: str, expires_s: int) -> str:
        return self._signed("PUT", key, expires_s)

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> None:
        import oss2.models

        infos = [oss2.models.PartInfo(number, etag) for number, etag in sorted(parts)]
        self._call("complete multipart upload", lambda: self._bucket.complete_multipart_upload(key, upload_id, infos))

    def abort_multipart(self, key: str, upload_id: str) -> None:
        import oss2.exceptions as oss_errors

        try:
            self._bucket.abort_multipart_upload(key, upload_id)
        except oss_errors.NoSuchUpload:
            return
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "abort multipart upload") from None

    def object_size(self, key: str) -> int | None:
        import oss2.exceptions as oss_errors

        try:
            return int(self._bucket.head_object(key).content_length)
        except oss_errors.NotFound:
            return None
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "check object") from None

    def download_to(self, key: str, target: Path) -> int:
        # oss2 copies the response into the file in chunks and checks the CRC-64 at the end.
        self._call("get object", lambda: self._bucket.get_object_to_file(key, str(target)))
        return target.stat().st_size

    # -- bucket set-up for the Mini App (admin CLI, doctor) ---------------------------------------
    def _bucket_config(self, name: str) -> bytes | None:
        """The bucket's ``cors`` or ``lifecycle`` configuration as OSS sent it (None when it has none).

        The raw XML, not ``oss2``'s models: those drop elements they do not know, and the operator's
        rules must go back exactly as they are."""
        import oss2.exceptions as oss_errors

        try:
            # oss2 2.19.1's own accessor for a bucket sub-resource's raw answer (the same GET as
            # get_bucket_cors/get_bucket_lifecycle, with the same errors); the contract tests run it.
            return bytes(self._bucket._get_bucket_config(name).read())
        except (oss_errors.NoSuchCors, oss_errors.NoSuchLifecycle):
            return None
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, f"get bucket {name}") from None

    def configure_direct_uploads(self, origins: Sequence[str], prefix: str, abort_after_days: int,
                                 expire_after_days: int) -> BucketRulesMerge:
        """The CORS rule that lets the Mini App's origin PUT parts and read their ETag, and the lifecycle
        rule that removes abandoned parts and leftover uploads under ``prefix``, merged into the bucket's
        configurations: every other rule is kept (``adapters.alibaba.oss_bucket_rules``).

        Both merges are computed before anything is written, so a configuration that would break an
        OSS limit raises ``RulesConflict`` and changes nothing. The lifecycle goes first: if OSS refuses
        it, the CORS rules are still untouched. A configuration already right is not written again."""
        cors = merge_cors(self._bucket_config("cors"), origins)
        lifecycle = merge_lifecycle(self._bucket_config("lifecycle"), prefix, abort_after_days, expire_after_days)
        if lifecycle.needs_writing:
            self._call("put bucket lifecycle", lambda: self._bucket.put_bucket_lifecycle(lifecycle.xml))
        if cors.needs_writing:
            self._call("put bucket cors", lambda: self._bucket.put_bucket_cors(cors.xml))
        return BucketRulesMerge(cors=cors, lifecycle=lifecycle)

    def direct_upload_problems(self, origin: str, prefix: str) -> list[str]:
        """What stops the Mini App from uploading (for ``doctor``): [] when CORS and lifecycle are right."""
        import oss2.exceptions as oss_errors

        problems: list[str] = []
        try:
            rules = self._bucket.get_bucket_cors().rules
        except oss_errors.NoSuchCors:
            rules = []
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "get bucket cors") from None
        if not any((origin in r.allowed_origins or "*" in r.allowed_origins) and "PUT" in r.allowed_methods
                   and any(h.lower() == "etag" for h in r.expose_headers) for r in rules):
            problems.append(f"no CORS rule lets {origin} PUT and read ETag")
        try:
            lifecycle = self._bucket.get_bucket_lifecycle().rules
        except oss_errors.NoSuchLifecycle:
            lifecycle = []
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "get bucket lifecycle") from None
        if not any(prefix.startswith(r.prefix or "") and r.status == "Enabled" and r.abort_multipart_upload
                   for r in lifecycle):
            problems.append(f"no lifecycle rule aborts unfinished uploads under {prefix}")
        return problems
