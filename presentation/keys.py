"""The names of every message the bot sends, checked by the type checker.

A language's catalogue is a ``UserMessages[str]`` (``presentation.ru``, ``presentation.en``):
attrs requires every field, so a language without a message does not type-check. The same class
with ``Key`` values, ``M``, names the messages at the call sites: ``say(lang, M.balance,
minutes=5)``; a misspelt name is an attribute error for mypy, not a ``KeyError`` in production.
The owner's tools have their own, English-only, set: ``OwnerMessages`` and ``OM``.

Values are ``str.format`` templates; counts agree with their words through
``{n:plural:FORMS}`` (``presentation.catalogue``).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

T = TypeVar("T")


@attrs.frozen
class Key:
    """The name of a message to a user (a field of ``UserMessages``)."""

    name: str


@attrs.frozen
class OwnerKey:
    """The name of a message to the owner (a field of ``OwnerMessages``)."""

    name: str


@attrs.frozen
class UserMessages(Generic[T]):
    """One value per message to a user: the text in a language, or the message's ``Key``."""

    # Commands
    start: T
    help: T
    balance: T
    unknown_command: T
    text_hint: T
    settings_title: T
    language_title: T
    language_usage: T
    language_unknown: T
    back: T
    setting_code: T
    setting_yo: T
    setting_output: T
    setting_speakers: T
    setting_language: T
    setting_ui: T
    on: T
    off: T
    yo_keep: T
    yo_replace: T
    output_file: T
    output_split: T
    output_auto: T
    language_auto: T
    dialogue_note: T
    ui_name_ru: T
    ui_name_en: T
    lang_name_ru: T
    lang_name_en: T
    lang_name_uk: T
    lang_name_de: T
    lang_name_es: T
    lang_name_fr: T
    lang_name_it: T
    lang_name_zh: T
    lang_name_ar: T
    lang_name_ja: T
    lang_name_ko: T
    lang_name_pt: T
    # Trial and payments
    trial_requested: T
    trial_no_owner: T
    trial_pending: T
    trial_used: T
    trial_approved_user: T
    trial_denied_user: T
    trial_denied_before: T
    buy_title: T
    buy_line: T
    buy_limit_note: T
    buy_button: T
    package_micro_10: T
    package_start_50: T
    package_standard_200: T
    package_profi_1000: T
    package_max_8888: T
    invoice_title: T
    invoice_description: T
    micro_limit: T
    payment_ok: T
    payment_invalid: T
    payment_retry: T
    payment_review: T
    credited_by_admin: T
    debited_by_admin: T
    # Export of a transcript with timestamps
    export_caption: T
    export_caption_estimated: T
    export_unavailable: T
    # Media acceptance
    received: T
    queued: T
    received_video: T
    queued_video: T
    empty_file: T
    too_big: T
    too_long: T
    no_minutes: T
    no_minutes_real: T
    cached_result: T
    # Progress
    stage_download: T
    stage_convert: T
    stage_asr: T
    stage_asr_chunk: T
    stage_diarize: T
    stage_merge: T
    stage_format: T
    stage_deliver: T
    stage_convert_video: T
    stage_asr_chunk_eta: T
    stage_plain_fallback: T
    stage_plain_fallback_chunk: T
    stage_plain_fallback_chunk_eta: T
    eta_minutes: T
    eta_soon: T
    dialogue_fallback: T
    preview_note: T
    file_caption: T
    delivery_unsure: T
    speaker: T
    # Notices
    low_balance: T
    empty_balance: T
    # Errors
    err_no_speech: T
    err_bad_media: T
    err_no_sound: T
    err_download: T
    err_rejected: T
    err_generic: T
    err_timeout: T
    err_outage: T
    delivery_partial: T
    micro_refunded: T
    cached_sale: T
    # Support, terms, privacy, /cancel, /forget, refunds by the owner (usecases.support, usecases.user_requests)
    help_more: T
    help_upload: T
    support_contact_unset: T
    paysupport: T
    refund_policy: T
    refund_policy_none: T
    terms: T
    retention: T
    privacy: T
    cancel_none: T
    cancel_requested: T
    cancel_finishing: T
    cancel_retry: T
    job_cancelled: T
    forget_done: T
    forget_shared: T
    forget_running: T
    refunded_by_owner: T
    # The command menu (setMyCommands; usecases.support.command_menus)
    menu_start: T
    menu_help: T
    menu_balance: T
    menu_buy_minutes: T
    menu_trial: T
    menu_settings: T
    menu_language: T
    menu_dialogue: T
    menu_cancel: T
    menu_forget: T
    menu_paysupport: T
    menu_terms: T
    menu_privacy: T
    menu_upload: T
    refunded_by_owner_used: T
    # Actions on a transcript (usecases.transcript_actions)
    action_btn_summary: T
    action_btn_points: T
    action_btn_translate: T
    action_btn_names: T
    action_title_sum: T
    action_title_pts: T
    action_title_tr: T
    action_working_sum: T
    action_working_pts: T
    action_working_tr: T
    action_busy: T
    action_unavailable: T
    action_no_minutes: T
    action_unfaithful: T
    action_failed: T
    action_pick_language: T
    action_names_only_dialogue: T
    action_names_ask: T
    action_names_next: T
    action_names_done: T
    action_names_bad: T
    action_forget_actions: T
    # Uploads through the Mini App, past Telegram's 20 MB download limit (usecases.upload_offer, usecases.uploads)
    upload_too_big_offer: T
    upload_offer: T
    upload_unavailable: T
    upload_button: T
    upload_received: T


@attrs.frozen
class OwnerMessages(Generic[T]):
    """One value per message to the owner (English only). Messages sent in HTML mode take
    parameters that the caller has escaped (``presentation.html.escape``)."""

    admin: T
    user_not_found: T
    # Trials
    trial_new: T
    trial_card: T
    trial_approve: T
    trial_deny: T
    trial_approved: T
    trial_denied: T
    trial_already: T
    trial_none: T
    trials_none: T
    trials_count: T
    trials_more: T
    # Users (HTML)
    users_title: T
    users_title_query: T
    users_line: T
    users_none: T
    page_back: T
    page_next: T
    # Credit
    credit_usage: T
    credit_done: T
    credit_busy: T
    # Statistics (HTML)
    stat_title: T
    stat_users: T
    stat_transcriptions: T
    stat_minutes: T
    stat_chars: T
    stat_actions: T
    stat_top: T
    stat_top_line: T
    stat_top_none: T
    cost: T
    cost_unpriced: T
    metrics_title: T
    metrics_usage: T
    metrics_queue: T
    report_daily: T
    report_weekly: T
    report_usage: T
    # The daily report (HTML; the parameters are figures)
    report_window: T
    report_section_window: T
    report_transcriptions: T
    report_minutes: T
    report_characters: T
    report_actions: T
    report_users_active: T
    report_payments: T
    report_jobs: T
    report_section_totals: T
    report_users_total: T
    report_balances: T
    report_failed: T
    # Jobs
    status: T
    job_line: T
    more: T
    batch_usage: T
    batch: T
    flush: T
    flush_failed_line: T
    # Mute
    mute_on: T
    mute_off: T
    mute_status: T
    mute_usage: T
    # Export
    export_usage: T
    export_caption: T
    export_caption_all: T
    # Payments
    payment_owner: T
    payment_unmatched: T
    credit_too_big: T
    credit_repeat: T
    micro_refunded_owner: T
    micro_refund_failed: T
    micro_over_limit_credited: T
    # Refunds (/refund)
    admin_refund: T
    refund_usage: T
    refund_unknown: T
    refund_done: T
    refund_used: T
    refund_repeat: T
    refund_refused: T
    refund_unavailable: T


M: UserMessages[Key] = UserMessages(**{f.name: Key(f.name) for f in attrs.fields(UserMessages)})
OM: OwnerMessages[OwnerKey] = OwnerMessages(**{f.name: OwnerKey(f.name) for f in attrs.fields(OwnerMessages)})
