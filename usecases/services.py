"""The ports and settings every webhook-side use case shares, bundled once by the container."""

from __future__ import annotations

import attrs

from domain import costs, models
from domain.policy import Policy
from ports.chat import Chat
from ports.clock import Clock, Ids
from ports.job_queue import JobQueue
from ports.repositories import BotState, IdempotencyKeys, Jobs, Logs, Results, Trials, Users


@attrs.frozen
class BotServices:
    users: Users
    jobs: Jobs
    keys: IdempotencyKeys
    logs: Logs
    trials: Trials
    results: Results
    state: BotState
    queue: JobQueue
    chat: Chat
    clock: Clock
    ids: Ids
    policy: Policy
    owner_id: int | None
    # Key that signs invoice payloads, so a payload we did not issue is refused at pre-checkout.
    payload_secret: bytes
    bot_username: str = ""
    # Recognition languages a user may fix with /language: those the configured recognizers
    # document (entrypoints.settings.recognition_languages); the defaults' list unless given.
    recognition_languages: tuple[str, ...] = models.offered_languages(
        models.DEFAULT_MODELS[models.ASR], models.DEFAULT_MODELS[models.TEXT_PASS])
    # /paysupport, /terms, /privacy: how users reach the owner (SUPPORT_CONTACT), and how many days
    # after a payment an unused purchase is refunded on request (REFUND_WINDOW_DAYS; 0: purchases
    # are final).
    support_contact: str = ""
    refund_window_days: int = 14
    # What the configured models cost, for the owner's /cost (domain.costs; the defaults' unless given).
    # The Mini App that takes files over the download limit (MINIAPP_URL; empty: not offered) and
    # the largest file it accepts.
    miniapp_url: str = ""
    upload_max_bytes: int = 2 * 1024**3
    cost_rates: costs.CostRates = costs.rates_for(
        models.DEFAULT_MODELS[models.ASR], models.DEFAULT_MODELS[models.SPEAKER_PASS],
        models.DEFAULT_MODELS[models.TEXT_PASS], models.DEFAULT_MODELS[models.LLM])
