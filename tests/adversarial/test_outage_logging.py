"""A provider outage is logged one line per failure, not as a traceback storm.

Before: with DashScope unreachable, one file through the local runner printed 96 tracebacks to
the console (the dashscope SDK logs every request that raised at ERROR with its chained
traceback, 4 retries × 3 attempts, 8 tracebacks each) and, on Function Compute, each of those
ERROR records was an owner alert. The adapter translates that exception into a TransientFailure
and the worker reports it once; the SDK's record is now one WARNING line naming the exception
class. A real bug (anything but a transport failure) keeps its traceback.
"""

from __future__ import annotations

import io
import logging
import socket
import types

import pytest

from adapters.alibaba.dashscope_calls import SDK_LOGGER
from domain.job import JobStatus
from entrypoints.local.bot import LocalBot
from tests.audio_factory import fixture
from tests.ledger import assert_ledger

pytestmark = pytest.mark.slow


class Console:
    """What the local runner prints to stderr (its ``basicConfig``), and every record behind it."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.records: list[logging.LogRecord] = []
        self._handler = logging.StreamHandler(self.stream)
        self._handler.setLevel(logging.WARNING)
        self._handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self._handler.addFilter(self._keep)

    def _keep(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return True

    def __enter__(self) -> Console:
        logging.getLogger().addHandler(self._handler)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self._handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dashscope_unreachable_through_every_attempt_logs_one_line_per_failure(tmp_path):
    (tmp_path / "media").mkdir()
    bot = LocalBot(env={
        "ASR_BACKEND": "dashscope", "DASHSCOPE_API_KEY": "sk-outage0test0key0000",
        "DASHSCOPE_HTTP_BASE_URL": f"http://127.0.0.1:{closed_port()}/api/v1", "RETRY_BASE_DELAY_S": "0.01",
    }, media_dir=tmp_path / "media", printer=None)
    try:
        with Console() as console:
            result = bot.transcribe(fixture("hello_en"), as_document=True)
        c = bot.container
        assert result["status"] == JobStatus.FAILED.value and result["billing"]["refunded"] == 1
        attempts, retries = bot.settings.policy.max_job_attempts, bot.settings.policy.retry_attempts

        assert "Traceback" not in console.text, console.text[:3000]
        assert not [r for r in console.records if r.levelno >= logging.ERROR]  # no owner alert either
        sdk = [r for r in console.records if r.name == SDK_LOGGER]
        assert len(sdk) == attempts * retries  # one line per failed request ...
        assert all(r.exc_info is None and "ConnectionError" in r.getMessage() for r in sdk)
        assert "127.0.0.1" not in "".join(r.getMessage() for r in sdk)  # ... naming no URL
        worker = [r for r in console.records if r.name == "local"]
        assert len(worker) == attempts  # ... and one per failed attempt of the job
        assert len(console.text.splitlines()) == attempts * (retries + 1)
        assert_ledger(types.SimpleNamespace(users=c.users(), jobs=c.jobs(), clock=c.clock(), queue=c.queue()))
    finally:
        bot.close()


def test_a_real_bug_under_the_sdk_keeps_its_traceback(tmp_path):
    LocalBot(env={"ASR_BACKEND": "dashscope", "DASHSCOPE_API_KEY": "sk-outage0test0key0000"},
             media_dir=tmp_path, printer=None).container.recognizer()  # installs the SDK log filter
    sdk = logging.getLogger(SDK_LOGGER)
    with Console() as console:
        try:
            raise KeyError("output")  # e.g. a 200 reply without a field the SDK reads
        except KeyError:
            sdk.exception("Request failed")
    (record,) = console.records
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "Traceback" in console.text
