"""The numbers that steer the bot, with the defaults the seed documents give.

Every field is overridable from configuration (``entrypoints/settings.py`` builds the value);
the domain only reads them.
"""

from __future__ import annotations

import attrs


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

    @property
    def chunk_max_ms(self) -> int:
        return int(self.chunk_max_s * 1000)
