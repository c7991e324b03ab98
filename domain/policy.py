"""The numbers that steer the bot, with their defaults.

Every field is overridable from configuration (``entrypoints/settings.py`` builds the value);
the domain only reads them.
"""

from __future__ import annotations

import attrs

# How long one call can take at most follows from its timeouts by the rules of its client
# (``call_bounds``):
#   Telegram (python-telegram-bot): the adapter stops waiting at the call's cap -- exact.
#   ffmpeg: the process is killed at its timeout -- exact, per process.
#   DashScope REST (requests under the SDK): connect + read, and the SDK resends once when a pooled
#     connection drops before the reply: 2 x connect + read.
#   Tablestore (urllib3, whose default Retry reconnects up to 3 times): 4 x connect + read.
#   MNS (http.client), OSS (requests): one timeout for the connection and the reply: 2 x timeout.
#   Gemini, task polls and result files (httpx): pool + connect + write + read, the first three
#     set to the short connect timeout.
# Socket timeouts bound every wait, not a reply that trickles in byte by byte: only the Telegram
# cap and ffmpeg's kill are hard limits. The budgets below are proved from these bounds
# (``budget_problems``, tests/unit/domain/test_timeouts.py); ``check_settings`` refuses a
# configuration that breaks one.

# Telegram drops a payment whose pre-checkout query is not answered within 10 s (Bot API).
PRE_CHECKOUT_LIMIT_S = 10.0
# Of those, kept for the update's way to the function and the handler's own work.
PRE_CHECKOUT_MARGIN_S = 1.0
# Of the webhook function's timeout, kept for what runs before the request budget starts (a cold
# start: imports and the container) and for the CPU work between calls.
WEBHOOK_MARGIN_S = 8.0
# ffmpeg runs per transcode: probe the source, encode, probe the result.
FFMPEG_RUNS_PER_TRANSCODE = 3


@attrs.frozen
class Timeouts:
    """Every outbound call's timeout in seconds, each inside the budget of its caller.

    Budgets: the webhook function (FC HTTP trigger; ``webhook_s`` is s.yaml's ``timeout``); the
    pre-checkout answer (Telegram's 10 s); one worker step (``Policy.step_reserve_s`` holds the
    longest single call, ``worker_call_s``); the passes' polling (``Policy.poll_timeout_s``).
    Every field is configurable (README, "Timeouts").
    """

    # -- webhook function: 60 s (s.yaml). No outbound call starts later than ``webhook_budget_s``
    # after an update arrived (usecases.budget), so the webhook answers within budget + its
    # longest single call. (The inline path starts no paid request after
    # ``Policy.inline_step_budget_s``; the job then continues on the worker.)
    webhook_s: float = 60.0
    webhook_budget_s: float = 34.0
    # -- pre-checkout (Telegram's 10 s): the checks before the answer stop starting calls after
    # ``pre_checkout_budget_s``; the answer itself is capped at ``pre_checkout_answer_s``.
    pre_checkout_budget_s: float = 1.0
    pre_checkout_answer_s: float = 3.0
    # -- worker step: the longest one call may take (within Policy.step_reserve_s).
    worker_call_s: float = 60.0
    # -- Telegram Bot API (both functions): PTB's per-request timeouts, and the whole-call caps
    # the adapter waits at most (an ordinary call, a sendDocument upload, a file download).
    telegram_connect_s: float = 3.0
    telegram_read_s: float = 5.0
    telegram_write_s: float = 5.0
    telegram_pool_s: float = 1.0
    telegram_call_s: float = 10.0          # webhook and worker
    telegram_upload_s: float = 15.0        # webhook (cached result as .txt) and worker
    telegram_download_s: float = 50.0      # worker: a file of up to 20 MB (after getFile)
    inline_download_s: float = 8.0         # webhook, inline path: a note under SYNC_THRESHOLD_S
    # -- DashScope and Gemini: a connection (and, on httpx, the pool wait and the upload of the
    # request), then the reply of one request.
    api_connect_s: float = 2.0
    asr_s: float = 50.0                    # worker: one chunk of up to ASR_CHUNK_MAX_S
    inline_asr_s: float = 6.0              # webhook: one note under SYNC_THRESHOLD_S
    llm_s: float = 50.0                    # worker: one piece of up to LLM_PIECE_CHARS (Qwen, Gemini)
    inline_llm_s: float = 6.0              # webhook: one short transcript, one attempt, Qwen only
    async_submit_s: float = 5.0            # worker: a pass's submit (the SDK resends 3 times, 2 s apart)
    async_poll_s: float = 10.0             # worker: one GET /tasks/{id}, inside ASYNC_POLL_TIMEOUT_S
    async_result_s: float = 25.0           # worker: the finished task's result file
    # -- Alibaba Cloud storage and queue (both functions).
    tablestore_connect_s: float = 0.5
    tablestore_read_s: float = 2.5
    mns_s: float = 2.0
    oss_s: float = 5.0                     # kept audio, the passes' upload, values spilled from Tablestore
    # -- ffmpeg, per process: a base plus so much per minute of audio.
    ffmpeg_s: float = 120.0                # worker
    inline_ffmpeg_s: float = 2.0           # webhook: a note under SYNC_THRESHOLD_S
    ffmpeg_per_audio_minute_s: float = 2.0


@attrs.frozen
class Policy:
    # Routing: audio shorter than this (and not in dialogue mode) is transcribed inline in the webhook.
    sync_threshold_s: float = 60.0
    # Longest audio sent to qwen3-asr-flash in one request (provider allows 5 min). At 320 kbps, the
    # highest bitrate a chunk keeps, 150 s is 6 MB, 8 MB as a base64 data URI: under the 10 MB request cap.
    chunk_max_s: float = 150.0
    # Overlap kept at a hard cut where no silence exists, so no word is lost at the seam.
    chunk_overlap_s: float = 2.0
    # A chunk is never cut shorter than this when looking for a silence.
    chunk_min_s: float = 60.0
    # Silences shorter than this are not trusted as cut points.
    min_silence_s: float = 0.3
    # Text of this many characters or fewer is delivered without the LLM.
    llm_min_chars: int = 100
    # Largest piece of text sent to the formatter in one request.
    llm_piece_chars: int = 6000
    # Telegram limits.
    message_limit: int = 4096
    edit_limit: int = 4000
    # A user who never chose how long texts arrive (``LongTextMode.AUTO``) gets a transcript longer
    # than this (a few messages' worth) as a short preview of about ``long_text_preview_chars``
    # in the chat plus the whole text as a .txt file; shorter ones as messages.
    long_text_file_chars: int = 12000
    long_text_preview_chars: int = 800
    download_limit_bytes: int = 20 * 1024 * 1024
    # Longest audio accepted at all.
    max_duration_s: float = 4 * 3600.0
    # Async DashScope passes.
    poll_interval_s: float = 5.0
    poll_timeout_s: float = 240.0
    # Billing.
    low_balance_minutes: int = 5
    trial_minutes: int = 15
    # A cached transcript is served (instantly, billed to anyone but its payers) for this long after
    # it was recognised; then the file is recognised again (the Tablestore table's TTL is 30 days).
    results_ttl_s: float = 30 * 86400.0
    # Progress shows an estimate of the time left once a job has at least this many chunks.
    progress_eta_min_chunks: int = 4
    # Worker: parallel ASR requests and retries of transient failures.
    asr_concurrency: int = 4
    retry_attempts: int = 4
    retry_base_delay_s: float = 0.5
    # A job "processing" longer than this is considered stuck and is retried or failed.
    job_lease_s: float = 900.0
    max_job_attempts: int = 3
    # Bounded worker steps (docs/deploy.md, "Long jobs"). The MNS trigger pushes synchronously
    # and waits at most 300 s, so one invocation starts no new paid call after ``step_budget_s``;
    # ``step_reserve_s`` is kept for the longest single call (60 s) plus checkpoint, re-queue and
    # answer. A job that needs more time saves its checkpoints and is queued again.
    step_budget_s: float = 200.0
    step_reserve_s: float = 100.0
    # Decoding stops after this much audio (None: just past ``max_duration_s``, so a longer file
    # is refused having decoded no more than the limit). The webhook's inline path sets it near
    # ``sync_threshold_s``: a note whose claimed length lies is handed to the worker, never
    # decoded in the webhook.
    decode_limit_s: float | None = None
    # The webhook's inline path (60 s function timeout) starts no paid call after this many
    # seconds; what is left goes on in the worker as a continued job.
    inline_step_budget_s: float = 20.0
    # Workers one user's jobs may occupy at once (the rest wait in the queue): one backlog
    # never holds every worker while other users wait.
    max_active_jobs_per_user: int = 2
    # A job still unfinished after this many steps fails with a refund (never loops forever).
    max_job_steps: int = 40
    # Parallel formatter requests per job (pieces of a long transcript).
    llm_concurrency: int = 4
    # Actions on a delivered transcript (domain.transcript_actions.price_minutes): minutes per
    # started hour of its audio, rounded up to whole minutes; 0 makes an action free. Named
    # speakers are always free (no model is asked).
    summary_minutes_per_hour: float = 0.5
    key_points_minutes_per_hour: float = 0.5
    translation_minutes_per_hour: float = 1.0
    # Largest piece of transcript one summary or translation request carries.
    action_piece_chars: int = 6000
    # Every outbound call's timeout and the budgets they sit in (see ``Timeouts``).
    timeouts: Timeouts = attrs.field(factory=Timeouts)

    @property
    def decode_limit(self) -> float:
        """Seconds of audio a transcode may decode (see ``decode_limit_s``)."""
        return self.decode_limit_s if self.decode_limit_s is not None else self.max_duration_s + 1.0

    @property
    def chunk_max_ms(self) -> int:
        return int(self.chunk_max_s * 1000)


# --------------------------------------------------------------------------- budgets, proved


def call_bounds(policy: Policy) -> dict[str, float]:
    """The longest each outbound call can take, by the client rules at the top of this module."""
    t = policy.timeouts
    inline_ffmpeg = t.inline_ffmpeg_s + t.ffmpeg_per_audio_minute_s * policy.sync_threshold_s / 60
    dashscope = 2 * t.api_connect_s
    httpx = 3 * t.api_connect_s
    # The SDK resends a submit 3 times after a timeout or a refused connection, 2 s apart.
    submit = 4 * (dashscope + t.async_submit_s) + 3 * 2.0
    return {
        # both functions
        "telegram call": t.telegram_call_s,
        "telegram upload": t.telegram_upload_s,
        "tablestore call": 4 * t.tablestore_connect_s + t.tablestore_read_s,
        # a value over a cell's share lives in OSS: the row, then the object
        "tablestore spilled value": 4 * t.tablestore_connect_s + t.tablestore_read_s + 2 * t.oss_s,
        "mns publish": 2 * t.mns_s,
        # webhook only
        "telegram answerPreCheckoutQuery": t.pre_checkout_answer_s,
        "inline telegram download": t.telegram_call_s + t.inline_download_s,  # getFile, then the file
        "inline transcode": FFMPEG_RUNS_PER_TRANSCODE * inline_ffmpeg,
        "inline asr": dashscope + t.inline_asr_s,
        # decoding to PCM, the session's deadline, then a 1 s close
        "inline realtime asr": inline_ffmpeg + t.inline_asr_s + 1.0,
        "inline qwen": dashscope + t.inline_llm_s,
        # worker only
        "telegram download": t.telegram_call_s + t.telegram_download_s,
        "asr": dashscope + t.asr_s,
        "realtime asr": t.asr_s + 1.0,  # the network session (the worker's ffmpeg runs are its own)
        "qwen": dashscope + t.llm_s,
        "gemini": httpx + t.llm_s,
        "async submit": submit,
        "async poll": httpx + t.async_poll_s,
        "async result file": httpx + t.async_result_s,
        "oss call": 2 * t.oss_s,
    }


# Calls the webhook makes (commands, payments, media: the inline path) and the worker makes.
WEBHOOK_CALLS = ("telegram call", "telegram upload", "tablestore call", "tablestore spilled value", "mns publish",
                 "telegram answerPreCheckoutQuery", "inline telegram download", "inline transcode",
                 "inline asr", "inline realtime asr", "inline qwen")
WORKER_CALLS = ("telegram call", "telegram upload", "tablestore call", "tablestore spilled value", "mns publish",
                "telegram download",
                "asr", "realtime asr", "qwen", "gemini", "async submit", "async poll", "async result file",
                "oss call")


def webhook_worst_case_s(policy: Policy) -> float:
    """The longest the webhook can take once its request budget started.

    No call starts after ``webhook_budget_s`` (usecases.budget: the ports refuse, retries do not
    sleep past it), so the last call started ends at most its own bound later. The inline
    formatter runs in a thread of its own but makes one attempt, so it is one call here too.
    """
    bounds = call_bounds(policy)
    return policy.timeouts.webhook_budget_s + max(bounds[name] for name in WEBHOOK_CALLS)


def pre_checkout_worst_case_s(policy: Policy) -> float:
    """Checks (no call starts after their budget; the last one in flight ends) plus the answer."""
    bounds = call_bounds(policy)
    t = policy.timeouts
    return t.pre_checkout_budget_s + bounds["tablestore call"] + bounds["telegram answerPreCheckoutQuery"]


def budget_problems(policy: Policy) -> list[str]:
    """Every budget a configuration breaks, in words an operator can act on (empty: all fit)."""
    t = policy.timeouts
    bounds = call_bounds(policy)
    problems = []
    webhook = webhook_worst_case_s(policy)
    if webhook > t.webhook_s - WEBHOOK_MARGIN_S:
        longest = max(WEBHOOK_CALLS, key=bounds.__getitem__)
        problems.append(
            f"the webhook may need {webhook:g} s (WEBHOOK_BUDGET_S {t.webhook_budget_s:g} + its longest call, "
            f"{longest}, {bounds[longest]:g}) but has {t.webhook_s:g} - {WEBHOOK_MARGIN_S:g} s: "
            "lower WEBHOOK_BUDGET_S or that call's timeout")
    if policy.inline_step_budget_s >= t.webhook_budget_s:
        problems.append("INLINE_STEP_BUDGET_S must be below WEBHOOK_BUDGET_S (the hand-off to the worker "
                        "needs the rest)")
    pre_checkout = pre_checkout_worst_case_s(policy)
    if pre_checkout > PRE_CHECKOUT_LIMIT_S - PRE_CHECKOUT_MARGIN_S:
        problems.append(
            f"the pre-checkout answer may take {pre_checkout:g} s, over Telegram's {PRE_CHECKOUT_LIMIT_S:g} s "
            f"less {PRE_CHECKOUT_MARGIN_S:g}: lower PRE_CHECKOUT_BUDGET_S, PRE_CHECKOUT_ANSWER_TIMEOUT_S "
            "or the Tablestore timeouts")
    for name in WORKER_CALLS:
        if bounds[name] > t.worker_call_s:
            problems.append(f"a worker {name} may take {bounds[name]:g} s, over WORKER_CALL_TIMEOUT_S "
                            f"{t.worker_call_s:g}")
    if t.worker_call_s > policy.step_reserve_s:
        problems.append("WORKER_CALL_TIMEOUT_S must fit the worker step's reserve (WORKER_STEP_RESERVE_S)")
    if bounds["async poll"] > policy.poll_timeout_s / 4:
        problems.append("one task poll (ASYNC_POLL_REQUEST_TIMEOUT_S) must stay well below "
                        "ASYNC_POLL_TIMEOUT_S (a quarter at most)")
    return problems
