"""The operator CLI against loopback Tablestore, MNS and Telegram servers (offline)."""

from __future__ import annotations

import pytest

from entrypoints import admin_cli
from tests.loopback.mns_server import running_mns_server
from tests.loopback.tablestore_server import running_tablestore_server
from tests.loopback.telegram_server import running_telegram_server

pytestmark = pytest.mark.slow

AK, SK = "LTAIloopbackKey", "loopback-secret-0123456789"
TOKEN = "123456:TEST-token-for-the-loopback-server-000"


@pytest.fixture
def env(monkeypatch):
    for name in ("APP_PROFILE", "TABLESTORE_ENDPOINT", "TABLESTORE_INSTANCE", "MNS_ENDPOINT", "MNS_QUEUE_NAME",
                 "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL", "ALIBABA_SECURITY_TOKEN",
                 "RESULTS_TTL_S"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_ACCESS_KEY", AK)
    monkeypatch.setenv("ALIBABA_SECRET_KEY", SK)
    return monkeypatch


def test_create_tables_creates_the_missing_ones_once(env, capsys):
    with running_tablestore_server(AK, SK, instance="bot") as ots:
        env.setenv("TABLESTORE_ENDPOINT", ots.endpoint)
        env.setenv("TABLESTORE_INSTANCE", "bot")
        assert admin_cli.main(["create-tables"]) == 0
        assert "users" in ots.tables and "audio_jobs" in ots.tables and "bot_state" in ots.tables
        assert admin_cli.main(["create-tables"]) == 0
    out = capsys.readouterr().out
    assert "created tables:" in out and "every table already exists" in out
    assert SK not in out


def test_create_queue_and_its_dead_letter_queue(env, capsys):
    with running_mns_server(AK, SK) as mq:
        env.setenv("MNS_ENDPOINT", mq.endpoint)
        env.setenv("MNS_QUEUE_NAME", "transcribe-jobs")
        assert admin_cli.main(["create-queue"]) == 0
        assert admin_cli.main(["create-queue", "--name", "transcribe-jobs-dlq"]) == 0
        assert set(mq.queues) == {"transcribe-jobs", "transcribe-jobs-dlq"}
    assert "queue transcribe-jobs created (visibility 900 s, 65536 bytes)" in capsys.readouterr().out


def test_set_webhook_sends_the_secret_and_the_allowed_updates(env, capsys):
    with running_telegram_server(TOKEN) as tg:
        env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        env.setenv("TELEGRAM_WEBHOOK_SECRET", "webhook-secret-xyz")
        env.setenv("TELEGRAM_API_BASE_URL", tg.base_url.removesuffix("/bot"))
        assert admin_cli.main(["set-webhook", "https://tg.eu-central-1.fcapp.run/"]) == 0
        call = next(c for c in tg.calls if c.method == "setWebhook")
    assert call.params["url"] == "https://tg.eu-central-1.fcapp.run/"
    assert call.params["secret_token"] == "webhook-secret-xyz"
    assert call.params["allowed_updates"] == ["message", "callback_query", "pre_checkout_query"]
    assert TOKEN not in capsys.readouterr().out


def test_set_commands_registers_the_menu_per_language_and_create_tables_keeps_results_for_results_ttl_s(
        env, capsys):
    from usecases.support import command_menus

    with running_telegram_server(TOKEN) as tg:
        env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        env.setenv("TELEGRAM_API_BASE_URL", tg.base_url.removesuffix("/bot"))
        assert admin_cli.main(["set-commands"]) == 0
        assert admin_cli.main(["set-commands"]) == 0  # again: the same lists, replaced
        calls = [c for c in tg.calls if c.method == "setMyCommands"]
        stored = dict(tg.commands)
    menus = command_menus()
    assert len(calls) == 2 * len(menus)
    assert {c.params.get("language_code", "") for c in calls} == {"", "en", "ru", "uk", "be", "kk"}
    assert all(c.params["scope"] == {"type": "all_private_chats"} for c in calls)
    for menu in menus:
        assert [(c["command"], c["description"]) for c in stored[("all_private_chats", menu.language_code)]] == \
            list(menu.commands)
    assert stored[("all_private_chats", "ru")][-4]["description"] == "Помощь с оплатой"
    assert stored[("all_private_chats", "ru")][-1] == {"command": "upload", "description": "Загрузить файл больше 20 МБ"}
    assert stored[("all_private_chats", "")][-1] == {"command": "upload", "description": "Upload a file over 20 MB"}
    assert "command menu set for private chats: 14 commands; languages: default, en, ru, uk, be, kk" in \
        capsys.readouterr().out
    with running_tablestore_server(AK, SK, instance="bot") as ots:
        env.setenv("TABLESTORE_ENDPOINT", ots.endpoint)
        env.setenv("TABLESTORE_INSTANCE", "bot")
        env.setenv("RESULTS_TTL_S", str(10 * 86400))
        assert admin_cli.main(["create-tables"]) == 0
        assert ots.tables["results_cache"].time_to_live == 10 * 86400
        assert ots.tables["audio_jobs"].time_to_live == 7 * 86400


def test_refusals_are_clear_and_exit_2(env, capsys):
    assert admin_cli.main(["create-tables"]) == 2
    assert "set TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE" in capsys.readouterr().err
    env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setenv("TELEGRAM_WEBHOOK_SECRET", "s")
    assert admin_cli.main(["set-webhook", "http://insecure.example/"]) == 2
    assert "https://" in capsys.readouterr().err
    assert admin_cli.main(["check-config"]) == 0
    assert "configuration OK: profile=local" in capsys.readouterr().out


MODEL_VARIABLES = ("ASR_MODEL", "REALTIME_ASR_MODEL", "SPEAKER_PASS_MODEL", "TEXT_PASS_MODEL", "LLM_MODEL",
                   "GEMINI_MODEL", "ASR_BACKEND")


@pytest.mark.parametrize(("variable", "retired", "replacement"), [
    ("LLM_MODEL", "qwen-turbo", "qwen-flash"),
    ("GEMINI_MODEL", "gemini-2.5-flash", "gemini-3.8-flash"),
    ("SPEAKER_PASS_MODEL", "fun-asr-mtl", "fun-asr"),
    ("ASR_MODEL", "paraformer-v2", "qwen3-asr-flash"),
])
def test_check_config_refuses_a_retired_model_and_names_the_replacement(env, capsys, variable, retired, replacement):
    for name in MODEL_VARIABLES:
        env.delenv(name, raising=False)
    env.setenv(variable, retired)
    assert admin_cli.main(["check-config"]) != 0
    err = capsys.readouterr().err
    assert f"{variable}={retired}" in err and f"set {variable}={replacement}" in err


def test_check_config_as_a_process_exits_non_zero_for_qwen_turbo(env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    for name in MODEL_VARIABLES:
        env.delenv(name, raising=False)
    environment = {**os.environ, "LLM_MODEL": "qwen-turbo"}
    done = subprocess.run([sys.executable, "-m", "entrypoints.admin_cli", "check-config"], capture_output=True,
                          text=True, env=environment, cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert done.returncode != 0
    assert "LLM_MODEL=qwen-turbo" in done.stderr and "set LLM_MODEL=qwen-flash" in done.stderr


def test_check_config_lists_the_models_and_the_languages_offered(env, capsys):
    for name in MODEL_VARIABLES:
        env.delenv(name, raising=False)
    assert admin_cli.main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "LLM_MODEL=qwen-flash" in out and "SPEAKER_PASS_MODEL=fun-asr" in out
    assert "recognition languages offered: ru, en, de" in out
