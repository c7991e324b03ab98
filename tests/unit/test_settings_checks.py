"""Start-up refuses every configuration the README says is refused, all problems in one message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, check_settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_problem_is_reported_at_once() -> None:
    settings = load_settings({
        "APP_PROFILE": "production", "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_SECRET": "has spaces!",
        "DASHSCOPE_HTTP_BASE_URL": "https://dashscope.aliyuncs.com/api/v1", "LLM_MODEL": "qwen-turbo",
    })
    with pytest.raises(SettingsError) as caught:
        check_settings(settings)
    message = str(caught.value)
    for expected in ("DASHSCOPE_API_KEY", "TABLESTORE_ENDPOINT", "OSS_BUCKET",  # missing variables
                     "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters",  # Telegram would refuse it
                     "dashscope-intl",  # the Beijing host, with what to use instead
                     "qwen-flash"):  # the retired model, with its replacement
        assert expected in message, (expected, message)


@pytest.mark.parametrize("secret", ["a" * 257, "tab\tinside", "ünïcode"])
def test_a_webhook_secret_telegram_rejects_is_refused_even_locally(secret: str) -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        check_settings(load_settings({"TELEGRAM_WEBHOOK_SECRET": secret}))


def test_the_offline_default_and_a_good_secret_pass() -> None:
    check_settings(load_settings({}))
    check_settings(load_settings({"TELEGRAM_WEBHOOK_SECRET": "Good_secret-123"}))


def test_serve_does_not_start_with_a_configuration_that_breaks_every_request() -> None:
    env = {"PATH": "/usr/bin:/bin", "ASR_BACKEND": "dashscope", "DASHSCOPE_API_KEY": "sk-test",
           "DASHSCOPE_HTTP_BASE_URL": "https://dashscope.aliyuncs.com/api/v1"}
    run = subprocess.run([sys.executable, "-m", "entrypoints.local", "serve", "--port", "0"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "dashscope-intl" in run.stderr + run.stdout
