"""Environment → typed settings. The only module that reads ``os.environ``.

Every variable is documented in the README with its default. ``profile`` picks a default
adapter for every port (``local``: in memory, offline; ``production``: Alibaba, Telegram);
each ``*_BACKEND`` variable overrides one port, e.g. real DashScope with in-memory storage.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import attrs

from domain import models
from domain.policy import Policy, Timeouts, budget_problems

PROFILES = ("local", "production")

# Port → backend per profile.
DEFAULT_BACKENDS: dict[str, dict[str, str]] = {
    "local": {
        "asr": "scripted", "passes": "scripted", "formatter": "identity", "storage": "memory",
        "queue": "memory", "blobs": "memory", "chat": "recording",
    },
    "production": {
        "asr": "dashscope", "passes": "dashscope", "formatter": "qwen", "storage": "tablestore",
        "queue": "mns", "blobs": "oss", "chat": "telegram",
    },
}
BACKEND_CHOICES: dict[str, tuple[str, ...]] = {
    "asr": ("scripted", "dashscope", "dashscope-realtime"),
    "passes": ("scripted", "dashscope"),
    "formatter": ("identity", "qwen"),
    "storage": ("memory", "tablestore"),
    "queue": ("memory", "mns"),
    "blobs": ("memory", "oss"),
    "chat": ("recording", "telegram"),
}


class SettingsError(ValueError):
    """A configuration value is missing or wrong; the message says what to set."""


@attrs.frozen
class Settings:
    profile: str
    backends: dict[str, str]
    policy: Policy
    log_level: str = "INFO"
    owner_id: int | None = None
    # Telegram
    telegram_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    bot_username: str = ""
    # /paysupport and /terms: the owner's contact for users, and the refund window in days
    support_contact: str = ""
    refund_window_days: int = 14
    # DashScope
    dashscope_api_key: str = ""
    dashscope_base_url: str = "https://dashscope-intl.aliyuncs.com/api/v1"
    dashscope_ws_url: str = "wss://dashscope-intl.aliyuncs.com"
    # Model defaults: the current ones of domain.models (each with a row in docs/provider-contracts.md).
    asr_model: str = models.DEFAULT_MODELS[models.ASR]
    realtime_model: str = models.DEFAULT_MODELS[models.REALTIME_ASR]
    speaker_model: str = models.DEFAULT_MODELS[models.SPEAKER_PASS]
    text_pass_model: str = models.DEFAULT_MODELS[models.TEXT_PASS]
    llm_model: str = models.DEFAULT_MODELS[models.LLM]
    # Gemini (optional fallback formatter)
    google_api_key: str = ""
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    gemini_model: str = models.DEFAULT_MODELS[models.GEMINI]
    # Alibaba Cloud
    access_key_id: str = ""
    access_key_secret: str = ""
    security_token: str = ""
    tablestore_endpoint: str = ""
    tablestore_instance: str = ""
    mns_endpoint: str = ""
    mns_queue_name: str = "transcribe-jobs"
    oss_endpoint: str = ""
    oss_bucket: str = ""
    # OSS V4 signatures need the region; derived from standard endpoints when empty.
    oss_region: str = ""
    # Local runner
    local_media_dir: str = ""

    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the log redactor."""
        values = (self.telegram_token, self.telegram_webhook_secret, self.dashscope_api_key,
                  self.google_api_key, self.access_key_secret, self.security_token, self.access_key_id)
        return tuple(v for v in values if v and len(v) >= 6)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise SettingsError(f"{name} must be >= 0, got {raw!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_float(env, name, default))


# Every timeout's variable (README, "Timeouts"); domain.policy.Timeouts says which budget each sits in.
TIMEOUT_VARIABLES: dict[str, str] = {
    "webhook_s": "WEBHOOK_TIMEOUT_S", "webhook_budget_s": "WEBHOOK_BUDGET_S",
    "pre_checkout_budget_s": "PRE_CHECKOUT_BUDGET_S", "pre_checkout_answer_s": "PRE_CHECKOUT_ANSWER_TIMEOUT_S",
    "worker_call_s": "WORKER_CALL_TIMEOUT_S",
    "telegram_connect_s": "TELEGRAM_CONNECT_TIMEOUT_S", "telegram_read_s": "TELEGRAM_READ_TIMEOUT_S",
    "telegram_write_s": "TELEGRAM_WRITE_TIMEOUT_S", "telegram_pool_s": "TELEGRAM_POOL_TIMEOUT_S",
    "telegram_call_s": "TELEGRAM_CALL_TIMEOUT_S", "telegram_upload_s": "TELEGRAM_UPLOAD_TIMEOUT_S",
    "telegram_download_s": "TELEGRAM_DOWNLOAD_TIMEOUT_S", "inline_download_s": "INLINE_DOWNLOAD_TIMEOUT_S",
    "api_connect_s": "API_CONNECT_TIMEOUT_S", "asr_s": "ASR_TIMEOUT_S", "inline_asr_s": "INLINE_ASR_TIMEOUT_S",
    "llm_s": "LLM_TIMEOUT_S", "inline_llm_s": "INLINE_LLM_TIMEOUT_S",
    "async_submit_s": "ASYNC_SUBMIT_TIMEOUT_S", "async_poll_s": "ASYNC_POLL_REQUEST_TIMEOUT_S",
    "async_result_s": "ASYNC_RESULT_TIMEOUT_S",
    "tablestore_connect_s": "TABLESTORE_CONNECT_TIMEOUT_S", "tablestore_read_s": "TABLESTORE_READ_TIMEOUT_S",
    "mns_s": "MNS_TIMEOUT_S", "oss_s": "OSS_TIMEOUT_S",
    "ffmpeg_s": "FFMPEG_TIMEOUT_S", "inline_ffmpeg_s": "INLINE_FFMPEG_TIMEOUT_S",
    "ffmpeg_per_audio_minute_s": "FFMPEG_TIMEOUT_PER_MINUTE_S",
}


def load_timeouts(env: Mapping[str, str]) -> Timeouts:
    d = Timeouts()
    values = {field: _float(env, name, getattr(d, field)) for field, name in TIMEOUT_VARIABLES.items()}
    zero = [TIMEOUT_VARIABLES[f] for f, v in values.items() if v <= 0 and f != "ffmpeg_per_audio_minute_s"]
    if zero:
        raise SettingsError(f"timeouts must be > 0: {', '.join(zero)}")
    return Timeouts(**values)


def load_policy(env: Mapping[str, str]) -> Policy:
    d = Policy()
    return Policy(
        timeouts=load_timeouts(env),
        sync_threshold_s=_float(env, "SYNC_THRESHOLD_S", d.sync_threshold_s),
        chunk_max_s=_float(env, "ASR_CHUNK_MAX_S", d.chunk_max_s),
        chunk_overlap_s=_float(env, "ASR_CHUNK_OVERLAP_S", d.chunk_overlap_s),
        chunk_min_s=min(_float(env, "ASR_CHUNK_MIN_S", d.chunk_min_s), _float(env, "ASR_CHUNK_MAX_S", d.chunk_max_s)),
        llm_min_chars=_int(env, "LLM_MIN_CHARS", d.llm_min_chars),
        llm_piece_chars=_int(env, "LLM_PIECE_CHARS", d.llm_piece_chars),
        message_limit=_int(env, "TELEGRAM_MESSAGE_LIMIT", d.message_limit),
        edit_limit=_int(env, "TELEGRAM_EDIT_LIMIT", d.edit_limit),
        long_text_file_chars=max(1, _int(env, "LONG_TEXT_FILE_CHARS", d.long_text_file_chars)),
        long_text_preview_chars=max(1, _int(env, "LONG_TEXT_PREVIEW_CHARS", d.long_text_preview_chars)),
        progress_eta_min_chunks=max(1, _int(env, "PROGRESS_ETA_MIN_CHUNKS", d.progress_eta_min_chunks)),
        download_limit_bytes=_int(env, "DOWNLOAD_LIMIT_BYTES", d.download_limit_bytes),
        max_duration_s=_float(env, "MAX_DURATION_S", d.max_duration_s),
        poll_interval_s=_float(env, "ASYNC_POLL_INTERVAL_S", d.poll_interval_s),
        poll_timeout_s=_float(env, "ASYNC_POLL_TIMEOUT_S", d.poll_timeout_s),
        low_balance_minutes=_int(env, "LOW_BALANCE_MINUTES", d.low_balance_minutes),
        trial_minutes=_int(env, "TRIAL_MINUTES", d.trial_minutes),
        results_ttl_s=_float(env, "RESULTS_TTL_S", d.results_ttl_s),
        asr_concurrency=max(1, _int(env, "ASR_CONCURRENCY", d.asr_concurrency)),
        retry_attempts=max(1, _int(env, "RETRY_ATTEMPTS", d.retry_attempts)),
        retry_base_delay_s=_float(env, "RETRY_BASE_DELAY_S", d.retry_base_delay_s),
        job_lease_s=_float(env, "JOB_LEASE_S", d.job_lease_s),
        max_job_attempts=max(1, _int(env, "MAX_JOB_ATTEMPTS", d.max_job_attempts)),
        step_budget_s=_float(env, "WORKER_STEP_BUDGET_S", d.step_budget_s),
        step_reserve_s=_float(env, "WORKER_STEP_RESERVE_S", d.step_reserve_s),
        inline_step_budget_s=_float(env, "INLINE_STEP_BUDGET_S", d.inline_step_budget_s),
        max_job_steps=max(1, _int(env, "MAX_JOB_STEPS", d.max_job_steps)),
        llm_concurrency=max(1, _int(env, "LLM_CONCURRENCY", d.llm_concurrency)),
        max_active_jobs_per_user=max(1, _int(env, "MAX_ACTIVE_JOBS_PER_USER", d.max_active_jobs_per_user)),
        summary_minutes_per_hour=max(0.0, _float(env, "SUMMARY_MINUTES_PER_HOUR", d.summary_minutes_per_hour)),
        key_points_minutes_per_hour=max(0.0, _float(env, "KEY_POINTS_MINUTES_PER_HOUR",
                                                    d.key_points_minutes_per_hour)),
        translation_minutes_per_hour=max(0.0, _float(env, "TRANSLATION_MINUTES_PER_HOUR",
                                                     d.translation_minutes_per_hour)),
        action_piece_chars=max(500, _int(env, "ACTION_PIECE_CHARS", d.action_piece_chars)),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    profile = env.get("APP_PROFILE", "local")
    if profile not in PROFILES:
        raise SettingsError(f"APP_PROFILE must be one of {', '.join(PROFILES)}, got {profile!r}")
    backends = dict(DEFAULT_BACKENDS[profile])
    for port, choices in BACKEND_CHOICES.items():
        value = env.get(f"{port.upper()}_BACKEND")
        if value:
            if value not in choices:
                raise SettingsError(f"{port.upper()}_BACKEND must be one of {', '.join(choices)}, got {value!r}")
            backends[port] = value
    if env.get("WHISPER_BACKEND") not in (None, "", "qwen-asr"):
        raise SettingsError("WHISPER_BACKEND must be 'qwen-asr' (the only recognizer family this bot speaks)")
    owner = env.get("OWNER_ID", "").strip()
    if owner and not owner.lstrip("-").isdigit():
        raise SettingsError(f"OWNER_ID must be a Telegram user id, got {owner!r}")
    d = Settings(profile=profile, backends=backends, policy=Policy())
    return Settings(
        profile=profile,
        backends=backends,
        policy=load_policy(env),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        owner_id=int(owner) if owner else None,
        telegram_token=env.get("TELEGRAM_BOT_TOKEN", ""),
        telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", d.telegram_api_base_url).rstrip("/"),
        bot_username=env.get("BOT_USERNAME", "").lstrip("@"),
        support_contact=env.get("SUPPORT_CONTACT", "").strip(),
        refund_window_days=_int(env, "REFUND_WINDOW_DAYS", d.refund_window_days),
        dashscope_api_key=env.get("DASHSCOPE_API_KEY", ""),
        dashscope_base_url=env.get("DASHSCOPE_HTTP_BASE_URL", d.dashscope_base_url).rstrip("/"),
        dashscope_ws_url=env.get("DASHSCOPE_WEBSOCKET_BASE_URL", d.dashscope_ws_url).rstrip("/"),
        asr_model=env.get("ASR_MODEL", d.asr_model),
        realtime_model=env.get("REALTIME_ASR_MODEL", d.realtime_model),
        speaker_model=env.get("SPEAKER_PASS_MODEL", d.speaker_model),
        text_pass_model=env.get("TEXT_PASS_MODEL", d.text_pass_model),
        llm_model=env.get("LLM_MODEL", d.llm_model),
        google_api_key=env.get("GOOGLE_API_KEY", ""),
        gemini_base_url=env.get("GEMINI_BASE_URL", d.gemini_base_url).rstrip("/"),
        gemini_model=env.get("GEMINI_MODEL", d.gemini_model),
        access_key_id=env.get("ALIBABA_ACCESS_KEY", ""),
        access_key_secret=env.get("ALIBABA_SECRET_KEY", ""),
        security_token=env.get("ALIBABA_SECURITY_TOKEN", ""),
        tablestore_endpoint=env.get("TABLESTORE_ENDPOINT", ""),
        tablestore_instance=env.get("TABLESTORE_INSTANCE", ""),
        mns_endpoint=env.get("MNS_ENDPOINT", ""),
        mns_queue_name=env.get("MNS_QUEUE_NAME", d.mns_queue_name),
        oss_endpoint=env.get("OSS_ENDPOINT", ""),
        oss_bucket=env.get("OSS_BUCKET", ""),
        oss_region=env.get("OSS_REGION", ""),
        local_media_dir=env.get("LOCAL_MEDIA_DIR", ""),
    )


REQUIRED_BY_BACKEND: dict[tuple[str, str], tuple[str, ...]] = {
    ("asr", "dashscope"): ("dashscope_api_key",),
    ("asr", "dashscope-realtime"): ("dashscope_api_key",),
    ("passes", "dashscope"): ("dashscope_api_key",),
    ("formatter", "qwen"): ("dashscope_api_key",),
    ("storage", "tablestore"): ("tablestore_endpoint", "tablestore_instance", "access_key_id", "access_key_secret"),
    ("queue", "mns"): ("mns_endpoint", "access_key_id", "access_key_secret"),
    ("blobs", "oss"): ("oss_endpoint", "oss_bucket", "access_key_id", "access_key_secret"),
    ("chat", "telegram"): ("telegram_token",),
}

ENV_NAMES = {
    "dashscope_api_key": "DASHSCOPE_API_KEY", "tablestore_endpoint": "TABLESTORE_ENDPOINT",
    "tablestore_instance": "TABLESTORE_INSTANCE", "access_key_id": "ALIBABA_ACCESS_KEY",
    "access_key_secret": "ALIBABA_SECRET_KEY", "mns_endpoint": "MNS_ENDPOINT", "oss_endpoint": "OSS_ENDPOINT",
    "oss_bucket": "OSS_BUCKET", "telegram_token": "TELEGRAM_BOT_TOKEN",
}

# Every model setting: field → (environment variable, role in domain.models).
MODEL_SETTINGS: dict[str, tuple[str, str]] = {
    "asr_model": ("ASR_MODEL", models.ASR),
    "realtime_model": ("REALTIME_ASR_MODEL", models.REALTIME_ASR),
    "speaker_model": ("SPEAKER_PASS_MODEL", models.SPEAKER_PASS),
    "text_pass_model": ("TEXT_PASS_MODEL", models.TEXT_PASS),
    "llm_model": ("LLM_MODEL", models.LLM),
    "gemini_model": ("GEMINI_MODEL", models.GEMINI),
}


def model_refusals(settings: Settings) -> list[str]:
    """One message per configured model that is retired or cannot do its job, naming the replacement.

    Every model setting is checked whatever the backends, so a wrong name in ``s.yaml`` is caught
    on a laptop too (``check-config``).
    """
    messages = []
    for field, (variable, role) in MODEL_SETTINGS.items():
        found = models.refusal(getattr(settings, field), role)
        if found is not None:
            messages.append(found.message(variable))
    return messages


def plain_recognition_model(settings: Settings) -> str:
    """The model behind plain recognition: the realtime one when ``ASR_BACKEND=dashscope-realtime``."""
    return settings.realtime_model if settings.backends.get("asr") == "dashscope-realtime" else settings.asr_model


def recognition_languages(settings: Settings) -> tuple[str, ...]:
    """The codes ``/language`` accepts and offers: those the plain and the dialogue text recognizers document."""
    return models.offered_languages(plain_recognition_model(settings), settings.text_pass_model)


Credentials = tuple[str, str, str]  # (access_key_id, access_key_secret, security_token)

# FC hands the function role's STS credentials to every runtime in these variables; on python3.12
# they are the only place (its context has no ``credentials`` field). docs/provider-contracts.md.
FC_CREDENTIAL_VARIABLES = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                           "ALIBABA_CLOUD_SECURITY_TOKEN")


def _context_credentials(context: Any) -> Credentials | None:
    """``context.credentials`` of the older FC runtimes (python3.9/3.10), in any of its spellings."""
    creds = getattr(context, "credentials", None) if context is not None else None
    if creds is None:
        return None

    def get(*names: str) -> str:
        for name in names:
            value = creds.get(name) if isinstance(creds, Mapping) else getattr(creds, name, None)
            if value:
                return str(value)
        return ""

    key_id = get("access_key_id", "accessKeyId", "AccessKeyId")
    secret = get("access_key_secret", "accessKeySecret", "AccessKeySecret")
    if not key_id or not secret:
        return None
    return key_id, secret, get("security_token", "securityToken", "SecurityToken")


def invocation_credentials(context: Any = None, env: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials of one FC invocation, read afresh each time (FC rotates them).

    Order: the ``ALIBABA_CLOUD_*`` variables FC sets (every runtime, the only source on
    python3.12); then ``context.credentials`` (python3.10 and older); else None, and the
    settings keep ``ALIBABA_ACCESS_KEY``/``ALIBABA_SECRET_KEY`` (a laptop's own keys).
    """
    env = os.environ if env is None else env
    key_id, secret, token = (env.get(name, "") for name in FC_CREDENTIAL_VARIABLES)
    if key_id and secret:
        return key_id, secret, token
    return _context_credentials(context)


# setWebhook's secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and - (docs/provider-contracts.md).
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DASHSCOPE_BACKENDS = frozenset({"dashscope", "dashscope-realtime", "qwen"})


def settings_problems(settings: Settings) -> list[str]:
    """Every reason the configuration cannot work, each saying what to set (empty: none)."""
    problems: list[str] = []
    missing = sorted({
        ENV_NAMES[field]
        for (port, backend), fields in REQUIRED_BY_BACKEND.items()
        if settings.backends.get(port) == backend
        for field in fields if not getattr(settings, field)
    })
    if missing:
        problems.append(f"missing configuration for the chosen backends: {', '.join(missing)}")
    secret = settings.telegram_webhook_secret
    if settings.backends["chat"] == "telegram" and not secret and settings.profile == "production":
        problems.append("TELEGRAM_WEBHOOK_SECRET must be set in production (the webhook refuses unsigned updates)")
    if secret and not WEBHOOK_SECRET.fullmatch(secret):
        # Telegram's setWebhook refuses any other secret: every update would then be unsigned.
        problems.append("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                        "(what Telegram's setWebhook accepts)")
    if any(settings.backends.get(port) in DASHSCOPE_BACKENDS for port in ("asr", "passes", "formatter")):
        from adapters.alibaba.dashscope_config import check_dashscope_config  # no SDK import

        realtime = settings.backends.get("asr") == "dashscope-realtime"
        try:
            check_dashscope_config(settings.dashscope_base_url, {},
                                   ws_base_url=settings.dashscope_ws_url if realtime else None)
        except ValueError as exc:
            problems.append(str(exc))
    problems.extend(model_refusals(settings))
    budget = budget_problems(settings.policy)
    if budget:
        problems.append("timeouts do not fit their budgets: " + "; ".join(budget))
    return problems


def check_settings(settings: Settings) -> None:
    """Refuse at start-up what cannot work: every problem at once, each saying what to set."""
    problems = settings_problems(settings)
    if problems:
        raise SettingsError("; ".join(problems))
