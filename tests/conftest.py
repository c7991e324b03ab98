"""Shared test configuration: hypothesis profiles, the memory-adapter world, the FC handlers."""

from __future__ import annotations

import logging
import os

import pytest
from hypothesis import HealthCheck, settings

# The number of examples is the profile's, chosen by HYPOTHESIS_PROFILE (no test sets its own):
# ``dev`` for a quick local run, ``ci`` searches harder, ``mutation`` is small and derandomized so
# that scripts/mutation.py gives the same verdict for a mutant on every run. No deadline: the
# machines running the suite are shared, and a slow example is not a failure.
_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=100, **_common)
settings.register_profile("ci", max_examples=400, **_common)
settings.register_profile("mutation", max_examples=40, derandomize=True, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def world(request, tmp_path):
    """The memory-adapter world. When the test passed, the ledger invariant (tests/ledger.py) must
    hold at its end: every use-case, fault and adversarial test is also a check of the money."""
    from tests.ledger import ledger_problems
    from tests.world import World

    w = World(media_dir=tmp_path / "media")
    yield w
    if request.node.get_closest_marker("ledger_exempt"):
        return
    problems = ledger_problems(w.users, w.jobs, now=w.clock.now(), queued=w.queue.pending(),
                               actions=w.actions_store)
    assert not problems, "ledger invariant broken at the end of the test:\n" + "\n".join(problems)


@pytest.fixture
def restore_logging():
    """The FC runtime configures the root logger (JSON lines): put the test's handlers back."""
    from entrypoints.observability import _OUR_MARK

    root = logging.getLogger()
    # A handler the runtime installed in an earlier test (one without this fixture) would keep writing
    # to that test's captured stdout: every test that runs the runtime starts without one.
    for handler in [h for h in root.handlers if getattr(h, _OUR_MARK, "")]:
        root.removeHandler(handler)
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def fc(monkeypatch, tmp_path, restore_logging):
    """Fresh FC handler modules over one local-profile runtime (tests.e2e.test_fc_handlers)."""
    from tests.e2e.test_fc_handlers import build_fc

    return build_fc(monkeypatch, tmp_path)
