"""The Mini App's platform set-up: ``admin_cli configure-uploads`` sets the bucket's CORS and lifecycle
rules on the loopback OSS, and ``doctor`` checks them."""

from __future__ import annotations

import contextlib

import pytest

from entrypoints import admin_cli
from tests.e2e.test_doctor import Stack, doctor

pytestmark = pytest.mark.slow
MINIAPP = "https://tg-webhook.ap-southeast-1.fcapp.run/app"


@pytest.fixture
def stack(monkeypatch):
    with contextlib.ExitStack() as exits:
        built = Stack(exits, monkeypatch)
        monkeypatch.setenv("MINIAPP_URL", MINIAPP)
        yield built


def test_doctor_fails_until_configure_uploads_sets_cors_and_lifecycle(stack, capsys):
    code, lines = doctor(capsys)
    failing = [line for line in lines if line.startswith("FAIL oss uploads")]
    assert code == 1 and len(failing) == 1, lines
    assert "no CORS rule lets https://tg-webhook.ap-southeast-1.fcapp.run PUT and read ETag" in failing[0]
    assert "configure-uploads" in failing[0]

    assert admin_cli.main(["configure-uploads"]) == 0
    out = capsys.readouterr().out
    assert "CORS lets https://tg-webhook.ap-southeast-1.fcapp.run PUT parts" in out
    assert b"<AllowedOrigin>https://tg-webhook.ap-southeast-1.fcapp.run</AllowedOrigin>" in stack.oss.cors_xml
    assert b"<ExposeHeader>ETag</ExposeHeader>" in stack.oss.cors_xml
    assert b"<Prefix>uploads/</Prefix>" in stack.oss.lifecycle_xml

    code, lines = doctor(capsys)
    assert code == 0, lines
    assert any(line.startswith("OK oss uploads: CORS lets https://tg-webhook.ap-southeast-1.fcapp.run")
               for line in lines)


def test_configure_uploads_needs_an_https_miniapp_url(stack, capsys, monkeypatch):
    monkeypatch.setenv("MINIAPP_URL", "http://plain.example/app")
    assert admin_cli.main(["configure-uploads"]) == 2
    assert "https://" in capsys.readouterr().err
    assert stack.oss.cors_xml is None
