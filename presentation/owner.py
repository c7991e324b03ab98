"""The owner's tools (owner commands, notifications to the owner) speak English, like the daily
report. Messages marked (HTML) are sent in HTML mode; their parameters come escaped."""

from __future__ import annotations

from presentation.keys import OwnerMessages

OWNER: OwnerMessages[str] = OwnerMessages(
    admin=(
        "🛠 Owner commands\n"
        "/user [query] — users (search by id, name or @username), 20 per page\n"
        "/credit <id> <minutes> — add whole minutes (negative to debit; never below zero)\n"
        "/review_trials — pending trial requests\n"
        "/stat — last 30 days: users, transcriptions, actions, minutes, top users\n"
        "/cost — estimated cost of the last 30 days\n"
        "/metrics [hours] — figures for the last N hours (24 by default)\n"
        "/report daily|weekly — the daily or weekly report\n"
        "/status — unfinished jobs\n"
        "/batch <user_id> — that user's unfinished jobs\n"
        "/flush — retry or fail (with refund) stuck jobs\n"
        "/mute [hours|off] — silence error alerts\n"
        "/export users|logs|payments [days] — CSV file"
    ),
    user_not_found="User {user_id} not found",
    # Trials
    trial_new="🆕 Trial request",
    trial_card="{name} · id {user_id} · {username}\nRequested {requested} UTC · balance {balance} min",
    trial_approve="✅ Approve",
    trial_deny="❌ Deny",
    trial_approved="✅ Approved: {name} ({user_id}), +{minutes} min, balance {balance} min",
    trial_denied="❌ Denied: {name} ({user_id}); the user was told",
    trial_already="Already {status}: {name} ({user_id}); nothing changed",
    trial_none="No pending trial request from {name} ({user_id})",
    trials_none="✅ No pending trial requests",
    trials_count="⏳ Pending trial requests: {count}",
    trials_more="… and {count} more: decide these, then /review_trials again",
    # Users (HTML)
    users_title="👥 Users: {count} · page {page}/{pages}",
    users_title_query="🔎 “{query}”: {count:plural:# user|# users} · page {page}/{pages}",
    users_line="{trial} <b>{name}</b>{username} · <code>{user_id}</code> · {balance} min",
    users_none="Nobody matches.",
    page_back="← Back",
    page_next="Next →",
    # Credit
    credit_usage="Usage: /credit <user_id> <minutes> — whole minutes, negative to debit (never below zero)",
    credit_done="✅ {name} ({user_id}): {minutes} min, balance {balance} min",
    credit_busy="The balance of {user_id} kept changing; try again",
    # Statistics (HTML)
    stat_title="📈 <b>Last {days:plural:# day|# days}</b>",
    stat_users="Users: {total} (new {new}), active {active}",
    stat_transcriptions="Transcriptions: {count}",
    stat_minutes="Audio: {audio:.1f} min (billed {billed} min)",
    stat_chars="Characters: {chars}",
    # Summaries, key points, translations settled in the window (failed ones charged nothing)
    stat_actions="Actions: 📝 {summaries} · 📌 {points} · 🌐 {translations} · {minutes} min charged · {failed} failed",
    stat_top="<b>Top users</b>",
    stat_top_line="{rank}. {name} (<code>{user_id}</code>) — {minutes:.1f} min, {count:plural:# file|# files}",
    stat_top_none="—",
    cost=(
        "💵 Estimated cost, last {days:plural:# day|# days}\n"
        "Audio: {minutes:.1f} min\n"
        "ASR: ${asr:.2f}\nLLM: ${llm:.2f}\nActions (LLM): ${actions:.2f}\nInfrastructure: ${infra:.2f}\n"
        "Total: ${total:.2f} (${per_minute:.4f} per audio minute)\n"
        "Rates: {asr_model} ${asr_rate:g}/s, dialogue ({dialogue_models}) ${dialogue_rate:g}/s, "
        "{llm_model} ${llm_in:g}/${llm_out:g} per M tokens, infrastructure ${infra_rate:.2f} per 30 days"
    ),
    cost_unpriced="\nNo known price for: {models} (left out of the estimate; add it in domain/costs.py).",
    metrics_title="📈 Metrics, last {hours:g} h",
    metrics_usage="Usage: /metrics [hours] (0 < hours ≤ {max_hours})",
    metrics_queue="Unfinished jobs now: {active}",
    report_daily="📊 Daily report",
    report_weekly="📊 Weekly report",
    report_usage="Usage: /report daily|weekly",
    # The daily report (HTML; the parameters are figures)
    report_window="{since} – {until} UTC",
    report_section_window="Last {hours:g} h",
    report_transcriptions="Transcriptions: {count}",
    report_minutes="Audio: {audio:.1f} min (billed {billed} min)",
    report_characters="Characters: {chars}",
    report_actions="Actions: 📝 {summaries} · 📌 {points} · 🌐 {translations} · {minutes} min charged · {failed} failed",
    report_users_active="Active users: {active} · new users: {new}",
    report_payments="Payments: {count} ({stars} ⭐, {minutes} min)",
    report_jobs="Jobs failed: {failed} · unfinished: {unfinished}",
    report_section_totals="Totals",
    report_users_total="Users: {users}",
    report_balances="Balances: {minutes} min",
    report_failed="❌ Daily report failed: {error}",
    # Jobs
    status="⚙️ Unfinished jobs: {active} (queued {queued}, processing {processing})",
    job_line="{job}… user {user_id} · {status} · {duration:.0f} s · {age:.0f} min old · attempt {attempts}",
    more="… and {count} more",
    batch_usage="Usage: /batch <user_id>",
    batch="⚙️ Unfinished jobs of {user_id}: {count}",
    flush="🧹 Stuck jobs: {republished} sent to the queue again, {failed} failed with a refund",
    flush_failed_line="failed: {job}…",
    # Mute
    mute_on="🔕 Alerts muted for {hours:g} h (until {until} UTC)",
    mute_off="🔔 Alerts on",
    mute_status="🔕 Muted for {hours:.1f} h more (until {until} UTC)",
    mute_usage="Usage: /mute [hours|off] (0 < hours ≤ {max_hours})",
    # Export
    export_usage="Usage: /export users|logs|payments [days] (30 by default)",
    export_caption="{kind}: {rows:plural:# row|# rows}, last {days:plural:# day|# days}",
    export_caption_all="{kind}: {rows:plural:# row|# rows}",
    # Payments
    payment_owner="💳 {name} ({user_id}) paid {stars}⭐ for {minutes} min ({package}); balance {balance} min",
    payment_unmatched=(
        "⚠️ Payment that matches no invoice from {user_id}: {amount} {currency}, charge {charge}. "
        "Nothing was credited; check it and /credit by hand."
    ),
    credit_too_big="Refused: at most {max_minutes:plural:# minute|# minutes} per /credit (a larger number is a typo)",
    credit_repeat="✅ Already applied by an earlier delivery of this command: {name} ({user_id}), balance {balance} min",
    micro_refunded_owner=(
        "↩️ {name} ({user_id}) paid {stars}⭐ for the limited package past its limit of {limit} "
        "(charge {charge}): refunded, nothing credited"
    ),
    micro_refund_failed=(
        "⚠️ {name} ({user_id}) paid {stars}⭐ past the limited package's limit (charge {charge}) and the refund "
        "was refused: {error}. Nothing was credited; refund or /credit by hand."
    ),
    micro_over_limit_credited=(
        "⚠️ {name} ({user_id}) paid {stars}⭐ past the limited package's limit of {limit} (charge {charge}); "
        "refunds are not available here, so the minutes were credited. Refund by hand if you wish."
    ),
    # Refunds (/refund)
    admin_refund="/refund <charge_id> — refund a Stars payment and take back the minutes it bought",
    refund_usage="Usage: /refund <charge_id> (the charge is in the payment notice and in /export payments)",
    refund_unknown="No payment with charge {charge}: nothing refunded (see /export payments)",
    refund_done=(
        "↩️ Refunded {stars}⭐ to {name} ({user_id}), charge {charge}: took back {taken} of {minutes} min{used}; "
        "balance {balance} min"
    ),
    refund_used=" ({missing} min had already been used)",
    refund_repeat="Already refunded: charge {charge} of {name} ({user_id}); nothing changed (balance {balance} min)",
    refund_refused="⚠️ Telegram refused to refund charge {charge} of {name} ({user_id}): {error}. Nothing was taken back.",
    refund_unavailable="Refunds need the Telegram chat backend: nothing changed",
)
