"""The Mini App's platform set-up: ``admin_cli configure-uploads`` merges its CORS and lifecycle rules into
the bucket's on the loopback OSS (the operator's rules stay), and ``doctor`` checks them."""

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


# The bucket as an operator set it up by docs/deploy.md (the audio rule) plus a CORS rule of their own.
AUDIO_RULE = (b"<Rule><ID>delete-audio</ID><Prefix>audio/</Prefix><Status>Enabled</Status>"
              b"<Expiration><Days>1</Days></Expiration></Rule>")
SHOP_RULE = (b"<CORSRule><AllowedOrigin>https://shop.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
             b"</CORSRule>")


def test_configure_uploads_keeps_the_buckets_other_rules_says_so_and_is_idempotent(stack, capsys):
    stack.oss.lifecycle_xml = b"<LifecycleConfiguration>" + AUDIO_RULE + b"</LifecycleConfiguration>"
    stack.oss.cors_xml = b"<CORSConfiguration>" + SHOP_RULE + b"</CORSConfiguration>"

    assert admin_cli.main(["configure-uploads"]) == 0
    out = capsys.readouterr().out
    assert "CORS lets https://tg-webhook.ap-southeast-1.fcapp.run PUT parts" in out
    assert "The bucket's other rules are kept." in out and "replaces" not in out
    assert "CORS: the Mini App's rule added (first of the rules); kept 1 other rule(s): https://shop.example (GET)" in out
    assert ("lifecycle: rule direct-uploads added; kept 1 other rule(s): delete-audio (prefix audio/: Expiration)"
            in out)
    assert AUDIO_RULE in stack.oss.lifecycle_xml and SHOP_RULE in stack.oss.cors_xml
    assert b"<Prefix>uploads/</Prefix>" in stack.oss.lifecycle_xml
    configured = (stack.oss.cors_xml, stack.oss.lifecycle_xml)

    assert admin_cli.main(["configure-uploads"]) == 0
    out = capsys.readouterr().out
    assert "CORS: the Mini App's rule unchanged" in out and "lifecycle: rule direct-uploads unchanged" in out
    assert (stack.oss.cors_xml, stack.oss.lifecycle_xml) == configured

    code, lines = doctor(capsys)
    assert code == 0, lines
    assert any(line.startswith("OK oss uploads") for line in lines)


def test_configure_uploads_refuses_a_merge_oss_would_refuse_and_changes_nothing(stack, capsys):
    clash = AUDIO_RULE.replace(b"delete-audio", b"old-uploads").replace(b"audio/", b"uploads/")
    stack.oss.lifecycle_xml = b"<LifecycleConfiguration>" + AUDIO_RULE + clash + b"</LifecycleConfiguration>"
    stack.oss.cors_xml = b"<CORSConfiguration>" + SHOP_RULE + b"</CORSConfiguration>"
    before = (stack.oss.cors_xml, stack.oss.lifecycle_xml)

    assert admin_cli.main(["configure-uploads"]) == 2
    err = capsys.readouterr().err
    assert "old-uploads already has the prefix uploads/" in err and "Nothing was changed." in err
    assert (stack.oss.cors_xml, stack.oss.lifecycle_xml) == before
