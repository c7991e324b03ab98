"""Composition root: the one dependency-injector container, wiring ports to adapters by configuration.

This module is the only place that builds the bot's object graph. The FC handlers
(``entrypoints.fc_runtime``), the local runner (``entrypoints.local``) and the tests
(``tests/world.py``, the FC handler tests) all take their use cases from ``build_container``.
Use cases never build each other: each constructor names the ports and values it needs
(keyword arguments), and the container builds every use case once and hands it to those that
use it. Tests do not rewire: they override adapter providers on this same container (a fake
clock, scripted recognizers and formatters, a recording chat, a policy) with
``provider.override(providers.Object(...))``, so the wiring they exercise is production's.

Every port is a ``Selector`` keyed by its backend in ``Settings.backends`` (profile default or
a ``*_BACKEND`` override). Real adapters are built by small functions that import their module
only when chosen, so a handler pays the import of exactly the SDKs its configuration needs
(a shorter cold start). Use cases are built once per process (``Singleton``): they hold no
per-request state.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
from dependency_injector import containers, providers

from adapters.memory.action_store import InMemoryActionStore
from adapters.memory.blob_store import InMemoryBlobStore
from adapters.memory.chat import RecordingChat
from adapters.memory.job_queue import InMemoryJobQueue
from adapters.memory.repositories import (
    InMemoryBotState,
    InMemoryIdempotencyKeys,
    InMemoryJobs,
    InMemoryLogs,
    InMemoryResults,
    InMemoryTrials,
    InMemoryUsers,
)
from adapters.memory.speech import ScriptedRecognizer, ScriptedSpeakerPass, ScriptedTimedTextPass
from adapters.memory.text_tasks import OfflineTextTasks
from adapters.system import RandomIds, SystemClock
from domain.costs import rates_for
from domain.models import translation_languages
from domain.policy import Policy
from entrypoints.settings import Settings, invoice_key, recognition_languages, upload_limits
from ports.clock import Clock
from usecases.accept_media import AcceptMedia
from usecases.accept_update import AcceptUpdate
from usecases.alerts import ModelMissingAlert, OwnerAlerts
from usecases.budget import BudgetedPort, InlineAttempt, WithinBudget
from usecases.exports import TranscriptExports
from usecases.formatting import FormattingChain
from usecases.owner import OwnerCommands
from usecases.payments import Payments
from usecases.refunds import PaymentRefunds
from usecases.reports import DailyReport
from usecases.retrying import retrying
from usecases.settings_menu import SettingsMenu
from usecases.support import SupportPages
from usecases.sweep_jobs import SweepJobs
from usecases.transcribe_job import TranscribeJob
from usecases.transcript_actions import TranscriptActions
from usecases.transcription import Transcriber
from usecases.trial import TrialRequests
from usecases.upload_offer import UploadOffer
from usecases.uploads import DirectUploadsFlow
from usecases.user_requests import UserRequests
from usecases.worker_loop import Worker

# -- builders of real adapters (imported lazily) --------------------------------------------------


# ``inline``: the adapter the webhook's inline path uses, with the short timeouts of its budget
# (domain.policy.Timeouts; the same kinds of adapters, other instances).


def _audio_tools(settings: Settings, inline: bool = False):
    from adapters.ffmpeg.ffmpeg_audio_tools import FfmpegAudioTools

    t = settings.policy.timeouts
    return FfmpegAudioTools(timeout_s=t.inline_ffmpeg_s if inline else t.ffmpeg_s,
                            timeout_per_audio_minute_s=t.ffmpeg_per_audio_minute_s)


def _dashscope_recognizer(settings: Settings, inline: bool = False):
    from adapters.alibaba.dashscope_recognizer import DashScopeRecognizer

    t = settings.policy.timeouts
    return DashScopeRecognizer(api_key=settings.dashscope_api_key, base_url=settings.dashscope_base_url,
                               model=settings.asr_model, request_timeout_s=t.inline_asr_s if inline else t.asr_s,
                               connect_timeout_s=t.api_connect_s)


def _realtime_recognizer(settings: Settings, audio_tools, inline: bool = False):
    from adapters.alibaba.dashscope_realtime import DashScopeRealtimeRecognizer

    t = settings.policy.timeouts
    return DashScopeRealtimeRecognizer(settings.dashscope_api_key, audio_tools.decode_pcm,
                                       ws_base_url=settings.dashscope_ws_url, model=settings.realtime_model,
                                       timeout_s=t.inline_asr_s if inline else t.asr_s)


def _pass_timings(settings: Settings) -> dict:
    t = settings.policy.timeouts
    return {"poll_interval_s": settings.policy.poll_interval_s, "poll_timeout_s": settings.policy.poll_timeout_s,
            "request_timeout_s": t.async_result_s, "submit_timeout_s": t.async_submit_s,
            "poll_request_timeout_s": t.async_poll_s, "connect_timeout_s": t.api_connect_s}


def _speaker_pass(settings: Settings, clock):
    from adapters.alibaba.dashscope_passes import DashScopeSpeakerPass

    return DashScopeSpeakerPass(api_key=settings.dashscope_api_key, base_url=settings.dashscope_base_url,
                                model=settings.speaker_model, clock=clock, **_pass_timings(settings))


def _text_pass(settings: Settings, clock):
    from adapters.alibaba.dashscope_passes import DashScopeTimedTextPass

    return DashScopeTimedTextPass(api_key=settings.dashscope_api_key, base_url=settings.dashscope_base_url,
                                  model=settings.text_pass_model, clock=clock, **_pass_timings(settings))


def _formatters(settings: Settings, inline: bool = False) -> list:
    """Qwen, then Gemini when configured. Inline: Qwen alone with one attempt (``InlineAttempt``):
    the webhook's budget has room for one LLM request; on any failure the worker formats."""
    t = settings.policy.timeouts
    chain: list = []
    if settings.backends["formatter"] == "qwen":
        from adapters.alibaba.qwen_formatter import QwenFormatter

        qwen = QwenFormatter(api_key=settings.dashscope_api_key, base_url=settings.dashscope_base_url,
                             model=settings.llm_model, request_timeout_s=t.inline_llm_s if inline else t.llm_s,
                             connect_timeout_s=t.api_connect_s)
        chain.append(InlineAttempt(qwen) if inline else qwen)
    if settings.google_api_key and settings.backends["formatter"] != "identity" and not inline:
        from adapters.gemini.gemini_formatter import GeminiFormatter

        chain.append(GeminiFormatter(api_key=settings.google_api_key, base_url=settings.gemini_base_url,
                                     model=settings.gemini_model, timeout_s=t.llm_s,
                                     connect_timeout_s=t.api_connect_s))
    return chain


def _text_models(formatters: list[Any]) -> list[Any]:
    """The text models of the actions on a transcript: the configured LLM formatters (each also
    answers text tasks); offline (the identity formatter) a deterministic stand-in that says so."""
    models = [f for f in formatters if hasattr(f, "run_task")]
    return models or [OfflineTextTasks()]


def _translation_languages(settings: Settings) -> tuple[str, ...]:
    fallback = settings.gemini_model if settings.google_api_key else None
    return translation_languages(settings.llm_model, fallback)


def _tablestore(settings: Settings, kind: str):
    from adapters.alibaba import tablestore as ts

    # Values over a cell's limit spill to the bucket (the 2 MB Tablestore cell, provider-contracts).
    overflow = _oss(settings) if settings.oss_endpoint and settings.oss_bucket else None
    t = settings.policy.timeouts
    return ts.build(kind, endpoint=settings.tablestore_endpoint, instance=settings.tablestore_instance,
                    access_key_id=settings.access_key_id, access_key_secret=settings.access_key_secret,
                    security_token=settings.security_token or None, overflow=overflow,
                    socket_timeout=(t.tablestore_connect_s, t.tablestore_read_s))


def _mns(settings: Settings):
    from adapters.alibaba.mns_job_queue import MnsJobQueue

    return MnsJobQueue(endpoint=settings.mns_endpoint, queue_name=settings.mns_queue_name,
                       access_key_id=settings.access_key_id, access_key_secret=settings.access_key_secret,
                       security_token=settings.security_token or None,
                       connection_timeout=settings.policy.timeouts.mns_s)


def _oss(settings: Settings):
    from adapters.alibaba.oss_blob_store import OssBlobStore

    return OssBlobStore(endpoint=settings.oss_endpoint, bucket=settings.oss_bucket,
                        access_key_id=settings.access_key_id, access_key_secret=settings.access_key_secret,
                        security_token=settings.security_token or None, region=settings.oss_region or None,
                        connect_timeout=settings.policy.timeouts.oss_s)


def _telegram(settings: Settings, inline: bool = False):
    from adapters.telegram.telegram_chat import TelegramChat

    root = settings.telegram_api_base_url
    t = settings.policy.timeouts
    return TelegramChat(settings.telegram_token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot",
                        connect_timeout_s=t.telegram_connect_s, read_timeout_s=t.telegram_read_s,
                        write_timeout_s=t.telegram_write_s, pool_timeout_s=t.telegram_pool_s,
                        call_timeout_s=t.telegram_call_s, media_write_timeout_s=t.telegram_upload_s,
                        upload_timeout_s=t.telegram_upload_s,
                        download_timeout_s=t.inline_download_s if inline else t.telegram_download_s,
                        pre_checkout_timeout_s=t.pre_checkout_answer_s)


def _recording_chat(settings: Settings) -> RecordingChat:
    return RecordingChat(file_dir=Path(settings.local_media_dir) if settings.local_media_dir else None)


P = TypeVar("P")


def _retrying(port: P, clock: Clock, policy: Policy) -> P:
    return retrying(port, clock=clock, attempts=policy.retry_attempts, base_delay_s=policy.retry_base_delay_s)


def retried_port(port: P, clock: Clock, policy: Policy) -> P:
    """A port as the container hands it to use cases (``Container.r_*``), for tools and tests that
    run a use case over an adapter of their own."""
    return _retrying(cast(P, BudgetedPort(port)), clock, policy)  # the proxy answers as the port


def _upload_ticket_key(settings: Settings) -> bytes:
    # Signs the Mini App's upload tickets: derived from the bot token, which every deployment that
    # serves the Mini App has (a new token only invalidates uploads in flight).
    return hashlib.sha256(f"direct-upload|{settings.telegram_token}".encode()).digest()


def _inline_policy(policy: Policy) -> Policy:
    """The policy of the webhook's inline path: a lease no longer than the webhook can live (a job
    the webhook could not hand over is free for the sweeper a minute later, not after
    ``JOB_LEASE_S``). Its retries stop at the request's budget (usecases.budget). It decodes at most
    twice the inline threshold: a voice note that lies about its length goes to the worker."""
    return attrs.evolve(policy, job_lease_s=policy.timeouts.webhook_s,
                        decode_limit_s=2 * policy.sync_threshold_s)


def _backend(port: str):
    return lambda settings: settings.backends[port]


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    policy = providers.Callable(lambda s: s.policy, settings)
    clock = providers.ThreadSafeSingleton(SystemClock)
    ids = providers.ThreadSafeSingleton(RandomIds)

    # The adapters built from the Alibaba credentials (STS, rotated during an instance's life):
    # ``credential_holders`` lists them for ``FcRuntime``, which resets them and what holds them.
    tablestore_users = providers.ThreadSafeSingleton(_tablestore, settings, "users")
    tablestore_jobs = providers.ThreadSafeSingleton(_tablestore, settings, "jobs")
    tablestore_keys = providers.ThreadSafeSingleton(_tablestore, settings, "keys")
    tablestore_logs = providers.ThreadSafeSingleton(_tablestore, settings, "logs")
    tablestore_trials = providers.ThreadSafeSingleton(_tablestore, settings, "trials")
    tablestore_results = providers.ThreadSafeSingleton(_tablestore, settings, "results")
    tablestore_state = providers.ThreadSafeSingleton(_tablestore, settings, "state")
    tablestore_actions = providers.ThreadSafeSingleton(_tablestore, settings, "actions")
    mns_queue = providers.ThreadSafeSingleton(_mns, settings)
    oss_blobs = providers.ThreadSafeSingleton(_oss, settings)

    _storage = providers.Callable(_backend("storage"), settings)
    users = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryUsers),
                               tablestore=tablestore_users)
    jobs = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryJobs), tablestore=tablestore_jobs)
    keys = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryIdempotencyKeys),
                              tablestore=tablestore_keys)
    logs = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryLogs), tablestore=tablestore_logs)
    trials = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryTrials),
                                tablestore=tablestore_trials)
    results = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryResults),
                                 tablestore=tablestore_results)
    state = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryBotState),
                               tablestore=tablestore_state)
    actions_store = providers.Selector(_storage, memory=providers.ThreadSafeSingleton(InMemoryActionStore),
                                       tablestore=tablestore_actions)

    queue = providers.Selector(providers.Callable(_backend("queue"), settings),
                               memory=providers.ThreadSafeSingleton(InMemoryJobQueue, clock), mns=mns_queue)
    blobs = providers.Selector(providers.Callable(_backend("blobs"), settings),
                               memory=providers.ThreadSafeSingleton(InMemoryBlobStore, clock), oss=oss_blobs)
    _chat_backend = providers.Callable(_backend("chat"), settings)
    _recording = providers.ThreadSafeSingleton(_recording_chat, settings)
    chat = providers.Selector(_chat_backend, recording=_recording,
                              telegram=providers.ThreadSafeSingleton(_telegram, settings))

    audio_tools = providers.ThreadSafeSingleton(_audio_tools, settings)
    _asr_backend = providers.Callable(_backend("asr"), settings)
    recognizer = providers.Selector(_asr_backend,
                                    scripted=providers.ThreadSafeSingleton(ScriptedRecognizer),
                                    dashscope=providers.ThreadSafeSingleton(_dashscope_recognizer, settings),
                                    **{"dashscope-realtime": providers.ThreadSafeSingleton(
                                        _realtime_recognizer, settings, audio_tools)})
    _passes = providers.Callable(_backend("passes"), settings)
    speaker_pass = providers.Selector(_passes, scripted=providers.ThreadSafeSingleton(ScriptedSpeakerPass),
                                      dashscope=providers.ThreadSafeSingleton(_speaker_pass, settings, clock))
    text_pass = providers.Selector(_passes, scripted=providers.ThreadSafeSingleton(ScriptedTimedTextPass),
                                   dashscope=providers.ThreadSafeSingleton(_text_pass, settings, clock))
    formatters = providers.ThreadSafeSingleton(_formatters, settings)

    # -- the ports as the use cases get them: stores, queue, blobs and chat retried on transient
    # failures (usecases.retrying.RetryingPort); the raw adapters above stay reachable for tools.
    # Under them, ``BudgetedPort``: no call starts once the request's time budget is spent
    # (usecases.budget; only the webhook runs under one).
    @staticmethod  # a plain function called in the class body (not a method of the container)
    def _retried(port, clock=clock, policy=policy):
        return providers.ThreadSafeSingleton(_retrying, providers.ThreadSafeSingleton(BudgetedPort, port),
                                             clock, policy)

    r_users, r_jobs, r_keys, r_logs = _retried(users), _retried(jobs), _retried(keys), _retried(logs)
    r_trials, r_results, r_state = _retried(trials), _retried(results), _retried(state)
    r_queue, r_blobs, r_chat = _retried(queue), _retried(blobs), _retried(chat)
    r_actions = _retried(actions_store)

    # -- the webhook's inline path (short audio): the same ports with the short timeouts of its
    # budget (domain.policy.Timeouts). A scripted recognizer or the recording chat is shared.
    inline_policy = providers.Callable(_inline_policy, policy)
    inline_chat = providers.Selector(_chat_backend, recording=_recording,
                                     telegram=providers.ThreadSafeSingleton(_telegram, settings, True))
    r_inline_chat = _retried(inline_chat)
    del _retried
    inline_audio_adapter = providers.ThreadSafeSingleton(_audio_tools, settings, True)
    inline_audio_tools = providers.ThreadSafeSingleton(BudgetedPort, inline_audio_adapter)
    inline_recognizer = providers.ThreadSafeSingleton(BudgetedPort, providers.Selector(
        _asr_backend, scripted=recognizer,
        dashscope=providers.ThreadSafeSingleton(_dashscope_recognizer, settings, True),
        **{"dashscope-realtime": providers.ThreadSafeSingleton(
            _realtime_recognizer, settings, inline_audio_tools, True)}))
    inline_formatters = providers.ThreadSafeSingleton(_formatters, settings, True)

    # -- owner notifications (FC handlers) ----------------------------------------------------------
    alerts = providers.ThreadSafeSingleton(OwnerAlerts, chat=providers.ThreadSafeSingleton(BudgetedPort, chat),
                                           state=r_state, clock=clock,
                                           owner_id=providers.Callable(lambda s: s.owner_id, settings))
    model_missing = providers.ThreadSafeSingleton(ModelMissingAlert, alerts, r_state, clock)

    # -- use cases --------------------------------------------------------------------------------
    formatting = providers.ThreadSafeSingleton(FormattingChain, formatters, policy, clock, model_missing)
    transcriber = providers.ThreadSafeSingleton(
        Transcriber, audio=audio_tools, recognizer=recognizer, speaker_pass=speaker_pass, text_pass=text_pass,
        blobs=r_blobs, clock=clock, policy=policy,
    )
    transcribe_job = providers.ThreadSafeSingleton(
        TranscribeJob, jobs=r_jobs, users=r_users, logs=r_logs, results=r_results, chat=r_chat,
        transcriber=transcriber, formatting=formatting, clock=clock, policy=policy, blobs=r_blobs, queue=r_queue,
        uploads=r_blobs,
    )
    inline_formatting = providers.ThreadSafeSingleton(FormattingChain, inline_formatters, inline_policy, clock,
                                                      model_missing)
    inline_transcriber = providers.ThreadSafeSingleton(
        Transcriber, audio=inline_audio_tools, recognizer=inline_recognizer, speaker_pass=speaker_pass,
        text_pass=text_pass, blobs=r_blobs, clock=clock, policy=inline_policy,
    )
    inline_transcribe_job = providers.ThreadSafeSingleton(
        TranscribeJob, jobs=r_jobs, users=r_users, logs=r_logs, results=r_results, chat=r_inline_chat,
        transcriber=inline_transcriber, formatting=inline_formatting, clock=clock, policy=inline_policy,
        blobs=r_blobs, queue=r_queue,
    )
    # Summary, key points, translation, speaker names (the worker runs the long part).
    transcript_actions = providers.ThreadSafeSingleton(
        TranscriptActions, jobs=r_jobs, users=r_users, actions=r_actions, chat=r_chat, queue=r_queue,
        models=providers.Callable(_text_models, formatters), clock=clock, policy=policy,
        translation_languages=providers.Callable(_translation_languages, settings),
    )
    worker = providers.ThreadSafeSingleton(Worker, transcribe_job=transcribe_job, actions=transcript_actions)
    sweep_jobs = providers.ThreadSafeSingleton(SweepJobs, jobs=r_jobs, queue=r_queue, clock=clock, policy=policy,
                                               transcribe_job=transcribe_job)

    # -- the webhook's use cases: each gets the ports and values it names, nothing more ------------
    owner_id = providers.Callable(lambda s: s.owner_id, settings)
    payload_secret = providers.Callable(invoice_key, settings)
    daily_report = providers.ThreadSafeSingleton(DailyReport, users=r_users, jobs=r_jobs, logs=r_logs,
                                                 actions=r_actions, chat=r_chat, clock=clock, owner_id=owner_id)
    payment_refunds = providers.ThreadSafeSingleton(PaymentRefunds, users=r_users, logs=r_logs, chat=r_chat)
    trial_requests = providers.ThreadSafeSingleton(TrialRequests, users=r_users, trials=r_trials, chat=r_chat,
                                                   clock=clock, policy=policy, owner_id=owner_id)
    owner_commands = providers.ThreadSafeSingleton(
        OwnerCommands, users=r_users, jobs=r_jobs, logs=r_logs, actions=r_actions, trials=r_trials, state=r_state,
        chat=r_chat,
        clock=clock, cost_rates=providers.Callable(
            lambda s: rates_for(s.asr_model, s.speaker_model, s.text_pass_model, s.llm_model), settings),
        trial_requests=trial_requests, sweep=sweep_jobs, report=daily_report, refunds=payment_refunds)
    # Files over the download limit: the Mini App's button, when MINIAPP_URL is set.
    upload_offer = providers.Callable(lambda s: UploadOffer(s.miniapp_url, s.upload_max_bytes), settings)
    # Media on the webhook: short audio runs inline (``inline_transcribe_job``), the rest is queued.
    accept_media = providers.ThreadSafeSingleton(
        AcceptMedia, users=r_users, jobs=r_jobs, results=r_results, queue=r_queue, chat=r_chat, clock=clock,
        policy=policy, transcribe_job=inline_transcribe_job, upload_offer=upload_offer)
    payments = providers.ThreadSafeSingleton(
        Payments, users=r_users, keys=r_keys, logs=r_logs, chat=r_chat, clock=clock, ids=ids, policy=policy,
        owner_id=owner_id, payload_secret=payload_secret)
    settings_menu = providers.ThreadSafeSingleton(
        SettingsMenu, users=r_users, chat=r_chat,
        recognition_languages=providers.Callable(recognition_languages, settings))
    transcript_exports = providers.ThreadSafeSingleton(
        TranscriptExports, users=r_users, jobs=r_jobs, chat=r_chat,
        speaker_names=providers.Callable(lambda actions: actions.speaker_names, transcript_actions))
    support_pages = providers.ThreadSafeSingleton(
        SupportPages, policy=policy, support_contact=providers.Callable(lambda s: s.support_contact, settings),
        refund_window_days=providers.Callable(lambda s: s.refund_window_days, settings))
    user_requests = providers.ThreadSafeSingleton(UserRequests, jobs=r_jobs, results=r_results, chat=r_chat)
    # The webhook's use case, under its request budget (WEBHOOK_BUDGET_S).
    accept_update = providers.ThreadSafeSingleton(
        WithinBudget, providers.ThreadSafeSingleton(
            AcceptUpdate, users=r_users, keys=r_keys, chat=r_chat, clock=clock, policy=policy, owner_id=owner_id,
            bot_username=providers.Callable(lambda s: s.bot_username, settings), media=accept_media,
            payments=payments, settings_menu=settings_menu, trial_requests=trial_requests,
            exports=transcript_exports, support=support_pages, user_requests=user_requests, owner=owner_commands,
            upload_offer=upload_offer, actions=transcript_actions),
        clock, providers.Callable(lambda p: p.timeouts.webhook_budget_s, policy))
    # The Mini App's uploads straight to the blob store (files over Telegram's download limit).
    upload_ticket_key = providers.Callable(_upload_ticket_key, settings)
    direct_uploads = providers.ThreadSafeSingleton(
        DirectUploadsFlow, uploads=r_blobs, users=r_users, jobs=r_jobs, queue=r_queue, chat=r_chat, clock=clock,
        ids=ids, limits=providers.Callable(upload_limits, settings),
        bot_token=providers.Callable(lambda s: s.telegram_token, settings), ticket_key=upload_ticket_key)


def credential_holders(container: Container) -> list[providers.Provider[Any]]:
    """The providers whose adapters carry the Alibaba credentials."""
    return [container.tablestore_users, container.tablestore_jobs, container.tablestore_keys,
            container.tablestore_logs, container.tablestore_trials, container.tablestore_results,
            container.tablestore_state, container.tablestore_actions, container.mns_queue, container.oss_blobs]


def reset_credentialed(container: Container) -> int:
    """Forget every singleton built from the credentials: the holders and every singleton that holds
    one of them (its retry wrapper, the use cases), so the next resolution builds them from the
    settings now in force. Adapters without credentials (Telegram, recognizers, formatters) are
    kept. Returns how many providers were reset."""
    holders = set(credential_holders(container))
    stale = [p for p in container.traverse(types=[providers.BaseSingleton])
             if p in holders or any(d in holders for d in p.traverse(types=[providers.BaseSingleton]))]
    for provider in stale:
        provider.reset()
    return len(stale)


def build_container(settings: Settings) -> Container:
    container = Container()
    container.settings.override(settings)
    return container
