"""Environment → typed settings. The only module that reads ``os.environ``.

Every variable is declared once in ``entrypoints.variables`` (name, parser, which backends or
profiles need it, a description); its default is the field's default below (or ``Policy``'s,
``Timeouts``'). ``profile`` picks a default adapter for every port (``local``: in memory, offline;
``production``: Alibaba, Telegram); each ``*_BACKEND`` variable overrides one port, e.g. real
DashScope with in-memory storage.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from typing import Any

import attrs

from adapters.alibaba.dashscope_config import INTL_HTTP_BASE_URL, INTL_WS_BASE_URL
from domain import models
from domain.policy import Policy, Timeouts, budget_problems
from entrypoints.variables import (
    BACKEND_CHOICES,
    DEFAULT_BACKENDS,
    DEFAULT_PROFILE,
    PROFILES,
    VARIABLES,
    SettingsError,
    Variable,
)

__all__ = ["BACKEND_CHOICES", "DEFAULT_BACKENDS", "PROFILES", "SettingsError"]  # re-exported for callers


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
    # The key that signs invoice payloads (``invoice_key``), independent of the webhook secret.
    invoice_secret: str = ""
    # /paysupport and /terms: the owner's contact for users, and the refund window in days
    support_contact: str = ""
    refund_window_days: int = 14
    # DashScope (international region: the Beijing host is refused)
    dashscope_api_key: str = ""
    dashscope_base_url: str = INTL_HTTP_BASE_URL
    dashscope_ws_url: str = INTL_WS_BASE_URL
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
        values = (getattr(self, v.target) for v in VARIABLES if v.secret and v.target and "." not in v.target)
        return tuple(v for v in values if isinstance(v, str) and v and len(v) >= 6)


def default_of(variable: Variable) -> Any:
    """The value a variable takes when it is not set (None: no value, or one ``default_text`` describes)."""
    if variable.target is None or variable.default_text is not None:
        return None
    group, _, field = variable.target.rpartition(".")
    owner = {"": Settings, "policy": Policy, "timeouts": Timeouts}.get(group)
    if owner is None:
        return None
    default = attrs.fields_dict(owner)[field].default
    return None if default is attrs.NOTHING else default


# The one timeout that may be 0 (an allowance per minute of audio, added to a positive base).
_MAY_BE_ZERO = frozenset({"ffmpeg_per_audio_minute_s"})


def _parsed(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Every variable that is set (and not empty), parsed, grouped by target: "" (Settings),
    "policy", "timeouts", "backends"."""
    values: dict[str, dict[str, Any]] = {"": {}, "policy": {}, "timeouts": {}, "backends": {}}
    for variable in VARIABLES:
        raw = env.get(variable.env, "")
        if raw == "":
            continue
        value = variable.parse(raw, variable.env)
        if variable.target is not None:
            group, _, field = variable.target.rpartition(".")
            values[group][field] = value
    return values


def _policy(policy: dict[str, Any], timeouts: dict[str, Any]) -> Policy:
    built = Timeouts(**timeouts)
    names = {v.target: v.env for v in VARIABLES if v.target and v.target.startswith("timeouts.")}
    zero = [names[f"timeouts.{f.name}"] for f in attrs.fields(Timeouts)
            if getattr(built, f.name) <= 0 and f.name not in _MAY_BE_ZERO]
    if zero:
        raise SettingsError(f"timeouts must be > 0: {', '.join(zero)}")
    d = Policy()
    # The shortest chunk is never longer than the longest.
    policy["chunk_min_s"] = min(policy.get("chunk_min_s", d.chunk_min_s), policy.get("chunk_max_s", d.chunk_max_s))
    return Policy(timeouts=built, **policy)


def load_policy(env: Mapping[str, str]) -> Policy:
    values = _parsed(env)
    return _policy(values["policy"], values["timeouts"])


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    values = _parsed(env)
    fields = values[""]
    profile = fields.pop("profile", DEFAULT_PROFILE)
    backends = {**DEFAULT_BACKENDS[profile], **values["backends"]}
    return Settings(profile=profile, backends=backends, policy=_policy(values["policy"], values["timeouts"]),
                    **fields)


def _holds(term: str, settings: Settings) -> bool:
    key, _, value = term.partition("=")
    return settings.profile == value if key == "profile" else settings.backends.get(key) == value


def required(settings: Settings) -> list[Variable]:
    """The variables the chosen backends and profile need."""
    return [v for v in VARIABLES if v.target and any(all(_holds(t, settings) for t in clause)
                                                     for clause in v.required_when)]


# Every model setting: field → (environment variable, role in domain.models).
MODEL_SETTINGS: dict[str, tuple[str, str]] = {
    v.target: (v.env, v.model_role) for v in VARIABLES if v.target and v.model_role
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


# The shortest key ``INVOICE_SECRET`` may be: 32 characters, as ``secrets.token_urlsafe(32)`` gives 43.
INVOICE_SECRET_MIN_CHARS = 32


def settings_problems(settings: Settings) -> list[str]:
    """Every reason the configuration cannot work, each saying what to set (empty: none)."""
    problems: list[str] = []
    missing = [v for v in required(settings) if not getattr(settings, str(v.target))]
    by_backend = sorted(v.env for v in missing if not v.why)
    if by_backend:
        problems.append(f"missing configuration for the chosen backends: {', '.join(by_backend)}")
    problems.extend(f"{v.env} must be set in {settings.profile} ({v.why})" for v in missing if v.why)
    secret = settings.telegram_webhook_secret
    if secret and not WEBHOOK_SECRET.fullmatch(secret):
        # Telegram's setWebhook refuses any other secret: every update would then be unsigned.
        problems.append("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                        "(what Telegram's setWebhook accepts)")
    if settings.invoice_secret and len(settings.invoice_secret) < INVOICE_SECRET_MIN_CHARS:
        problems.append(f"INVOICE_SECRET must be at least {INVOICE_SECRET_MIN_CHARS} characters "
                        "(python -c \"import secrets; print(secrets.token_urlsafe(48))\")")
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


def invoice_key(settings: Settings) -> bytes:
    """The key that signs invoice payloads: ``INVOICE_SECRET``. Without it (only outside production,
    where ``check_settings`` requires it) a fixed key of this bot token, so a local run signs and
    checks its own invoices consistently across restarts."""
    if settings.invoice_secret:
        return settings.invoice_secret.encode()
    if settings.profile == "production":
        raise SettingsError("INVOICE_SECRET must be set in production")
    return hashlib.sha256(f"local invoices|{settings.telegram_token}".encode()).digest()


def check_settings(settings: Settings) -> None:
    """Refuse at start-up what cannot work: every problem at once, each saying what to set."""
    problems = settings_problems(settings)
    if problems:
        raise SettingsError("; ".join(problems))
