"""Tablestore SDK and transport exceptions as port errors.

Throttling, 5xx, timeouts and connection failures are TransientFailure; other service errors
PermanentFailure, and so is a request the SDK cannot even encode (an integer outside INTEGER's
64 bits): sending it again can only fail again. Messages carry the error code and HTTP status
only, never keys or signatures. A failed row condition is ``ConditionFailed``, which the stores
turn into their own answers (a conflict, "already there").
"""

from __future__ import annotations

import logging
from typing import Any

from ports.errors import PermanentFailure, TransientFailure

PROVIDER = "tablestore"

_TRANSIENT_CODES = frozenset({
    "OTSServerBusy", "OTSServerUnavailable", "OTSTimeout", "OTSInternalServerError",
    "OTSPartitionUnavailable", "OTSRowOperationConflict", "OTSNotEnoughCapacityUnit",
    "OTSQuotaExhausted", "OTSTableNotReady", "OTSOperationThrottled", "OTSCapacityUnitExhausted",
})

_QUIET_HANDLER = logging.NullHandler()


class ConditionFailed(Exception):
    """OTSConditionCheckFail: the row existence or version condition did not hold."""


def sdk() -> Any:
    """Import the SDK on first use (it is slow to import), keeping its import-time warnings quiet."""
    # Without any handler, the SDK's "native encoder not available" warnings go to stderr.
    logging.getLogger("tablestore").addHandler(_QUIET_HANDLER)  # the same object: added once
    import tablestore  # type: ignore[import-untyped]

    return tablestore


def translate(exc: Exception, action: str) -> Exception:
    """A port error (or ConditionFailed) for an SDK or transport exception."""
    tablestore = sdk()
    if isinstance(exc, tablestore.OTSServiceError):
        status = exc.get_http_status()
        code = exc.get_error_code() or ""
        request_id = exc.get_request_id() or ""
        if code == "OTSConditionCheckFail":
            return ConditionFailed()
        message = f"{action} failed (HTTP {status})"
        if code in _TRANSIENT_CODES or status == 429 or (isinstance(status, int) and status >= 500):
            return TransientFailure(PROVIDER, message, code=code, request_id=request_id)
        return PermanentFailure(PROVIDER, message, code=code, request_id=request_id)
    if isinstance(exc, tablestore.OTSClientError):
        # Client-side checks (response signature, MD5, body format) or a non-protobuf error reply.
        status = exc.get_http_status()
        if isinstance(status, int) and (status >= 500 or status == 429):
            return TransientFailure(PROVIDER, f"{action} failed (HTTP {status})")
        return PermanentFailure(PROVIDER, f"{action} failed: client-side error (HTTP {status})")
    if _is_transport_error(exc):
        # urllib3 connection errors, timeouts, resets.
        return TransientFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")
    # The request never left: the SDK could not encode it (struct.error for an integer beyond 64
    # bits, a wrong type). The same request fails the same way every time.
    return PermanentFailure(PROVIDER, f"{action} failed: request not encodable ({type(exc).__name__})",
                            code="RequestNotEncodable")


def _is_transport_error(exc: Exception) -> bool:
    """A failure of the connection or the wait (worth a retry), as opposed to a bad request."""
    import http.client

    import urllib3

    return isinstance(exc, OSError | urllib3.exceptions.HTTPError | http.client.HTTPException)
