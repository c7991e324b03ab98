"""A loopback MNS (Simple Message Queue) server for contract tests of the real MNS job queue.

MNS's XML API in the ``http://mns.aliyuncs.com/doc/v1/`` namespace:

- ``PUT /queues/<q>`` CreateQueue: 201 with ``Location``; the same attributes again 204, different
  ones 409 ``QueueAlreadyExist``.
- ``GET /queues/<q>`` GetQueueAttributes: 200 with the twelve fields the SDK requires; an unknown
  queue answers 404 ``QueueNotExist``.
- ``POST /queues/<q>/messages`` SendMessage: 201 with ``MessageId`` and ``MessageBodyMD5``. The body is
  kept exactly as sent (base64 text by default) and can be inspected with ``raw_bodies``.
- ``GET /queues/<q>/messages[?waitseconds=N]`` ReceiveMessage: 200 with all nine fields the SDK
  requires; the message turns invisible for the queue's visibility timeout, then is delivered again
  with ``DequeueCount`` + 1 and a new receipt handle. Empty: 404 ``MessageNotExist`` (after long
  polling up to N real seconds).
- ``DELETE /queues/<q>/messages?ReceiptHandle=<h>`` DeleteMessage: 204; a receipt that is not the
  message's latest one (or an unknown one) answers 404 ``ReceiptHandleError``.
- ``PUT /queues/<q>/messages?ReceiptHandle=<h>&VisibilityTimeout=N`` ChangeMessageVisibility.
- Every request must carry ``Authorization: MNS <AccessKeyId>:<signature>`` computed over
  ``VERB\\nContent-MD5\\nContent-Type\\nDate\\n<x-mns-* headers><resource>``, and a body's
  ``content-md5`` must match; otherwise 403 ``SignatureDoesNotMatch`` / ``InvalidAccessKeyId``.
- Visibility and timestamps follow the server's clock, which ``advance(seconds)`` moves forward.
- ``fail_next(n)`` makes the next n requests answer 503 ``InternalError`` (an MNS XML error).

Usage::

    with running_mns_server(AK, SK, queues=("jobs",), visibility_s=30) as mq:
        queue = MnsJobQueue(mq.endpoint, AK, SK, "jobs")
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import attrs

from tests.loopback._serving import (
    InjectedFailures,
    LoopbackHandler,
    LoopbackHTTPServer,
    MovableClock,
    ServiceError,
    serve,
)

XMLNS = "http://mns.aliyuncs.com/doc/v1/"


@attrs.define
class QueuedMessage:
    message_id: str
    body: str
    enqueue_ms: int
    priority: int
    visible_at: float
    dequeue_count: int = 0
    first_dequeue_ms: int = 0
    receipt: str = ""


@attrs.define
class QueueState:
    name: str
    visibility_s: int = 30
    max_message_size: int = 65536
    messages: list[QueuedMessage] = attrs.Factory(list)


class _MnsError(ServiceError):
    """An MNS error reply (an XML ``Error`` document)."""


class MnsLoopback(InjectedFailures, MovableClock):
    """The queues behind the handler, plus clock, fault and inspection helpers."""

    def __init__(self, access_key_id: str, access_key_secret: str, visibility_s: int = 30,
                 security_token: str | None = None) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.default_visibility_s = visibility_s
        self.security_token = security_token
        self.endpoint = ""
        self.queues: dict[str, QueueState] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self._lock = threading.Condition()
        self._ids = itertools.count(1)

    # ---- helpers for tests

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        with self._lock:
            self._lock.notify_all()  # long polls look again

    def add_queue(self, name: str, visibility_s: int | None = None) -> None:
        with self._lock:
            self.queues.setdefault(name, QueueState(name, visibility_s or self.default_visibility_s))

    def raw_bodies(self, queue: str) -> list[str]:
        """Message bodies still in the queue, exactly as the client sent them."""
        with self._lock:
            return [m.body for m in self.queues[queue].messages]

    def depth(self, queue: str) -> int:
        with self._lock:
            return len(self.queues[queue].messages)

    def next_request_id(self) -> str:
        return f"MNSLOOP{next(self._ids):016d}"

    def _queue(self, name: str) -> QueueState:
        queue = self.queues.get(name)
        if queue is None:
            raise _MnsError(404, "QueueNotExist", "The queue name you provided is not exist.")
        return queue

    # ---- operations (called with the lock held)

    def create_queue(self, name: str, body: str) -> int:
        fields = _fields(body, "Queue")
        visibility = int(fields.get("VisibilityTimeout", self.default_visibility_s))
        max_size = int(fields.get("MaximumMessageSize", 65536))
        existing = self.queues.get(name)
        if existing is not None:
            if (existing.visibility_s, existing.max_message_size) == (visibility, max_size):
                return 204
            raise _MnsError(409, "QueueAlreadyExist", "The queue you want to create is already exist.")
        self.queues[name] = QueueState(name, visibility, max_size)
        return 201

    def send(self, name: str, body: str) -> QueuedMessage:
        queue = self._queue(name)
        fields = _fields(body, "Message")
        text = fields.get("MessageBody", "")
        if not text:
            raise _MnsError(400, "InvalidArgument", "The message body is empty.")
        if len(text.encode("utf-8")) > queue.max_message_size:
            raise _MnsError(400, "InvalidArgument", "The message body is too large.")
        now = self.now()
        message = QueuedMessage(
            message_id=f"{next(self._ids):032X}", body=text, enqueue_ms=int(now * 1000),
            priority=int(fields.get("Priority", 8)), visible_at=now + int(fields.get("DelaySeconds", 0)))
        queue.messages.append(message)
        self._lock.notify_all()
        return message

    def receive(self, name: str, wait_s: float) -> QueuedMessage:
        queue = self._queue(name)
        deadline = time.monotonic() + max(0.0, min(wait_s, 30.0))
        while True:
            now = self.now()
            for message in queue.messages:
                if message.visible_at <= now:
                    message.dequeue_count += 1
                    if message.dequeue_count == 1:
                        message.first_dequeue_ms = int(now * 1000)
                    message.visible_at = now + queue.visibility_s
                    message.receipt = f"{message.message_id}-{message.dequeue_count}-{secrets.token_hex(8)}"
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _MnsError(404, "MessageNotExist", "Message not exist.")
            self._lock.wait(timeout=min(remaining, 0.05))

    def delete(self, name: str, receipt: str) -> None:
        queue = self._queue(name)
        for message in queue.messages:
            if message.receipt and message.receipt == receipt:
                if message.visible_at <= self.now():
                    break  # its visibility ran out: the receipt is no longer valid
                queue.messages.remove(message)
                return
        raise _MnsError(404, "ReceiptHandleError", "The receipt handle you provide is not valid.")

    def change_visibility(self, name: str, receipt: str, seconds: int) -> QueuedMessage:
        queue = self._queue(name)
        if not 1 <= seconds <= 43200:
            raise _MnsError(400, "InvalidArgument", "VisibilityTimeout must be between 1 and 43200.")
        now = self.now()
        for message in queue.messages:
            if message.receipt and message.receipt == receipt and message.visible_at > now:
                message.visible_at = now + seconds
                message.receipt = f"{message.message_id}-{message.dequeue_count}-{secrets.token_hex(8)}"
                return message
        raise _MnsError(404, "ReceiptHandleError", "The receipt handle you provide is not valid.")


def _fields(body: str, root: str) -> dict[str, str]:
    try:
        element = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise _MnsError(400, "MalformedXML", "The XML you provided was not well-formed.") from None
    if element.tag not in (root, f"{{{XMLNS}}}{root}"):
        raise _MnsError(400, "MalformedXML", f"Expected <{root}>.")
    return {child.tag.split("}", 1)[-1]: (child.text or "") for child in element}


def _xml(root: str, fields: Iterable[tuple[str, Any]]) -> bytes:
    inner = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{XMLNS}">{inner}</{root}>'.encode()


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


class _Handler(LoopbackHandler):
    timeout = 10

    def _handle(self) -> None:
        store: MnsLoopback = self.server.backend
        method = self.command
        raw = self.read_body()
        body = raw.decode("utf-8")
        try:
            if store.take_failure():
                raise _MnsError(503, "InternalError", "Internal error, please retry.")
            self._authenticate(method, raw)
            split = urlsplit(self.path)
            params = dict(parse_qsl(split.query, keep_blank_values=True))
            parts = [p for p in split.path.split("/") if p]
            with store._lock:
                store.requests.append((method, self.path))
                self._route(method, parts, params, body)
        except _MnsError as exc:
            request_id = store.next_request_id()
            xml = _xml("Error", [("Code", exc.code), ("Message", exc.message), ("RequestId", request_id),
                                 ("HostId", store.endpoint)])
            self._reply(exc.status, xml, request_id=request_id)

    def _route(self, method: str, parts: list[str], params: dict[str, str], body: str) -> None:
        store: MnsLoopback = self.server.backend
        if len(parts) == 2 and parts[0] == "queues" and method == "PUT":
            status = store.create_queue(parts[1], body)
            self._reply(status, b"", location=f"{store.endpoint}/queues/{parts[1]}")
            return
        if len(parts) == 2 and parts[0] == "queues" and method == "GET":  # GetQueueAttributes
            queue = store._queue(parts[1])
            self._reply(200, _xml("Queue", [
                ("QueueName", queue.name), ("CreateTime", 1767225600), ("LastModifyTime", 1767225600),
                ("VisibilityTimeout", queue.visibility_s), ("MaximumMessageSize", queue.max_message_size),
                ("MessageRetentionPeriod", 345600), ("DelaySeconds", 0), ("PollingWaitSeconds", 0),
                ("ActiveMessages", len(queue.messages)), ("InactiveMessages", 0), ("DelayMessages", 0),
                ("LoggingEnabled", "False"),
            ]))
            return
        if len(parts) != 3 or parts[0] != "queues" or parts[2] != "messages":
            raise _MnsError(400, "InvalidRequestURL", "The request URL is invalid.")
        queue = parts[1]
        if method == "POST":
            message = store.send(queue, body)
            self._reply(201, _xml("Message", [("MessageId", message.message_id),
                                              ("MessageBodyMD5", _md5_upper(message.body))]))
        elif method == "GET":
            message = store.receive(queue, float(params.get("waitseconds", 0)))
            self._reply(200, _xml("Message", [
                ("MessageId", message.message_id),
                ("ReceiptHandle", message.receipt),
                ("MessageBodyMD5", _md5_upper(message.body)),
                ("MessageBody", message.body),
                ("EnqueueTime", message.enqueue_ms),
                ("NextVisibleTime", int(message.visible_at * 1000)),
                ("FirstDequeueTime", message.first_dequeue_ms),
                ("DequeueCount", message.dequeue_count),
                ("Priority", message.priority),
            ]))
        elif method == "DELETE":
            if "ReceiptHandle" not in params:
                raise _MnsError(400, "MissingReceiptHandle", "ReceiptHandle is mandatory.")
            store.delete(queue, params["ReceiptHandle"])
            self._reply(204, b"")
        elif method == "PUT":
            message = store.change_visibility(queue, params.get("ReceiptHandle", ""),
                                              int(params.get("VisibilityTimeout", "0")))
            self._reply(200, _xml("ChangeVisibility", [("ReceiptHandle", message.receipt),
                                                       ("NextVisibleTime", int(message.visible_at * 1000))]))
        else:
            raise _MnsError(400, "InvalidRequestURL", "Unsupported method.")

    def _authenticate(self, method: str, raw: bytes) -> None:
        store: MnsLoopback = self.server.backend
        headers = {k.lower(): v for k, v in self.headers.items()}
        authorization = headers.get("authorization", "")
        if not authorization.startswith("MNS ") or ":" not in authorization:
            raise _MnsError(403, "MissingAuthorizationHeader", "Authorization header is missing.")
        access_key_id, signature = authorization[4:].split(":", 1)
        if access_key_id != store.access_key_id:
            raise _MnsError(403, "InvalidAccessKeyId", "The access Id you provided is not exist.")
        if store.security_token is not None and headers.get("security-token") != store.security_token:
            raise _MnsError(403, "AccessDenied", "The security token is invalid.")
        if raw:
            expected_md5 = base64.b64encode(hashlib.md5(raw).hexdigest().encode()).decode()
            if headers.get("content-md5") != expected_md5:
                raise _MnsError(400, "InvalidDigest", "Content-MD5 does not match the body.")
        mns_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers) if k.startswith("x-mns-"))
        string_to_sign = (f"{method}\n{headers.get('content-md5', '')}\n{headers.get('content-type', '')}\n"
                          f"{headers.get('date', '')}\n{mns_headers}{self.path}")
        expected = base64.b64encode(hmac.new(store.access_key_secret.encode(), string_to_sign.encode(),
                                             hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            raise _MnsError(403, "SignatureDoesNotMatch", "The signature you provided does not match.")

    do_PUT = do_POST = do_GET = do_DELETE = _handle

    def _reply(self, status: int, body: bytes, *, request_id: str | None = None,
               location: str | None = None) -> None:
        store: MnsLoopback = self.server.backend
        headers = [("x-mns-request-id", request_id or store.next_request_id()), ("x-mns-version", "2015-06-06")]
        if location:
            headers.append(("Location", location))
        if body:
            headers.append(("Content-Type", "text/xml;charset=utf-8"))
        self.reply(status, body, headers)


@contextlib.contextmanager
def running_mns_server(access_key_id: str, access_key_secret: str, queues: Iterable[str] = (),
                       visibility_s: int = 30, security_token: str | None = None) -> Iterator[MnsLoopback]:
    """Serve MNS on 127.0.0.1 (random port) with ``queues`` already created."""
    store = MnsLoopback(access_key_id, access_key_secret, visibility_s, security_token)
    for name in queues:
        store.add_queue(name)
    server = LoopbackHTTPServer(_Handler, store)
    store.endpoint = server.url
    with serve(server, "mns-loopback"):
        yield store
