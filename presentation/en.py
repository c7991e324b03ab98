"""The bot's messages in English."""

from __future__ import annotations

from presentation.keys import UserMessages

EN: UserMessages[str] = UserMessages(
    start=(
        "👋 I turn voice messages, audio and video into clean text.\n\n"
        "Send a recording and get punctuated text with paragraphs.\n"
        "/balance — your minutes\n/trial — trial minutes\n/buy_minutes — buy minutes\n"
        "/settings — settings\n/help — help"
    ),
    help=(
        "Send a voice message, audio, video, video note, or an audio/video file up to 20 MB.\n\n"
        "Every started minute of audio costs 1 minute of balance.\n"
        "/balance — balance\n/trial — request {trial:plural:# trial minute|# trial minutes}\n/buy_minutes — minute packages\n"
        "/settings — settings\n/code — monospace\n/yo — the letter ё\n/output — long text: auto, file or messages\n"
        "/dialogue — dialogue mode (by speaker)\n/speakers — speaker labels\n/language — recognition and interface language\n\n"
        "Under every transcript there are .txt, .srt and .vtt buttons: the text with timestamps and subtitles, "
        "and actions: 📝 Summary, 📌 Key points & tasks (decisions, who does what), 🌐 Translate, and in "
        "dialogue mode 👥 Name speakers (answer each question with a name, or send one line 1=Anna, 2=Boris). "
        "Summary, key points and translation cost a fraction of a minute per started hour of audio (rounded "
        "up to a minute); pressing again is free."
    ),
    balance="💰 Your balance: {minutes} min.",
    unknown_command="Unknown command. See /help.",
    text_hint="🎙 Send a voice message, audio, video or video note and I will turn the speech into text.\nCommands: /help",
    settings_title="⚙️ Settings\nTap a button to change a setting.",
    language_title="🌐 Recognition language\nAuto-detect works almost always; a fixed language helps when the bot mixes languages up.",
    language_usage=(
        "Recognition language: /language auto or /language <code> (e.g. /language ru, /language en).\n"
        "Interface language: /language ui ru or /language ui en."
    ),
    language_unknown=(
        "Language code “{code}” is not supported by the recognition models.\n"
        "Available codes: {codes}; or /language auto to auto-detect."
    ),
    back="← Back",
    setting_code="Monospace: {value}",
    setting_yo="Letter ё: {value}",
    setting_output="Long text: {value}",
    setting_speakers="Speaker labels: {value}",
    setting_language="Recognition language: {value}",
    setting_ui="Interface language: {value}",
    on="on",
    off="off",
    yo_keep="keep ё",
    yo_replace="replace with е",
    output_file="📄 .txt file",
    output_split="💬 several messages",
    output_auto="✂️ auto: a preview and a .txt file when long",
    language_auto="auto-detect",
    dialogue_note="Dialogue mode: {value} (takes longer)",
    ui_name_ru="русский",
    ui_name_en="English",
    lang_name_ru="Russian",
    lang_name_en="English",
    lang_name_uk="Ukrainian",
    lang_name_de="German",
    lang_name_es="Spanish",
    lang_name_fr="French",
    lang_name_it="Italian",
    lang_name_zh="Chinese",
    lang_name_ar="Arabic",
    lang_name_ja="Japanese",
    lang_name_ko="Korean",
    lang_name_pt="Portuguese",
    trial_requested="📝 Your trial request was sent. We will let you know.",
    trial_no_owner="Trial minutes are not available here: this bot has no owner to approve requests. You can buy minutes: /buy_minutes",
    trial_pending="⏳ Your request is already under review.",
    trial_used="The trial has already been used. Top up: /buy_minutes",
    trial_approved_user="✅ Request approved! {minutes} min credited.",
    trial_denied_user="❌ Your trial request was declined. Top up: /buy_minutes",
    trial_denied_before="Your trial request was already declined. Top up: /buy_minutes",
    buy_title="💎 Minute packages (paid with Telegram Stars)\nYour balance: {balance} min.",
    buy_line="• {title}: {minutes} min — {stars}⭐",
    buy_limit_note="  (at most {limit:plural:# purchase|# purchases}, {left} left)",
    buy_button="{title} — {stars}⭐",
    package_micro_10="Micro",
    package_start_50="Start",
    package_standard_200="Standard",
    package_profi_1000="Pro",
    package_max_8888="MAX",
    invoice_title="{minutes:plural:# minute|# minutes}",
    invoice_description="Package “{title}”: {minutes:plural:# minute|# minutes} of transcription",
    micro_limit="❌ You have used up the purchase limit of this package ({limit}).",
    payment_ok="✅ Payment received! {minutes} min added. Balance: {balance} min.",
    payment_invalid="This invoice is not valid. Open /buy_minutes again.",
    payment_retry="The payment could not be checked just now. Please try again in a minute.",
    payment_review="Payment received, but it matches none of our invoices. The administrator will check it and credit the minutes by hand.",
    credited_by_admin="💰 The administrator credited {minutes} min. Balance: {balance} min.",
    debited_by_admin="The administrator debited {minutes} min. Balance: {balance} min.",
    export_caption="Transcript with timestamps (.{fmt})",
    export_caption_estimated="Transcript with timestamps (.{fmt}). Times are approximate: they are estimated from the text length.",
    export_unavailable="This transcript is no longer available for export.",
    received="🎙 Audio received. Processing...",
    queued="⏳ Audio queued for processing...",
    received_video="🎬 Video received. Processing...",
    queued_video="⏳ Video queued for processing...",
    empty_file="The file is empty: there is nothing to transcribe.",
    too_big="The file is over 20 MB: Telegram does not let bots download such files. Compress it or send it in parts.",
    too_long="The recording is longer than {max_minutes} min. Please send a shorter file.",
    no_minutes="Not enough minutes: this recording costs {cost} min, your balance is {balance} min.\n/trial — trial minutes, /buy_minutes — top up.",
    no_minutes_real="The recording lasts {minutes} min {seconds} s and your balance does not cover it. Minutes returned. /buy_minutes",
    cached_result="♻️ This file was already transcribed — no second charge.",
    stage_download="📥 Downloading the file...",
    stage_convert="🎛 Converting audio...",
    stage_asr="🎙 Recognising speech...",
    stage_asr_chunk="🎙 Recognising speech... (part {i} of {n})",
    stage_diarize="🔄 Recognising speakers...",
    stage_merge="🔄 Merging the results...",
    stage_format="✏️ Formatting the text...",
    stage_deliver="📤 Sending the result...",
    stage_convert_video="🎛 Extracting the sound from the video...",
    stage_asr_chunk_eta="🎙 Recognising speech... (part {i} of {n}, {eta})",
    stage_plain_fallback="👥 Speakers could not be separated; recognising the plain text...",
    stage_plain_fallback_chunk="👥 Speakers could not be separated; recognising the plain text... (part {i} of {n})",
    stage_plain_fallback_chunk_eta=(
        "👥 Speakers could not be separated; recognising the plain text... (part {i} of {n}, {eta})"),
    eta_minutes="about {minutes:plural:# minute|# minutes} left",
    eta_soon="less than a minute left",
    dialogue_fallback="👥 Speakers could not be separated; here is the plain text.",
    preview_note="✂️ This is the beginning; the whole text is in the file below.",
    file_caption="Transcript ({chars:plural:# character|# characters})",
    delivery_unsure="⚠️ Telegram did not confirm that the whole text arrived. If something is missing, the full transcript is in the buttons below.",
    speaker="Speaker",
    low_balance="⚠️ Low balance! {balance} min left. Top up: /buy_minutes",
    empty_balance="❌ Balance used up! Top up: /buy_minutes",
    err_no_speech="No speech was found in the recording. Minutes returned.",
    err_bad_media="Could not process the file: it does not look like audio or video. Minutes returned.",
    err_no_sound="This video has no sound, so there is nothing to transcribe. Minutes returned.",
    err_download="Could not download the file from Telegram. Please send it again. Minutes returned.",
    err_rejected="The recognition service refused to process this recording. Minutes returned.",
    err_generic="Could not transcribe the recording. Minutes returned — please try again later.",
    err_timeout="Processing took too long. Minutes returned — try again later or send a shorter file.",
    err_outage="The transcription service is temporarily unavailable. Minutes returned — please try again in a few minutes.",
    delivery_partial="Could not send the whole transcript: {sent} of {total:plural:# part|# parts} arrived. You were charged only for the part that arrived.",
    micro_refunded="↩️ The purchase limit of this package ({limit}) is used up, so this payment was not credited: your {stars}⭐ were refunded.",
    cached_sale="♻️ This file was already transcribed — the text is ready at once.",
    # Support, terms, privacy, /cancel, /forget, refunds by the owner (usecases.support, usecases.user_requests)
    help_more=(
        "/cancel — stop a transcription\n/forget — delete my transcripts\n"
        "/paysupport — help with payments\n/terms — terms and refunds\n/privacy — what data is kept"
    ),
    help_upload="/upload — upload audio or video over 20 MB (up to {max_mb} MB) through the app",
    support_contact_unset="the bot's owner has not given a contact yet",
    paysupport=(
        "💬 Help with payments\n\n"
        "Payments are handled by the bot's owner, not by Telegram. Write to: {contact}. "
        "Give the date of the payment and its amount in ⭐ so it can be found.\n\n{refund}\n\nTerms: /terms"
    ),
    refund_policy=(
        "↩️ Refunds: a purchase whose minutes you have not used yet can be refunded within {days:plural:# day|# days} of payment — "
        "the Stars go back to your Telegram account and the minutes it bought leave your balance. A transcription "
        "that fails, or that you stop (/cancel), gives its minutes back by itself."
    ),
    refund_policy_none=(
        "↩️ Refunds: minute purchases are final, except for payment errors. A transcription that fails, or that "
        "you stop (/cancel), gives its minutes back by itself."
    ),
    terms=(
        "📄 Terms\n\n"
        "• The bot turns the speech in your recordings into text. Each started minute of recording costs 1 minute "
        "of balance; minutes are bought with Telegram Stars (/buy_minutes) and do not expire.\n"
        "• Recognition and formatting are automatic and can make mistakes — check what matters.\n"
        "• {refund}\n"
        "• Help with payments: /paysupport ({contact}).\n\n{retention}"
    ),
    retention=(
        "🔒 Data: a recording is downloaded from Telegram only while it is processed, then deleted. Recognition and "
        "formatting run on Alibaba Cloud Model Studio (Google Gemini as a fallback). A finished transcript is kept "
        "with its job for up to {job_days:plural:# day|# days}, and in the cache (so the same file is answered at once) for up to "
        "{cache_days:plural:# day|# days} after it was last used; /forget deletes your transcripts at once. Kept for accounting: "
        "your balance, payment records (without time limit) and usage records without text (duration, minutes) "
        "for {log_days:plural:# day|# days}."
    ),
    privacy=(
        "🛡 Privacy\n\n"
        "The bot keeps your Telegram id, name and @username, your settings, balance, jobs with their transcripts "
        "and your payments — only to work and to keep accounts.\n\n{retention}\n\nQuestions: {contact}."
    ),
    cancel_none="Nothing is being transcribed right now — there is nothing to stop.",
    cancel_requested=(
        "⏹ Stopping the transcription (files: {count}). As soon as it stops, {minutes} min go back to your balance."
    ),
    cancel_finishing="The transcript is already being sent (files: {count}) — it cannot be stopped and is charged as usual.",
    cancel_retry="Could not stop it just now — send /cancel again.",
    job_cancelled="⏹ Transcription stopped. The minutes are back on your balance.",
    forget_done=(
        "🗑 Deleted: job transcripts — {jobs}, cached transcripts — {cached}.\n"
        "Kept for accounting: your balance, payment records and usage records without text (duration, minutes; "
        "{log_days:plural:# day|# days})."
    ),
    forget_shared=(
        "Files other users sent too: {count} — their transcript stays cached for them, without any mark of you."
    ),
    forget_running=(
        "Still being processed: {count} — their transcripts stay for now; send /forget again when they are done, "
        "or stop them: /cancel."
    ),
    refunded_by_owner=(
        "↩️ Your payment of {stars}⭐ was refunded: the Stars go back to your Telegram account. {minutes} min were "
        "taken from your balance. Balance: {balance} min."
    ),
    # The command menu (setMyCommands; usecases.support.command_menus)
    menu_start="What the bot does",
    menu_help="Help and commands",
    menu_balance="Minutes on your balance",
    menu_buy_minutes="Buy minutes",
    menu_trial="Trial minutes",
    menu_settings="Settings",
    menu_language="Recognition and interface language",
    menu_dialogue="Dialogue mode (by speaker)",
    menu_cancel="Stop a transcription",
    menu_forget="Delete my transcripts",
    menu_paysupport="Help with payments",
    menu_terms="Terms and refunds",
    menu_privacy="What data is kept",
    menu_upload="Upload a file over 20 MB",
    refunded_by_owner_used=(
        "↩️ Your payment of {stars}⭐ was refunded: the Stars go back to your Telegram account. The minutes it bought "
        "had already been used: {minutes} of {bought} min were taken back. Balance: {balance} min."
    ),
    # Actions on a transcript (usecases.transcript_actions)
    action_btn_summary='📝 Summary',
    action_btn_points='📌 Key points & tasks',
    action_btn_translate='🌐 Translate',
    action_btn_names='👥 Name speakers',
    action_title_sum='📝 Summary',
    action_title_pts='📌 Key points, decisions and action items',
    action_title_tr='🌐 Translation: {language}',
    action_working_sum='⏳ Writing the summary…',
    action_working_pts='⏳ Picking out key points, decisions and action items…',
    action_working_tr='⏳ Translating: {language}…',
    action_busy='Already on it — the result will arrive here.',
    action_unavailable='This transcript is no longer available.',
    action_no_minutes='Not enough minutes: this costs {price} min, your balance is {balance} min. Top up: /buy_minutes',
    action_unfaithful='I could not do this faithfully: both models answered with text that distorts the recording (turns went missing or speakers appeared that do not exist). Your minutes are back. Please try later.',
    action_failed='That did not work: the text service is unavailable. Your minutes are back. Please try later.',
    action_pick_language='Translate into which language?',
    action_names_only_dialogue='Speakers can be named only in a dialogue-mode transcript (/dialogue).',
    action_names_ask='What is the name of "{label}"? Reply with the name in one message.\nOr name everyone in one line: {example}',
    action_names_next='Got it. What is the name of "{label}"?',
    action_names_done='👥 Names saved: {names}. The transcript and its .txt/.srt/.vtt exports now use them.',
    action_names_bad='That does not look like a name. Send a name, or a line like {example}',
    action_forget_actions='Summaries, translations and speaker names deleted: {count}.',
    # Uploads through the Mini App, past Telegram's 20 MB download limit (usecases.upload_offer, usecases.uploads)
    upload_too_big_offer=(
        "The file is over 20 MB: Telegram does not let bots download such files. Upload it through "
        "the app instead: up to {max_mb} MB, straight from your device."
    ),
    upload_offer=(
        "Upload audio or video of up to {max_mb} MB through the app: the file goes straight to "
        "storage, past Telegram's 20 MB limit."
    ),
    upload_unavailable=(
        "Uploading large files is not set up right now. Compress the recording below 20 MB or send it in parts."
    ),
    upload_button="📤 Upload a file",
    upload_received="📥 File uploaded ({mb} MB). Processing...",
)
