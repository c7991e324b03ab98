"""Every environment variable the bot reads, declared once.

A ``Variable`` says where its value goes (``target``: a ``Settings`` field, ``policy.<field>`` of
``domain.policy.Policy``, ``timeouts.<field>`` of ``Timeouts``, ``backends.<port>``, or nothing for a
variable read elsewhere), how the text is parsed, which configurations need it (``required_when``:
any clause whose every term holds, a term being ``port=backend`` or ``profile=<name>``), whether it is
a secret the log redactor hides, and a one-line description. The default is the target field's own
default (``Settings``, ``Policy``, ``Timeouts``), or ``default_text`` when it is not a value ("by
profile"). ``entrypoints.settings`` builds ``Settings`` and checks requirements from this list;
``scripts/settings_table.py`` writes the README's tables from it (a test keeps them equal).
A variable whose ``doc`` is None shares the README row (and the description) of the one before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from domain import models

PROFILES = ("local", "production")
DEFAULT_PROFILE = "local"

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


Parser = Callable[[str, str], Any]  # (raw text, variable name) -> value; SettingsError when wrong


def text(raw: str, name: str) -> str:
    return raw


def stripped(raw: str, name: str) -> str:
    return raw.strip()


def url(raw: str, name: str) -> str:
    return raw.rstrip("/")


def handle(raw: str, name: str) -> str:
    return raw.lstrip("@")


def upper(raw: str, name: str) -> str:
    return raw.upper()


def number(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise SettingsError(f"{name} must be >= 0, got {raw!r}")
    return value


def whole(raw: str, name: str) -> int:
    return int(number(raw, name))


def at_least_one(raw: str, name: str) -> int:
    return max(1, whole(raw, name))


def user_id(raw: str, name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit():
        raise SettingsError(f"{name} must be a Telegram user id, got {raw!r}")
    return int(raw)


def one_of(*choices: str, why: str = "") -> Parser:
    def parse(raw: str, name: str) -> str:
        if raw not in choices:
            if why:
                raise SettingsError(f"{name} must be {' or '.join(repr(c) for c in choices)} ({why})")
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return raw

    return parse


@attrs.frozen
class Variable:
    env: str
    target: str | None
    parse: Parser
    doc: str | None
    required_when: tuple[tuple[str, ...], ...] = ()
    secret: bool = False
    # What the README shows as the default when it is not the target field's value.
    default_text: str | None = None
    # The role in ``domain.models`` of a model variable (checked against the catalogue).
    model_role: str | None = None
    section: str = "main"
    # Why a missing value matters, for the problem ``check-config`` reports (profile requirements).
    why: str = ""


def _v(env: str, target: str | None, parse: Parser, doc: str | None, **options: Any) -> Variable:
    return Variable(env, target, parse, doc, **options)


def _timeout(env: str, field: str, doc: str | None) -> Variable:
    return Variable(env, f"timeouts.{field}", number, doc, section="timeouts")


_DASHSCOPE = (("asr=dashscope",), ("asr=dashscope-realtime",), ("passes=dashscope",), ("formatter=qwen",))
_ALIBABA = (("storage=tablestore",), ("queue=mns",), ("blobs=oss",))
_PRODUCTION = (("profile=production",),)

VARIABLES: tuple[Variable, ...] = (
    _v("APP_PROFILE", "profile", one_of(*PROFILES),
       "`local` (every port in memory, offline) or `production` (Alibaba, Telegram)",
       default_text=f"`{DEFAULT_PROFILE}`"),
    _v("ASR_BACKEND", "backends.asr", one_of(*BACKEND_CHOICES["asr"]),
       "`scripted`, `dashscope` (`qwen3-asr-flash` REST) or `dashscope-realtime` (WebSocket)",
       default_text="by profile"),
    _v("PASSES_BACKEND", "backends.passes", one_of(*BACKEND_CHOICES["passes"]),
       "`scripted` or `dashscope` (the two async diarization passes)", default_text="by profile"),
    _v("FORMATTER_BACKEND", "backends.formatter", one_of(*BACKEND_CHOICES["formatter"]),
       "`identity` or `qwen` (Gemini is added as fallback when `GOOGLE_API_KEY` is set)", default_text="by profile"),
    _v("STORAGE_BACKEND", "backends.storage", one_of(*BACKEND_CHOICES["storage"]), "`memory` or `tablestore`",
       default_text="by profile"),
    _v("QUEUE_BACKEND", "backends.queue", one_of(*BACKEND_CHOICES["queue"]), "`memory` or `mns`",
       default_text="by profile"),
    _v("BLOBS_BACKEND", "backends.blobs", one_of(*BACKEND_CHOICES["blobs"]), "`memory` or `oss`",
       default_text="by profile"),
    _v("CHAT_BACKEND", "backends.chat", one_of(*BACKEND_CHOICES["chat"]), "`recording` or `telegram`",
       default_text="by profile"),
    _v("WHISPER_BACKEND", None, one_of("qwen-asr", why="the only recognizer family this bot speaks"),
       "kept so older configurations still load; only `qwen-asr` is accepted", default_text="`qwen-asr`"),
    _v("TELEGRAM_BOT_TOKEN", "telegram_token", text, "bot token (required with `CHAT_BACKEND=telegram`)",
       required_when=(("chat=telegram",),), secret=True),
    _v("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret", text,
       "secret token set with `setWebhook`; required in production",
       required_when=(("chat=telegram", "profile=production"),), secret=True,
       why="the webhook refuses unsigned updates"),
    _v("INVOICE_SECRET", "invoice_secret", text,
       "key that signs invoice payloads (at least 32 characters); required in production, where changing it "
       "refuses the invoices still open; a local run signs with a fixed local key",
       required_when=_PRODUCTION, secret=True,
       why="it signs invoice payloads; rotating the webhook secret must not invalidate open invoices"),
    _v("TELEGRAM_API_BASE_URL", "telegram_api_base_url", url, "Bot API base (tests point it at a loopback server)"),
    _v("BOT_USERNAME", "bot_username", handle,
       "the bot's @name, so `/cmd@OtherBot` is not taken as ours (the bot answers in private chats only: "
       "anything from a group or channel is ignored, uncharged)"),
    _v("OWNER_ID", "owner_id", user_id,
       "Telegram id of the owner (admin commands, alerts, reports, `/refund <charge_id>`)"),
    _v("SUPPORT_CONTACT", "support_contact", stripped,
       "how users reach the owner about payments (an @username or e-mail), shown by `/paysupport`, `/terms` and "
       "`/privacy`; Telegram requires bots that sell with Stars to handle `/paysupport` (`doctor` fails "
       "without it)"),
    _v("REFUND_WINDOW_DAYS", "refund_window_days", whole,
       "the refund policy `/paysupport` and `/terms` state: a purchase whose minutes are unused is refunded on "
       "request within this many days of payment (the owner runs `/refund`); `0`: purchases are final"),
    _v("DASHSCOPE_API_KEY", "dashscope_api_key", text, "DashScope key (international region)",
       required_when=_DASHSCOPE, secret=True),
    _v("DASHSCOPE_HTTP_BASE_URL", "dashscope_base_url", url, "never the Beijing host (refused at start-up)"),
    _v("DASHSCOPE_WEBSOCKET_BASE_URL", "dashscope_ws_url", url, "realtime ASR host"),
    _v("ASR_MODEL", "asr_model", text, "China-only `paraformer-*` models are refused", model_role=models.ASR),
    _v("REALTIME_ASR_MODEL", "realtime_model", text, None, model_role=models.REALTIME_ASR),
    _v("SPEAKER_PASS_MODEL", "speaker_model", text,
       "dialogue passes (`fun-asr-mtl` is refused: it documents no Russian)", model_role=models.SPEAKER_PASS),
    _v("TEXT_PASS_MODEL", "text_pass_model", text, None, model_role=models.TEXT_PASS),
    _v("LLM_MODEL", "llm_model", text, "formatter (`qwen-turbo`, retired on 2026-10-10, is refused)",
       model_role=models.LLM),
    _v("GOOGLE_API_KEY", "google_api_key", text, "enables the Gemini fallback formatter", secret=True),
    _v("GEMINI_BASE_URL", "gemini_base_url", url,
       "shut-down models (`gemini-2.5-flash`, `gemini-2.0-flash`, ...) are refused"),
    _v("GEMINI_MODEL", "gemini_model", text, None, model_role=models.GEMINI),
    _v("ALIBABA_ACCESS_KEY", "access_key_id", text,
       "credentials (on FC the function role's STS credentials are used)", required_when=_ALIBABA, secret=True),
    _v("ALIBABA_SECRET_KEY", "access_key_secret", text, None, required_when=_ALIBABA, secret=True),
    _v("ALIBABA_SECURITY_TOKEN", "security_token", text, None, secret=True),
    _v("TABLESTORE_ENDPOINT", "tablestore_endpoint", text, "Tablestore", required_when=(("storage=tablestore",),)),
    _v("TABLESTORE_INSTANCE", "tablestore_instance", text, None, required_when=(("storage=tablestore",),)),
    _v("MNS_ENDPOINT", "mns_endpoint", text, "MNS queue of jobs", required_when=(("queue=mns",),)),
    _v("MNS_QUEUE_NAME", "mns_queue_name", text, None),
    _v("OSS_ENDPOINT", "oss_endpoint", text, "OSS bucket for the async passes' audio (HTTPS signed URLs, ≤ 1 h)",
       required_when=(("blobs=oss",),)),
    _v("OSS_BUCKET", "oss_bucket", text, None, required_when=(("blobs=oss",),)),
    _v("OSS_REGION", "oss_region", text, "region for OSS V4 signatures (needed only for custom endpoints)",
       default_text="from the endpoint"),
    _v("LOG_LEVEL", "log_level", upper, "level of the bot's JSON log lines (`DEBUG`, `INFO`, `WARNING`, ...)"),
    _v("LOCAL_MEDIA_DIR", "local_media_dir", text, "local runner: folder of files named by `file_id`",
       default_text="temporary"),
    _v("MINIAPP_URL", "miniapp_url", stripped,
       "HTTPS address of the webhook function's `/app` page (the Mini App for files over 20 MB; registered with "
       "@BotFather); empty: files over 20 MB are refused as before"),
    _v("UPLOAD_MAX_BYTES", "upload_max_bytes", whole, "largest file the Mini App accepts (413 above; 2 GB)"),
    _v("UPLOAD_PART_BYTES", "upload_part_bytes", whole,
       "part size of the Mini App's multipart uploads (8 MiB; at least 100 KB; grows when a file would need more "
       "than 10,000 parts)"),
    _v("UPLOAD_URL_TTL_S", "upload_url_ttl_s", whole, "lifetime of the signed upload URLs (60–3600 s)"),
    _v("MINIAPP_INIT_DATA_MAX_AGE_S", "miniapp_init_data_max_age_s", whole,
       "how old Telegram's signed initData may be (older: 401)"),
    _v("SYNC_THRESHOLD_S", "policy.sync_threshold_s", number,
       "audio shorter than this (not dialogue, not a document) is transcribed in the webhook"),
    _v("ASR_CHUNK_MAX_S", "policy.chunk_max_s", number, "chunk plan (the minimum is at most the maximum)"),
    _v("ASR_CHUNK_MIN_S", "policy.chunk_min_s", number, None),
    _v("ASR_CHUNK_OVERLAP_S", "policy.chunk_overlap_s", number, None),
    _v("ASR_CONCURRENCY", "policy.asr_concurrency", at_least_one, "parallel recognizer requests per job"),
    _v("RETRY_ATTEMPTS", "policy.retry_attempts", at_least_one,
       "transient-failure retries (exponential backoff, full jitter)"),
    _v("RETRY_BASE_DELAY_S", "policy.retry_base_delay_s", number, None),
    _v("LLM_MIN_CHARS", "policy.llm_min_chars", whole, "skip the LLM for short text; piece size for long text"),
    _v("LLM_PIECE_CHARS", "policy.llm_piece_chars", whole, None),
    _v("TELEGRAM_MESSAGE_LIMIT", "policy.message_limit", whole, "delivery"),
    _v("TELEGRAM_EDIT_LIMIT", "policy.edit_limit", whole, None),
    _v("LONG_TEXT_FILE_CHARS", "policy.long_text_file_chars", at_least_one,
       "a user who never chose `/output` gets a transcript longer than this as a short preview plus a `.txt` "
       "file (shorter ones as messages)"),
    _v("LONG_TEXT_PREVIEW_CHARS", "policy.long_text_preview_chars", at_least_one, None),
    _v("PROGRESS_ETA_MIN_CHUNKS", "policy.progress_eta_min_chunks", at_least_one,
       "jobs of at least this many chunks show an estimate of the time left"),
    _v("DOWNLOAD_LIMIT_BYTES", "policy.download_limit_bytes", whole, "Bot API download limit (20 MB)"),
    _v("MAX_DURATION_S", "policy.max_duration_s", number, "longest accepted recording (4 h)"),
    _v("ASYNC_POLL_INTERVAL_S", "policy.poll_interval_s", number, "async pass polling"),
    _v("ASYNC_POLL_TIMEOUT_S", "policy.poll_timeout_s", number, None),
    _v("LOW_BALANCE_MINUTES", "policy.low_balance_minutes", whole,
       "the low-balance warning (once per crossing), trial size"),
    _v("TRIAL_MINUTES", "policy.trial_minutes", whole, None),
    _v("RESULTS_TTL_S", "policy.results_ttl_s", number,
       "how long (30 days) a finished transcript answers the same file again (free for whoever paid for it, "
       "billed to anyone else), and how long the cache keeps it (`/terms` says so; the table's time to live, set "
       "by `create-tables`, checked by `doctor`; `/forget` deletes a user's at once)"),
    _v("JOB_LEASE_S", "policy.job_lease_s", number,
       "a job processing longer than the lease is retried; after the attempts it fails with a refund"),
    _v("MAX_JOB_ATTEMPTS", "policy.max_job_attempts", at_least_one, None),
    _v("WORKER_STEP_BUDGET_S", "policy.step_budget_s", number,
       "a worker step starts no paid call after the budget (or the function timeout less the reserve); the rest "
       "of a long job is queued again (docs/deploy.md, \"Long jobs\")"),
    _v("WORKER_STEP_RESERVE_S", "policy.step_reserve_s", number, None),
    _v("INLINE_STEP_BUDGET_S", "policy.inline_step_budget_s", number,
       "the same for the webhook's inline path; what is left goes to the worker"),
    _v("MAX_JOB_STEPS", "policy.max_job_steps", at_least_one, "steps a job may use before it fails with a refund"),
    _v("LLM_CONCURRENCY", "policy.llm_concurrency", at_least_one, "formatter pieces of one job sent in parallel"),
    _v("MAX_ACTIVE_JOBS_PER_USER", "policy.max_active_jobs_per_user", at_least_one,
       "workers one user's jobs may occupy at once; the rest wait in the queue"),
    _v("SUMMARY_MINUTES_PER_HOUR", "policy.summary_minutes_per_hour", number,
       "price of the actions under a transcript, in minutes per started hour of its audio, rounded up to "
       "whole minutes (0: free); named speakers are always free"),
    _v("KEY_POINTS_MINUTES_PER_HOUR", "policy.key_points_minutes_per_hour", number, None),
    _v("TRANSLATION_MINUTES_PER_HOUR", "policy.translation_minutes_per_hour", number, None),
    _v("ACTION_PIECE_CHARS", "policy.action_piece_chars", at_least_one,
       "largest piece of transcript one summary or translation request carries (whole speaker turns)"),
    # Read on every invocation by ``settings.invocation_credentials``, not at start-up.
    _v("ALIBABA_CLOUD_ACCESS_KEY_ID", None, text,
       "the function role's STS credentials, read on every invocation (python3.12 has no `context.credentials`); "
       "they win over `ALIBABA_ACCESS_KEY`/`ALIBABA_SECRET_KEY`", default_text="set by FC"),
    _v("ALIBABA_CLOUD_ACCESS_KEY_SECRET", None, text, None, default_text="set by FC"),
    _v("ALIBABA_CLOUD_SECURITY_TOKEN", None, text, None, default_text="set by FC"),
    # Timeouts: every one must be > 0 (but the per-minute allowance); domain.policy.Timeouts says
    # which budget each sits in.
    _timeout("WEBHOOK_TIMEOUT_S", "webhook_s", "the webhook function's timeout (must equal s.yaml's `timeout`)"),
    _timeout("WEBHOOK_BUDGET_S", "webhook_budget_s", "webhook: no call starts later than this after an update arrived"),
    _timeout("PRE_CHECKOUT_BUDGET_S", "pre_checkout_budget_s",
             "pre-checkout (Telegram's 10 s): the checks start no storage call after the budget; "
             "`answerPreCheckoutQuery` is one attempt capped at the timeout"),
    _timeout("PRE_CHECKOUT_ANSWER_TIMEOUT_S", "pre_checkout_answer_s", None),
    _timeout("WORKER_CALL_TIMEOUT_S", "worker_call_s",
             "the longest one worker call may take (inside `WORKER_STEP_RESERVE_S`)"),
    _timeout("TELEGRAM_CONNECT_TIMEOUT_S", "telegram_connect_s", "python-telegram-bot's per-request timeouts"),
    _timeout("TELEGRAM_READ_TIMEOUT_S", "telegram_read_s", None),
    _timeout("TELEGRAM_WRITE_TIMEOUT_S", "telegram_write_s", None),
    _timeout("TELEGRAM_POOL_TIMEOUT_S", "telegram_pool_s", None),
    _timeout("TELEGRAM_CALL_TIMEOUT_S", "telegram_call_s",
             "whole-call caps: any Bot API call / `sendDocument` (both functions)"),
    _timeout("TELEGRAM_UPLOAD_TIMEOUT_S", "telegram_upload_s", None),
    _timeout("TELEGRAM_DOWNLOAD_TIMEOUT_S", "telegram_download_s",
             "cap on a file download after `getFile`: worker / webhook inline path"),
    _timeout("INLINE_DOWNLOAD_TIMEOUT_S", "inline_download_s", None),
    _timeout("API_CONNECT_TIMEOUT_S", "api_connect_s",
             "connection (and httpx pool wait and upload) of DashScope and Gemini requests"),
    _timeout("ASR_TIMEOUT_S", "asr_s",
             "reply of one `qwen3-asr-flash` request (or realtime session): worker chunk / inline note"),
    _timeout("INLINE_ASR_TIMEOUT_S", "inline_asr_s", None),
    _timeout("LLM_TIMEOUT_S", "llm_s",
             "reply of one formatting request: worker (Qwen, Gemini) / inline (Qwen only, one attempt; on failure "
             "the worker formats)"),
    _timeout("INLINE_LLM_TIMEOUT_S", "inline_llm_s", None),
    _timeout("ASYNC_SUBMIT_TIMEOUT_S", "async_submit_s",
             "dialogue passes: a submit (the SDK resends it 3 times), one `GET /tasks/{id}` (inside "
             "`ASYNC_POLL_TIMEOUT_S`), the result file"),
    _timeout("ASYNC_POLL_REQUEST_TIMEOUT_S", "async_poll_s", None),
    _timeout("ASYNC_RESULT_TIMEOUT_S", "async_result_s", None),
    _timeout("TABLESTORE_CONNECT_TIMEOUT_S", "tablestore_connect_s",
             "Tablestore (the SDK's own retries are off: ours stop at the budget)"),
    _timeout("TABLESTORE_READ_TIMEOUT_S", "tablestore_read_s", None),
    _timeout("MNS_TIMEOUT_S", "mns_s",
             "MNS socket; OSS connection and each read (kept audio, the passes' upload, values spilled from "
             "Tablestore)"),
    _timeout("OSS_TIMEOUT_S", "oss_s", None),
    _timeout("FFMPEG_TIMEOUT_S", "ffmpeg_s",
             "one ffmpeg process: worker / inline, plus so much per minute of audio"),
    _timeout("INLINE_FFMPEG_TIMEOUT_S", "inline_ffmpeg_s", None),
    _timeout("FFMPEG_TIMEOUT_PER_MINUTE_S", "ffmpeg_per_audio_minute_s", None),
)

BY_NAME: dict[str, Variable] = {v.env: v for v in VARIABLES}
