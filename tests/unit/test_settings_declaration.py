"""Each environment variable is declared once (entrypoints/variables.py); Settings, the start-up
checks and the README's tables all come from that declaration."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from domain.policy import Policy, Timeouts
from entrypoints import readme_tables
from entrypoints.settings import (
    Settings,
    SettingsError,
    check_settings,
    default_of,
    invoice_key,
    load_settings,
    settings_problems,
)
from entrypoints.variables import BY_NAME, VARIABLES

ROOT = Path(__file__).resolve().parents[2]
GOOD_INVOICE_SECRET = "invoice-key-" + "k" * 40


def test_every_setting_field_is_declared_by_exactly_one_variable() -> None:
    targets = [v.target for v in VARIABLES if v.target is not None]
    assert len(targets) == len(set(targets))
    assert len(BY_NAME) == len(VARIABLES)  # no variable name twice
    settings_fields = {f.name for f in attrs.fields(Settings)} - {"backends", "policy"}
    policy_fields = {f"policy.{f.name}" for f in attrs.fields(Policy)} - {"policy.timeouts"}
    timeout_fields = {f"timeouts.{f.name}" for f in attrs.fields(Timeouts)}
    backend_ports = {f"backends.{port}" for port in ("asr", "passes", "formatter", "storage", "queue", "blobs", "chat")}
    # Every Settings field, timeout and port; the Policy fields an operator may tune (not all are).
    assert {t for t in targets if not t.startswith("policy.")} == settings_fields | timeout_fields | backend_ports
    assert {t for t in targets if t.startswith("policy.")} <= policy_fields


def test_every_declared_variable_reaches_its_field() -> None:
    # A distinct value for every variable whose parser takes a number, then each field must hold it.
    env, expected = {}, {}
    for index, variable in enumerate(VARIABLES):
        if variable.target is None or variable.target.startswith("backends.") or variable.target == "profile":
            continue
        default = default_of(variable)
        if isinstance(default, bool) or not isinstance(default, int | float):
            continue
        value = 10_000 - index  # decreasing: the chunk minimum (declared after the maximum) stays below it
        env[variable.env] = str(value)
        expected[variable.target] = value
    settings = load_settings(env)
    for target, value in expected.items():
        group, _, field = target.rpartition(".")
        owner = {"": settings, "policy": settings.policy, "timeouts": settings.policy.timeouts}[group]
        assert getattr(owner, field) == value, target
    assert len(expected) > 50


def test_defaults_come_from_the_fields() -> None:
    settings = load_settings({})
    assert settings.policy == Policy()
    assert settings.mns_queue_name == default_of(BY_NAME["MNS_QUEUE_NAME"]) == "transcribe-jobs"
    assert default_of(BY_NAME["WEBHOOK_TIMEOUT_S"]) == Timeouts().webhook_s


def test_parsers_refuse_what_the_readme_says_is_refused() -> None:
    for env, message in (({"APP_PROFILE": "staging"}, "APP_PROFILE must be one of local, production"),
                         ({"ASR_BACKEND": "whisper"}, "ASR_BACKEND must be one of"),
                         ({"WHISPER_BACKEND": "openai"}, "WHISPER_BACKEND must be 'qwen-asr'"),
                         ({"OWNER_ID": "@me"}, "OWNER_ID must be a Telegram user id"),
                         ({"SYNC_THRESHOLD_S": "-1"}, "SYNC_THRESHOLD_S must be >= 0"),
                         ({"ASR_CONCURRENCY": "many"}, "ASR_CONCURRENCY must be a number"),
                         ({"LLM_TIMEOUT_S": "0", "ASR_TIMEOUT_S": "0"}, "timeouts must be > 0: ASR_TIMEOUT_S, LLM")):
        with pytest.raises(SettingsError, match=re.escape(message)):
            load_settings(env)
    # Cleaned values: URLs without a trailing slash, the bot's name without @, at least one worker.
    settings = load_settings({"TELEGRAM_API_BASE_URL": "http://x/", "BOT_USERNAME": "@bot", "ASR_CONCURRENCY": "0",
                              "ASR_CHUNK_MAX_S": "30", "FFMPEG_TIMEOUT_PER_MINUTE_S": "0", "LOG_LEVEL": "debug"})
    assert (settings.telegram_api_base_url, settings.bot_username, settings.policy.asr_concurrency) == (
        "http://x", "bot", 1)
    assert settings.policy.chunk_min_s == 30 and settings.log_level == "DEBUG"


def test_the_readme_tables_are_the_declaration() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_tables.updated(readme) == readme, "run python -m entrypoints.readme_tables"
    for variable in VARIABLES:
        assert f"`{variable.env}`" in readme
    # The check fails on a stale table (a row removed by hand).
    stale = readme.replace("| `INVOICE_SECRET` |", "| `INVOICE_SECRET_OLD` |")
    assert readme_tables.updated(stale) != stale


def test_required_variables_follow_the_backends() -> None:
    problems = settings_problems(load_settings({"STORAGE_BACKEND": "tablestore", "ASR_BACKEND": "dashscope"}))
    assert problems[0] == ("missing configuration for the chosen backends: ALIBABA_ACCESS_KEY, ALIBABA_SECRET_KEY, "
                           "DASHSCOPE_API_KEY, TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE")
    assert settings_problems(load_settings({})) == []


# -- the invoice-signing key ------------------------------------------------------------------------


def _production(**extra: str) -> dict[str, str]:
    return {"APP_PROFILE": "production", "CHAT_BACKEND": "recording", "ASR_BACKEND": "scripted",
            "PASSES_BACKEND": "scripted", "FORMATTER_BACKEND": "identity", "STORAGE_BACKEND": "memory",
            "QUEUE_BACKEND": "memory", "BLOBS_BACKEND": "memory", **extra}


def test_production_requires_an_invoice_secret() -> None:
    settings = load_settings(_production())
    assert any(p.startswith("INVOICE_SECRET must be set in production") for p in settings_problems(settings))
    with pytest.raises(SettingsError, match="INVOICE_SECRET"):
        invoice_key(settings)
    configured = load_settings(_production(INVOICE_SECRET=GOOD_INVOICE_SECRET))
    check_settings(configured)
    assert invoice_key(configured) == GOOD_INVOICE_SECRET.encode()
    assert GOOD_INVOICE_SECRET in configured.secrets()  # hidden from the logs


def test_a_short_invoice_secret_is_refused() -> None:
    with pytest.raises(SettingsError, match="INVOICE_SECRET must be at least 32 characters"):
        check_settings(load_settings({"INVOICE_SECRET": "short"}))


def test_rotating_the_webhook_secret_keeps_the_invoice_key() -> None:
    before = load_settings(_production(INVOICE_SECRET=GOOD_INVOICE_SECRET, TELEGRAM_WEBHOOK_SECRET="old_secret"))
    after = load_settings(_production(INVOICE_SECRET=GOOD_INVOICE_SECRET, TELEGRAM_WEBHOOK_SECRET="new_secret"))
    assert invoice_key(before) == invoice_key(after)


def test_a_local_run_signs_with_a_fixed_local_key() -> None:
    local = invoice_key(load_settings({}))
    assert local == invoice_key(load_settings({})) and len(local) == 32
    assert invoice_key(load_settings({"TELEGRAM_WEBHOOK_SECRET": "another"})) == local
    assert invoice_key(load_settings({"TELEGRAM_BOT_TOKEN": "1:other-bot"})) != local


def test_the_deployment_passes_every_variable_production_requires() -> None:
    s_yaml = (ROOT / "s.yaml").read_text(encoding="utf-8")
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for variable in VARIABLES:
        if ("profile=production",) in variable.required_when:
            assert re.search(rf"^\s+{variable.env}: \$\{{env\('{variable.env}'\)\}}", s_yaml, re.M), variable.env
            assert variable.env in deploy, variable.env
