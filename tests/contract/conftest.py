"""Fixtures the DashScope contract modules share: one loopback DashScope per module, reset per test.

The server answers to the requesting module's ``API_KEY`` (each module has its own secret, so a
test can assert that exact key never shows up in an error).
"""

from __future__ import annotations

import pytest

from tests.loopback.dashscope_server import running_dashscope_server


@pytest.fixture(scope="module")
def _dashscope(request):
    with running_dashscope_server(request.module.API_KEY) as server:
        yield server


@pytest.fixture
def server(_dashscope):
    """The module's loopback DashScope, with requests, scripts and plans forgotten."""
    _dashscope.reset()
    yield _dashscope
