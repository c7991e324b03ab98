"""``usecases.retrying.retrying``: the typed way to wrap a port, with the same retries as RetryingPort."""

from __future__ import annotations

import pytest

from adapters.memory.clock import FakeClock
from ports.errors import PermanentFailure, TransientFailure
from usecases.retrying import RetryingPort, retrying


class Flaky:
    """A port whose ``get`` fails transiently ``failures`` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[int] = []
        self.name = "flaky"
        self.broken_calls = 0

    def get(self, key: int) -> str:
        self.calls.append(key)
        if len(self.calls) <= self.failures:
            raise TransientFailure("flaky", "busy", code="busy")
        return f"value {key}"

    def broken(self) -> None:
        self.broken_calls += 1
        raise PermanentFailure("flaky", "gone", code="gone")


def test_the_wrapped_port_is_retried_and_keeps_its_attributes() -> None:
    port = Flaky(failures=2)
    wrapped: Flaky = retrying(port, clock=FakeClock(), attempts=3, base_delay_s=0.01)
    assert isinstance(wrapped, RetryingPort) and wrapped.wrapped is port
    assert wrapped.get(7) == "value 7"
    assert port.calls == [7, 7, 7]
    assert wrapped.name == "flaky"


def test_attempts_bound_the_retries_and_permanent_failures_are_not_retried() -> None:
    port = Flaky(failures=5)
    wrapped = retrying(port, clock=FakeClock(), attempts=2, base_delay_s=0.01)
    with pytest.raises(TransientFailure):
        wrapped.get(1)
    assert port.calls == [1, 1]
    with pytest.raises(PermanentFailure):
        wrapped.broken()
    assert port.broken_calls == 1
