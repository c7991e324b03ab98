"""The job queue on MNS (Simple Message Queue) with the official ``aliyun-mns-sdk`` (module ``mns``).

- The webhook publishes ``{"job_id": "..."}``; the SDK base64-encodes message bodies by default and the
  FC queue trigger decodes them, so the default stays on.
- ``receive``/``ack``/``release`` mirror the in-memory queue (``adapters.memory.job_queue``) so one
  contract suite covers both; the worker uses them in the local poll mode, while on FC the queue
  trigger delivers messages instead.
- Only ids travel through the queue (bodies are capped at 64 KB): never audio, never user data.

Wrong distribution: the PyPI distribution ``aliyun-mns`` 1.1.5 ships the same ``mns`` module but prints
the AccessKeySecret and signatures to stdout on every request. The constructor refuses any ``mns``
module that is not ``aliyun-mns-sdk``.

Errors: network failures, throttling and server errors raise TransientFailure; other service errors
PermanentFailure. Messages carry the MNS error code only, never keys, signatures or bodies.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import attrs

from ports.errors import PermanentFailure, TransientFailure
from ports.job_queue import JobQueue

PROVIDER = "mns"
SDK_DISTRIBUTION = "aliyun-mns-sdk"
log = logging.getLogger(__name__)

_TRANSIENT_CODES = frozenset({
    "InternalError", "ServiceUnavailable", "ServerBusy", "Throttling", "QpsLimitExceeded",
    "QPSLimitExceeded", "TooManyRequests", "RequestTimeout",
})
# What a delete with an outdated receipt handle answers (the message was redelivered or is gone).
_STALE_RECEIPT_CODES = frozenset({"ReceiptHandleError", "MessageNotExist"})


@attrs.frozen
class ReceivedJob:
    """One delivery: the same fields as the in-memory queue's ``QueuedMessage``."""

    message_id: str
    job_id: str
    receipt: str
    dequeue_count: int


def _sdk() -> Any:
    import mns

    try:
        from mns import pkg_info
    except ImportError:
        pkg_info = None
    if getattr(pkg_info, "name", "") != SDK_DISTRIBUTION:
        raise PermanentFailure(
            PROVIDER, f"the installed 'mns' module is not {SDK_DISTRIBUTION} (aliyun-mns 1.1.5 prints "
                      "credentials to stdout); vendor aliyun-mns-sdk in the code bundle")
    return mns


def _translate(exc: Exception, action: str) -> Exception:
    from mns.mns_exception import MNSClientNetworkException, MNSClientParameterException, MNSServerException

    if isinstance(exc, MNSServerException):
        code = exc.type or ""
        request_id = getattr(exc, "request_id", "") or ""
        if code in _TRANSIENT_CODES:
            return TransientFailure(PROVIDER, f"{action} failed", code=code, request_id=request_id)
        return PermanentFailure(PROVIDER, f"{action} failed", code=code, request_id=request_id)
    if isinstance(exc, MNSClientNetworkException):
        # Connection failures and unreadable replies (a 5xx from a proxy has no MNS XML body).
        return TransientFailure(PROVIDER, f"{action} failed: network or unreadable reply", code=exc.type or "")
    if isinstance(exc, MNSClientParameterException):
        return PermanentFailure(PROVIDER, f"{action} failed: invalid parameter", code=exc.type or "")
    if isinstance(exc, OSError):
        return TransientFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")
    return PermanentFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")


class _Channel:
    """One Account (one HTTP connection) and its queue handle; the SDK's connection is not thread-safe."""

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, security_token: str,
                 queue_name: str, connection_timeout: float) -> None:
        from mns.account import Account

        account = Account(endpoint, access_key_id, access_key_secret, security_token)
        http = account.mns_client.http
        if http.is_https:
            # set_connection_timeout only reaches plain-HTTP connections; without this an HTTPS
            # connection has no timeout at all and a stalled endpoint hangs the caller.
            http.conn.timeout = connection_timeout
        else:
            account.mns_client.set_connection_timeout(connection_timeout)
        self.queue = account.get_queue(queue_name)
        self.lock = threading.Lock()


class MnsJobQueue(JobQueue):
    """Publishes job ids to one MNS queue; also a consumer for tests and the local poll mode."""

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, queue_name: str,
                 security_token: str | None = None, *, connection_timeout: float = 2.0) -> None:
        _sdk()
        # The SDK compares the token with "" to decide whether to send it: never pass None.
        args = (endpoint, access_key_id, access_key_secret, security_token or "", queue_name,
                connection_timeout)
        self._publisher = _Channel(*args)
        # A separate connection, so a long poll never delays a publish; its socket timeout must
        # outlast the longest long poll (30 s).
        self._consumer = _Channel(*args[:-1], max(connection_timeout, 35))
        self.queue_name = queue_name

    def publish(self, job_id: str) -> None:
        from mns.queue import Message

        body = json.dumps({"job_id": job_id})
        with self._publisher.lock:
            try:
                self._publisher.queue.send_message(Message(body))
            except Exception as exc:  # noqa: BLE001 - every SDK failure is translated
                raise _translate(exc, "send message") from None

    def receive(self, wait_s: int = 0) -> ReceivedJob | None:
        """The next visible message (invisible for the queue's visibility timeout), or None.

        ``wait_s`` is MNS long polling (0–30 s). A message whose body is not a job id is deleted and
        reported as None: it can never be processed, and it would come back forever.
        """
        from mns.mns_exception import MNSServerException

        with self._consumer.lock:
            try:
                message = self._consumer.queue.receive_message(wait_seconds=max(0, min(int(wait_s), 30)))
            except MNSServerException as exc:
                if exc.type == "MessageNotExist":
                    return None
                raise _translate(exc, "receive message") from None
            except Exception as exc:  # noqa: BLE001
                raise _translate(exc, "receive message") from None
        body = message.message_body
        try:
            text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else str(body)
            job_id = json.loads(text)["job_id"]
            if not isinstance(job_id, str) or not job_id:
                raise ValueError("job_id")
        except (ValueError, KeyError, TypeError):
            log.warning("dropping a queue message that carries no job id (message %s)", message.message_id)
            self.ack(message.receipt_handle)
            return None
        return ReceivedJob(message.message_id, job_id, message.receipt_handle, int(message.dequeue_count))

    def ack(self, receipt: str) -> bool:
        """Delete the message; False when the receipt is stale (redelivered since, or already gone)."""
        from mns.mns_exception import MNSServerException

        with self._consumer.lock:
            try:
                self._consumer.queue.delete_message(receipt)
            except MNSServerException as exc:
                if exc.type in _STALE_RECEIPT_CODES:
                    return False
                raise _translate(exc, "delete message") from None
            except Exception as exc:  # noqa: BLE001
                raise _translate(exc, "delete message") from None
        return True

    def release(self, receipt: str) -> None:
        """Give a received message back: visible again after 1 s (the smallest MNS allows)."""
        from mns.mns_exception import MNSServerException

        with self._consumer.lock:
            try:
                self._consumer.queue.change_message_visibility(receipt, 1)
            except MNSServerException as exc:
                if exc.type in _STALE_RECEIPT_CODES:
                    return
                raise _translate(exc, "change visibility") from None
            except Exception as exc:  # noqa: BLE001
                raise _translate(exc, "change visibility") from None

    def attributes(self) -> dict[str, int]:
        """The queue's visibility timeout and largest message (operators' checks).

        A missing queue raises PermanentFailure with code ``QueueNotExist``.
        """
        import warnings

        with self._publisher.lock, warnings.catch_warnings():
            # The SDK copies the message counters it marks deprecated, warning about each.
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                meta = self._publisher.queue.get_attributes()
            except Exception as exc:  # noqa: BLE001 - every SDK failure is translated
                raise _translate(exc, "get queue attributes") from None
        return {"visibility_s": int(meta.visibility_timeout), "max_message_size": int(meta.maximum_message_size)}

    def create_queue_if_missing(self, visibility_s: int = 900, max_message_size: int = 65536) -> bool:
        """Create the queue; False when it already exists (with these or other attributes).

        The visibility timeout must cover the worker's run time, or a job still running is redelivered.
        """
        from mns.mns_exception import MNSServerException
        from mns.mns_request import CreateQueueRequest, CreateQueueResponse

        request = CreateQueueRequest(self.queue_name, int(visibility_s), int(max_message_size))
        response = CreateQueueResponse()
        with self._publisher.lock:
            try:
                # The client call (not Queue.create) exposes the status: 201 created, 204 already there.
                self._publisher.queue.mns_client.create_queue(request, response)
            except MNSServerException as exc:
                if exc.type == "QueueAlreadyExist":
                    return False
                raise _translate(exc, "create queue") from None
            except KeyError:
                pass  # a 204 without the Location header the SDK reads: the queue exists
            except Exception as exc:  # noqa: BLE001
                raise _translate(exc, "create queue") from None
        return response.status == 201
