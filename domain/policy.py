"""The numbers that steer the bot, with the defaults the seed documents give.

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
#   MNS (http.client), OSS (requests), task polls and result files (httpx): one timeout for the
#     connection and one for the reply: 2 x timeout (a task poll: connect + read).
#   Gemini (httpx): pool + connect + write + read.
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
# The Telegram download of a file is two calls: getFile, then the file itself.


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
    # longest single call. The inline path starts no recognition or formatting request later than
    # ``inline_budget_s`` after it began; the job then continues on the worker.
    webhook_s: float = 60.0
    webhook_budget_s: float = 35.0
    inline_budget_s: float = 12.0
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
    telegram_download_s: float = 60.0      # worker: a file of up to 20 MB
    inline_download_s: float = 10.0        # webhook, inline path: a note under SYNC_THRESHOLD_S
    # -- DashScope REST: connection, then the reply of one request.
    dashscope_connect_s: float = 2.0
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
    oss_s: float = 10.0                    # worker: kept audio and the passes' upload
    # -- ffmpeg, per process: a base plus so much per minute of audio.
    ffmpeg_s: float = 120.0                # worker
    inline_ffmpeg_s: float = 3.0           # webhook
    ffmpeg_per_audio_minute_s: float = 2.0


@attrs.frozen
class Policy:
    # Routing: audio shorter than this (and not in dialogue mode) is transcribed inline in the webhook.
    sync_threshold_s: float = 60.0
    # Longest audio sent to qwen3-asr-flash in one request (provider allows 5 min; seeds chose 150 s).
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
    download_limit_bytes: int = 20 * 1024 * 1024
    # Longest audio accepted at all.
    max_duration_s: float = 4 * 3600.0
    # Async DashScope passes.
    poll_interval_s: float = 5.0
    poll_timeout_s: float = 240.0
    # Billing.
    low_balance_minutes: int = 5
    trial_minutes: int = 15
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
    # The webhook's inline path (60 s function timeout) starts no paid call after this many
    # seconds; what is left goes on in the worker as a continued job.
    inline_step_budget_s: float = 20.0
    # A job still unfinished after this many steps fails with a refund (never loops forever).
    max_job_steps: int = 40
    # Parallel formatter requests per job (pieces of a long transcript).
    llm_concurrency: int = 4
    # Every outbound call's timeout and the budgets they sit in (see ``Timeouts``).
    timeouts: Timeouts = attrs.field(factory=Timeouts)

    @property
    def chunk_max_ms(self) -> int:
        return int(self.chunk_max_s * 1000)
