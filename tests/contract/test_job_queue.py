"""Contract of the JobQueue port (and its consumer helpers), on the in-memory queue and on MNS.

The MNS adapter talks through the official ``aliyun-mns-sdk`` to the loopback server of
``tests/loopback/mns_server.py`` (signed XML API, visibility timeouts, redelivery with growing
dequeue counts), whose clock the tests move forward instead of sleeping.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from adapters.alibaba.mns_job_queue import MnsJobQueue, ReceivedJob
from adapters.memory.clock import FakeClock
from adapters.memory.job_queue import InMemoryJobQueue, QueuedMessage
from ports.errors import PermanentFailure, TransientFailure
from ports.job_queue import JobQueue
from tests.loopback.mns_server import MnsLoopback, running_mns_server

AK, SK, QUEUE = "LTAI-mns-loopback", "mns-secret-that-must-never-print", "voice-jobs"
VISIBILITY_S = 30


@pytest.fixture(params=["memory", "mns"])
def queue(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """``publish``/``receive``/``ack``/``release`` plus ``advance`` of the queue's clock."""
    if request.param == "memory":
        clock = FakeClock()
        memory = InMemoryJobQueue(clock, visibility_s=VISIBILITY_S)
        yield SimpleNamespace(port=memory, receive=memory.receive, ack=memory.ack, release=memory.release,
                              advance=clock.advance)
        return
    with running_mns_server(AK, SK, queues=(QUEUE,), visibility_s=VISIBILITY_S) as server:
        mns = MnsJobQueue(server.endpoint, AK, SK, QUEUE)
        yield SimpleNamespace(port=mns, receive=lambda: mns.receive(0), ack=mns.ack, release=mns.release,
                              advance=server.advance)


@pytest.fixture
def mq() -> Iterator[MnsLoopback]:
    with running_mns_server(AK, SK, queues=(QUEUE,), visibility_s=VISIBILITY_S) as server:
        yield server


def test_the_adapters_subclass_the_port(queue: SimpleNamespace) -> None:
    assert JobQueue in type(queue.port).__mro__


def test_deliveries_have_the_same_fields() -> None:
    assert [f.name for f in ReceivedJob.__attrs_attrs__] == [f.name for f in QueuedMessage.__attrs_attrs__]


def test_a_published_job_id_is_received(queue: SimpleNamespace) -> None:
    queue.port.publish("job-1")
    message = queue.receive()
    assert (message.job_id, message.dequeue_count) == ("job-1", 1)
    assert message.receipt and message.message_id
    assert queue.receive() is None  # invisible while it is being processed


def test_messages_come_out_in_publish_order(queue: SimpleNamespace) -> None:
    for job_id in ("job-1", "job-2", "job-3"):
        queue.port.publish(job_id)
    assert [queue.receive().job_id for _ in range(3)] == ["job-1", "job-2", "job-3"]
    assert queue.receive() is None


def test_an_unacknowledged_message_comes_back_after_the_visibility_timeout(queue: SimpleNamespace) -> None:
    queue.port.publish("job-1")
    first = queue.receive()
    queue.advance(VISIBILITY_S - 5)
    assert queue.receive() is None
    queue.advance(10)
    second = queue.receive()
    assert (second.job_id, second.dequeue_count) == ("job-1", 2)
    assert second.message_id == first.message_id and second.receipt != first.receipt
    assert not queue.ack(first.receipt)  # the first receipt is stale now
    assert queue.ack(second.receipt)
    queue.advance(VISIBILITY_S * 2)
    assert queue.receive() is None


def test_ack_removes_the_message(queue: SimpleNamespace) -> None:
    queue.port.publish("job-1")
    queue.port.publish("job-2")
    message = queue.receive()
    assert queue.ack(message.receipt)
    queue.advance(VISIBILITY_S + 1)
    assert queue.receive().job_id == "job-2"
    queue.advance(VISIBILITY_S + 1)
    assert queue.receive().job_id == "job-2"  # never acked: delivered again
    assert not queue.ack(message.receipt)  # acking twice is harmless


def test_a_released_message_comes_back_soon(queue: SimpleNamespace) -> None:
    queue.port.publish("job-1")
    message = queue.receive()
    queue.release(message.receipt)
    queue.advance(1)  # MNS's smallest visibility timeout is one second
    again = queue.receive()
    assert (again.job_id, again.dequeue_count) == ("job-1", 2)


# --------------------------------------------------------------------------- MNS specifics


def test_the_wire_body_is_base64_of_a_json_job_id(mq: MnsLoopback) -> None:
    MnsJobQueue(mq.endpoint, AK, SK, QUEUE).publish("0f8e-job")
    (raw,) = mq.raw_bodies(QUEUE)
    assert json.loads(base64.b64decode(raw)) == {"job_id": "0f8e-job"}


def test_the_installed_mns_module_is_aliyun_mns_sdk() -> None:
    import mns
    from mns import pkg_info

    assert importlib.metadata.version("aliyun-mns-sdk") == "1.3.0"
    assert importlib.metadata.packages_distributions()["mns"] == ["aliyun-mns-sdk"]
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version("aliyun-mns")  # that distribution prints the AccessKeySecret
    assert pkg_info.name == "aliyun-mns-sdk" and mns.__name__ == "mns"


def test_nothing_is_printed_during_requests(mq: MnsLoopback, capsys: pytest.CaptureFixture[str]) -> None:
    queue = MnsJobQueue(mq.endpoint, AK, SK, QUEUE)
    queue.create_queue_if_missing()
    queue.publish("job-1")
    message = queue.receive(0)
    queue.ack(message.receipt)
    assert queue.receive(0) is None
    with pytest.raises(PermanentFailure):
        MnsJobQueue(mq.endpoint, AK, "wrong-secret", QUEUE).publish("job-2")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert SK not in captured.err and "wrong-secret" not in captured.err


def test_a_non_sdk_mns_module_is_refused(mq: MnsLoopback, monkeypatch: pytest.MonkeyPatch) -> None:
    from mns import pkg_info

    monkeypatch.setattr(pkg_info, "name", "mns")  # what aliyun-mns 1.1.5 would look like
    with pytest.raises(PermanentFailure):
        MnsJobQueue(mq.endpoint, AK, SK, QUEUE)


def test_a_wrong_secret_is_permanent_and_never_echoed(mq: MnsLoopback) -> None:
    with pytest.raises(PermanentFailure) as info:
        MnsJobQueue(mq.endpoint, AK, "not-the-secret", QUEUE).publish("job-1")
    assert info.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(info.value)
    assert mq.depth(QUEUE) == 0


def test_a_missing_queue_is_permanent(mq: MnsLoopback) -> None:
    with pytest.raises(PermanentFailure) as info:
        MnsJobQueue(mq.endpoint, AK, SK, "no-such-queue").publish("job-1")
    assert info.value.code == "QueueNotExist"


def test_server_errors_and_network_failures_are_transient(mq: MnsLoopback) -> None:
    queue = MnsJobQueue(mq.endpoint, AK, SK, QUEUE)
    mq.fail_next(1)
    with pytest.raises(TransientFailure) as info:
        queue.publish("job-1")
    assert info.value.code == "InternalError"
    queue.publish("job-1")
    mq.fail_next(1)
    with pytest.raises(TransientFailure):
        queue.receive(0)
    assert queue.receive(0).job_id == "job-1"

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientFailure):
        MnsJobQueue(f"http://127.0.0.1:{port}", AK, SK, QUEUE, connection_timeout=2).publish("job-2")


def test_a_message_without_a_job_id_is_dropped(mq: MnsLoopback) -> None:
    with mq._lock:
        mq.send(QUEUE, "<Message><MessageBody>bm90IGpzb24=</MessageBody></Message>")  # "not json"
    queue = MnsJobQueue(mq.endpoint, AK, SK, QUEUE)
    assert queue.receive(0) is None
    assert mq.depth(QUEUE) == 0


def test_long_polling_waits_for_a_message(mq: MnsLoopback) -> None:
    import threading

    queue = MnsJobQueue(mq.endpoint, AK, SK, QUEUE)
    timer = threading.Timer(0.2, queue.publish, args=("late-job",))
    timer.start()
    try:
        message = queue.receive(3)
    finally:
        timer.join()
    assert message is not None and message.job_id == "late-job"


def test_create_queue_if_missing(mq: MnsLoopback) -> None:
    queue = MnsJobQueue(mq.endpoint, AK, SK, "new-queue")
    assert queue.create_queue_if_missing(visibility_s=900, max_message_size=65536)
    assert mq.queues["new-queue"].visibility_s == 900
    assert mq.queues["new-queue"].max_message_size == 65536
    assert not queue.create_queue_if_missing(visibility_s=900, max_message_size=65536)
    assert not queue.create_queue_if_missing(visibility_s=600)  # exists with other attributes
    queue.publish("job-1")
    assert queue.receive(0).job_id == "job-1"


def test_sts_credentials_send_the_security_token() -> None:
    with running_mns_server(AK, SK, queues=(QUEUE,), security_token="sts-token") as server:
        MnsJobQueue(server.endpoint, AK, SK, QUEUE, security_token="sts-token").publish("job-1")
        assert server.depth(QUEUE) == 1
        with pytest.raises(PermanentFailure):
            MnsJobQueue(server.endpoint, AK, SK, QUEUE).publish("job-2")


def test_https_connections_get_a_timeout() -> None:
    # Construction opens no connection: this stays offline.
    queue = MnsJobQueue("https://1234567890.mns.ap-southeast-1.aliyuncs.com", AK, SK, QUEUE,
                        connection_timeout=7)
    assert queue._publisher.queue.mns_client.http.conn.timeout == 7
    assert queue._consumer.queue.mns_client.http.conn.timeout == 35  # outlasts a 30 s long poll


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, adapters.alibaba.mns_job_queue; print('mns' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "False", result.stderr
