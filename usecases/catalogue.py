"""Every user-facing string of the bot, one catalogue per interface language.

``say(lang, key, **params)`` formats a string; an unknown language falls back to Russian, the
bot's first language. ``RU`` and ``EN`` hold the same keys with the same ``{placeholders}`` (a
test checks it). The owner's tools speak English: ``OWNER`` and ``owner_say``. Strings meant for
HTML mode escape their parameters at the call site.

Counts agree with their words through ``{n:plural:FORMS}``: FORMS are the language's plural
forms separated by ``|`` in the order of ``domain.plurals.CATEGORIES`` (ru: one|few|many, en:
one|other), and ``#`` in a form stands for the number: ``{chars:plural:# символ|# символа|#
символов}`` gives "1 символ", "3 символа", "5 символов". Abbreviations ("5 мин.", "5 min") need none.
"""

from __future__ import annotations

import datetime
import string

from domain.plurals import choose

RU: dict[str, str] = {
    # Commands
    "start": (
        "👋 Я превращаю голосовые, аудио и видео в аккуратный текст.\n\n"
        "Пришлите запись — и получите текст с пунктуацией и абзацами.\n"
        "/balance — баланс минут\n/trial — пробные минуты\n/buy_minutes — купить минуты\n"
        "/settings — настройки\n/help — помощь"
    ),
    "help": (
        "Пришлите голосовое сообщение, аудио, видео, кружок или аудио/видеофайл до 20 МБ.\n\n"
        "Каждая начатая минута записи стоит 1 минуту баланса.\n"
        "/balance — баланс\n/trial — заявка на {trial:plural:# пробную минуту|# пробные минуты|# пробных минут}\n/buy_minutes — пакеты минут\n"
        "/settings — настройки\n/code — моноширинный шрифт\n/yo — буква ё\n/output — длинный текст: авто, файл или сообщения\n"
        "/dialogue — режим диалога (по спикерам)\n/speakers — подписи спикеров\n/language — язык распознавания и интерфейса\n\n"
        "Под каждым текстом есть кнопки .txt, .srt и .vtt — текст с метками времени и субтитры, "
        "и действия: 📝 Кратко, 📌 Главное и задачи (решения и кто что делает), 🌐 Перевод, "
        "в режиме диалога — 👥 Имена спикеров (ответьте именем на каждый вопрос или строкой 1=Анна, 2=Борис). "
        "Кратко, главное и перевод стоят долю минуты за каждый начатый час записи (округляется до минуты); "
        "повторное нажатие бесплатно."
    ),
    "balance": "💰 Ваш баланс: {minutes} мин.",
    "unknown_command": "Неизвестная команда. Используйте /help для справки.",
    "text_hint": "🎙 Пришлите голосовое сообщение, аудио, видео или кружок — я превращу речь в текст.\nКоманды: /help",
    "settings_title": "⚙️ Настройки\nНажмите на кнопку, чтобы изменить настройку.",
    "language_title": "🌐 Язык распознавания\nАвтоопределение подходит почти всегда; фиксированный язык помогает, если бот путает языки.",
    "language_usage": (
        "Язык распознавания: /language auto или /language <код> (например, /language ru, /language en).\n"
        "Язык интерфейса: /language ui ru или /language ui en."
    ),
    "language_unknown": (
        "Код языка «{code}» не поддерживается моделями распознавания.\n"
        "Доступные коды: {codes}; или /language auto — автоопределение."
    ),
    "back": "← Назад",
    "setting_code": "Моноширинный шрифт: {value}",
    "setting_yo": "Буква ё: {value}",
    "setting_output": "Длинный текст: {value}",
    "setting_dialogue": "Режим диалога: {value}",
    "setting_speakers": "Подписи спикеров: {value}",
    "setting_language": "Язык распознавания: {value}",
    "setting_ui": "Язык интерфейса: {value}",
    "on": "включено",
    "off": "выключено",
    "yo_keep": "сохранять ё",
    "yo_replace": "заменять на е",
    "output_file": "📄 файл .txt",
    "output_split": "💬 несколько сообщений",
    "output_auto": "✂️ авто: если длинный — начало и файл .txt",
    "language_auto": "автоопределение",
    "dialogue_note": "Режим диалога: {value} (обработка дольше)",
    "ui_name_ru": "русский",
    "ui_name_en": "English",
    "lang_name_ru": "русский",
    "lang_name_en": "английский",
    "lang_name_uk": "украинский",
    "lang_name_de": "немецкий",
    "lang_name_es": "испанский",
    "lang_name_fr": "французский",
    "lang_name_it": "итальянский",
    "lang_name_zh": "китайский",
    "lang_name_ar": "арабский",
    "lang_name_ja": "японский",
    "lang_name_ko": "корейский",
    "lang_name_pt": "португальский",
    # Trial and payments
    "trial_requested": "📝 Заявка на пробные минуты отправлена. Мы сообщим о решении.",
    "trial_no_owner": "Пробные минуты здесь не выдаются: у бота не назначен владелец, который одобряет заявки. Минуты можно купить: /buy_minutes",
    "trial_pending": "⏳ Ваша заявка уже на рассмотрении.",
    "trial_used": "Пробный период уже использован. Пополнить: /buy_minutes",
    "trial_approved_user": "✅ Заявка одобрена! Начислено {minutes} мин.",
    "trial_denied_user": "❌ Заявка на пробные минуты отклонена. Пополнить: /buy_minutes",
    "trial_denied_before": "Заявка на пробные минуты уже была отклонена. Пополнить: /buy_minutes",
    "buy_title": "💎 Пакеты минут (оплата Telegram Stars)\nВаш баланс: {balance} мин.",
    "buy_line": "• {title}: {minutes} мин — {stars}⭐",
    "buy_limit_note": "  (не больше {limit:plural:# покупки|# покупок|# покупок}, осталось {left})",
    "buy_button": "{title} — {stars}⭐",
    "package_micro_10": "Микро",
    "package_start_50": "Старт",
    "package_standard_200": "Стандарт",
    "package_profi_1000": "Профи",
    "package_max_8888": "MAX",
    "invoice_title": "{minutes:plural:# минута|# минуты|# минут}",
    "invoice_description": "Пакет «{title}»: {minutes:plural:# минута|# минуты|# минут} распознавания",
    "micro_limit": "❌ Вы уже исчерпали лимит покупок этого пакета ({limit}).",
    "payment_ok": "✅ Оплата прошла успешно! Добавлено {minutes} мин. Баланс: {balance} мин.",
    "payment_invalid": "Этот счёт недействителен. Откройте /buy_minutes ещё раз.",
    "payment_retry": "Не удалось проверить платёж. Попробуйте оплатить ещё раз через минуту.",
    "payment_review": "Платёж получен, но не совпал ни с одним счётом. Администратор проверит его и зачислит минуты вручную.",
    "credited_by_admin": "💰 Администратор начислил вам {minutes} мин. Баланс: {balance} мин.",
    "debited_by_admin": "Администратор списал {minutes} мин. Баланс: {balance} мин.",
    # Export of a transcript with timestamps
    "export_caption": "Текст с метками времени (.{fmt})",
    "export_caption_estimated": "Текст с метками времени (.{fmt}). Время примерное: оно рассчитано по длине текста.",
    "export_unavailable": "Этот текст больше недоступен для выгрузки.",
    # Media acceptance
    "received": "🎙 Аудио получено. Обрабатываю...",
    "queued": "⏳ Аудио в очереди на обработку...",
    "received_video": "🎬 Видео получено. Обрабатываю...",
    "queued_video": "⏳ Видео в очереди на обработку...",
    "empty_file": "Файл пустой — в нём нечего распознавать.",
    "too_big": "Файл больше 20 МБ: Telegram не даёт ботам скачивать такие файлы. Сожмите запись или отправьте её частями.",
    "too_long": "Запись длиннее {max_minutes} мин. Отправьте файл покороче.",
    "no_minutes": "Недостаточно минут: запись стоит {cost} мин., на балансе {balance} мин.\n/trial — пробные минуты, /buy_minutes — пополнить.",
    "no_minutes_real": "Запись длится {minutes} мин {seconds} сек, а на балансе не хватает минут. Минуты возвращены. /buy_minutes",
    "cached_result": "♻️ Этот файл уже был распознан — повторно не списываем.",
    # Progress
    "stage_start": "🔄 Обработка началась...",
    "stage_download": "📥 Загружаю файл...",
    "stage_convert": "🎛 Конвертирую аудио...",
    "stage_asr": "🎙 Распознаю речь...",
    "stage_asr_chunk": "🎙 Распознаю речь... (часть {i} из {n})",
    "stage_diarize": "🔄 Распознаю с разделением по спикерам...",
    "stage_merge": "🔄 Объединяю результаты...",
    "stage_format": "✏️ Форматирую текст...",
    "stage_deliver": "📤 Отправляю результат...",
    "stage_convert_video": "🎛 Извлекаю звук из видео...",
    "stage_asr_chunk_eta": "🎙 Распознаю речь... (часть {i} из {n}, {eta})",
    "stage_plain_fallback": "👥 Разделить спикеров не удалось — распознаю обычный текст...",
    "stage_plain_fallback_chunk": "👥 Разделить спикеров не удалось — распознаю обычный текст... (часть {i} из {n})",
    "stage_plain_fallback_chunk_eta": (
        "👥 Разделить спикеров не удалось — распознаю обычный текст... (часть {i} из {n}, {eta})"),
    "eta_minutes": "осталось около {minutes:plural:# минуты|# минут|# минут}",
    "eta_soon": "осталось меньше минуты",
    "dialogue_fallback": "👥 Разделить спикеров не удалось — вот обычный текст.",
    "preview_note": "✂️ Это начало текста, целиком он в файле ниже.",
    "file_caption": "Текст записи ({chars:plural:# символ|# символа|# символов})",
    "delivery_unsure": "⚠️ Telegram не подтвердил, что весь текст дошёл. Если чего-то не хватает, полный текст — по кнопкам ниже.",
    "speaker": "Спикер",
    # Notices
    "low_balance": "⚠️ Низкий баланс! Осталось: {balance} мин. Пополнить: /buy_minutes",
    "empty_balance": "❌ Баланс исчерпан! Пополнить: /buy_minutes",
    # Errors
    "err_no_speech": "На записи не обнаружено речи или текст не был распознан. Минуты возвращены.",
    "err_bad_media": "Не удалось обработать файл: это не похоже на аудио или видео. Минуты возвращены.",
    "err_no_sound": "В этом видео нет звука — распознавать нечего. Минуты возвращены.",
    "err_download": "Не удалось скачать файл из Telegram. Попробуйте отправить его ещё раз. Минуты возвращены.",
    "err_rejected": "Сервис распознавания отказался обрабатывать эту запись. Минуты возвращены.",
    "err_generic": "Не удалось распознать запись. Минуты возвращены — попробуйте позже.",
    "err_timeout": "Обработка заняла слишком много времени. Минуты возвращены — попробуйте позже или отправьте файл покороче.",
    "err_outage": "Сервис распознавания временно недоступен. Минуты возвращены — попробуйте ещё раз через несколько минут.",
    "delivery_partial": "Не удалось отправить весь текст: доставлено частей — {sent} из {total}. Списаны минуты только за доставленную часть.",
    "micro_refunded": "↩️ Лимит покупок этого пакета ({limit}) уже исчерпан, поэтому платёж не зачислен: {stars}⭐ возвращены вам.",
    "cached_sale": "♻️ Этот файл уже был распознан — текст готов сразу.",
    # Support, terms, privacy, /cancel, /forget, refunds by the owner (usecases.support, usecases.user_requests)
    "help_more": (
        "/cancel — остановить распознавание\n/forget — удалить мои тексты\n"
        "/paysupport — помощь с оплатой\n/terms — условия и возврат\n/privacy — какие данные хранятся"
    ),
    "support_contact_unset": "владелец бота ещё не указал контакт",
    "paysupport": (
        "💬 Помощь с оплатой\n\n"
        "Вопросы о платежах решает владелец бота, а не Telegram. Напишите ему: {contact}. "
        "Укажите дату платежа и сумму в ⭐ — по ним платёж найдут.\n\n{refund}\n\nУсловия: /terms"
    ),
    "refund_policy": (
        "↩️ Возврат: покупку, минуты которой вы ещё не тратили, можно вернуть в течение {days} дн. после оплаты — "
        "звёзды вернутся на ваш счёт Telegram, а купленные минуты спишутся с баланса. Если распознавание не удалось "
        "или вы остановили его (/cancel), минуты возвращаются на баланс сами."
    ),
    "refund_policy_none": (
        "↩️ Возврат: покупки минут окончательные, кроме ошибок оплаты. Если распознавание не удалось или вы "
        "остановили его (/cancel), минуты возвращаются на баланс сами."
    ),
    "terms": (
        "📄 Условия\n\n"
        "• Бот превращает речь из ваших записей в текст. Каждая начатая минута записи стоит 1 минуту баланса; "
        "минуты покупаются за Telegram Stars (/buy_minutes) и не сгорают.\n"
        "• Текст распознаётся и оформляется автоматически, в нём возможны ошибки — проверяйте важное.\n"
        "• {refund}\n"
        "• Помощь с оплатой: /paysupport ({contact}).\n\n{retention}"
    ),
    "retention": (
        "🔒 Данные: запись скачивается из Telegram только на время обработки и затем удаляется. Распознавание и "
        "оформление выполняют Alibaba Cloud Model Studio (запасной вариант — Google Gemini). Готовый текст хранится "
        "в задании до {job_days} дн., в кэше (чтобы тот же файл отвечался сразу) — до {cache_days} дн. после "
        "последнего использования; /forget удаляет ваши тексты сразу. Для учёта хранятся баланс, записи о платежах "
        "(бессрочно) и записи об использовании без текста (длительность, минуты) — {log_days} дн."
    ),
    "privacy": (
        "🛡 Конфиденциальность\n\n"
        "Бот хранит ваш id, имя и @username в Telegram, настройки, баланс, задания с текстами и платежи — только "
        "чтобы работать и вести учёт.\n\n{retention}\n\nВопросы: {contact}."
    ),
    "cancel_none": "Сейчас ничего не распознаётся — останавливать нечего.",
    "cancel_requested": (
        "⏹ Останавливаю распознавание (файлов: {count}). Как только оно остановится, {minutes} мин. вернутся на баланс."
    ),
    "cancel_finishing": "Текст уже отправляется (файлов: {count}) — его не остановить, минуты спишутся как обычно.",
    "cancel_retry": "Не получилось остановить прямо сейчас — отправьте /cancel ещё раз.",
    "job_cancelled": "⏹ Распознавание остановлено. Минуты возвращены на баланс.",
    "forget_done": (
        "🗑 Удалено: тексты заданий — {jobs}, тексты в кэше — {cached}.\n"
        "Остаются для учёта: баланс, записи о платежах и записи об использовании без текста (длительность, минуты; "
        "{log_days} дн.)."
    ),
    "forget_shared": (
        "Файлов, которые присылали и другие пользователи: {count} — их текст остаётся в кэше для них, без отметки о вас."
    ),
    "forget_running": (
        "Ещё в обработке: {count} — их тексты пока остаются; после окончания отправьте /forget ещё раз "
        "или остановите их: /cancel."
    ),
    "refunded_by_owner": (
        "↩️ Платёж на {stars}⭐ возвращён: звёзды вернутся на ваш счёт Telegram. С баланса списано {minutes} мин. "
        "Баланс: {balance} мин."
    ),
    # The command menu (setMyCommands; usecases.support.command_menus)
    "menu_start": "Что умеет бот",
    "menu_help": "Помощь и команды",
    "menu_balance": "Баланс минут",
    "menu_buy_minutes": "Купить минуты",
    "menu_trial": "Пробные минуты",
    "menu_settings": "Настройки",
    "menu_language": "Язык распознавания и интерфейса",
    "menu_dialogue": "Режим диалога (по спикерам)",
    "menu_cancel": "Остановить распознавание",
    "menu_forget": "Удалить мои тексты",
    "menu_paysupport": "Помощь с оплатой",
    "menu_terms": "Условия и возврат",
    "menu_privacy": "Какие данные хранятся",
    "refunded_by_owner_used": (
        "↩️ Платёж на {stars}⭐ возвращён: звёзды вернутся на ваш счёт Telegram. Купленные минуты уже были "
        "израсходованы: списано {minutes} из {bought} мин. Баланс: {balance} мин."
    ),
}

EN: dict[str, str] = {
    "start": (
        "👋 I turn voice messages, audio and video into clean text.\n\n"
        "Send a recording and get punctuated text with paragraphs.\n"
        "/balance — your minutes\n/trial — trial minutes\n/buy_minutes — buy minutes\n"
        "/settings — settings\n/help — help"
    ),
    "help": (
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
    "balance": "💰 Your balance: {minutes} min.",
    "unknown_command": "Unknown command. See /help.",
    "text_hint": "🎙 Send a voice message, audio, video or video note and I will turn the speech into text.\nCommands: /help",
    "settings_title": "⚙️ Settings\nTap a button to change a setting.",
    "language_title": "🌐 Recognition language\nAuto-detect works almost always; a fixed language helps when the bot mixes languages up.",
    "language_usage": (
        "Recognition language: /language auto or /language <code> (e.g. /language ru, /language en).\n"
        "Interface language: /language ui ru or /language ui en."
    ),
    "language_unknown": (
        "Language code “{code}” is not supported by the recognition models.\n"
        "Available codes: {codes}; or /language auto to auto-detect."
    ),
    "back": "← Back",
    "setting_code": "Monospace: {value}",
    "setting_yo": "Letter ё: {value}",
    "setting_output": "Long text: {value}",
    "setting_dialogue": "Dialogue mode: {value}",
    "setting_speakers": "Speaker labels: {value}",
    "setting_language": "Recognition language: {value}",
    "setting_ui": "Interface language: {value}",
    "on": "on",
    "off": "off",
    "yo_keep": "keep ё",
    "yo_replace": "replace with е",
    "output_file": "📄 .txt file",
    "output_split": "💬 several messages",
    "output_auto": "✂️ auto: a preview and a .txt file when long",
    "language_auto": "auto-detect",
    "dialogue_note": "Dialogue mode: {value} (takes longer)",
    "ui_name_ru": "русский",
    "ui_name_en": "English",
    "lang_name_ru": "Russian",
    "lang_name_en": "English",
    "lang_name_uk": "Ukrainian",
    "lang_name_de": "German",
    "lang_name_es": "Spanish",
    "lang_name_fr": "French",
    "lang_name_it": "Italian",
    "lang_name_zh": "Chinese",
    "lang_name_ar": "Arabic",
    "lang_name_ja": "Japanese",
    "lang_name_ko": "Korean",
    "lang_name_pt": "Portuguese",
    "trial_requested": "📝 Your trial request was sent. We will let you know.",
    "trial_no_owner": "Trial minutes are not available here: this bot has no owner to approve requests. You can buy minutes: /buy_minutes",
    "trial_pending": "⏳ Your request is already under review.",
    "trial_used": "The trial has already been used. Top up: /buy_minutes",
    "trial_approved_user": "✅ Request approved! {minutes} min credited.",
    "trial_denied_user": "❌ Your trial request was declined. Top up: /buy_minutes",
    "trial_denied_before": "Your trial request was already declined. Top up: /buy_minutes",
    "buy_title": "💎 Minute packages (paid with Telegram Stars)\nYour balance: {balance} min.",
    "buy_line": "• {title}: {minutes} min — {stars}⭐",
    "buy_limit_note": "  (at most {limit:plural:# purchase|# purchases}, {left} left)",
    "buy_button": "{title} — {stars}⭐",
    "package_micro_10": "Micro",
    "package_start_50": "Start",
    "package_standard_200": "Standard",
    "package_profi_1000": "Pro",
    "package_max_8888": "MAX",
    "invoice_title": "{minutes:plural:# minute|# minutes}",
    "invoice_description": "Package “{title}”: {minutes:plural:# minute|# minutes} of transcription",
    "micro_limit": "❌ You have used up the purchase limit of this package ({limit}).",
    "payment_ok": "✅ Payment received! {minutes} min added. Balance: {balance} min.",
    "payment_invalid": "This invoice is not valid. Open /buy_minutes again.",
    "payment_retry": "The payment could not be checked just now. Please try again in a minute.",
    "payment_review": "Payment received, but it matches none of our invoices. The administrator will check it and credit the minutes by hand.",
    "credited_by_admin": "💰 The administrator credited {minutes} min. Balance: {balance} min.",
    "debited_by_admin": "The administrator debited {minutes} min. Balance: {balance} min.",
    "export_caption": "Transcript with timestamps (.{fmt})",
    "export_caption_estimated": "Transcript with timestamps (.{fmt}). Times are approximate: they are estimated from the text length.",
    "export_unavailable": "This transcript is no longer available for export.",
    "received": "🎙 Audio received. Processing...",
    "queued": "⏳ Audio queued for processing...",
    "received_video": "🎬 Video received. Processing...",
    "queued_video": "⏳ Video queued for processing...",
    "empty_file": "The file is empty: there is nothing to transcribe.",
    "too_big": "The file is over 20 MB: Telegram does not let bots download such files. Compress it or send it in parts.",
    "too_long": "The recording is longer than {max_minutes} min. Please send a shorter file.",
    "no_minutes": "Not enough minutes: this recording costs {cost} min, your balance is {balance} min.\n/trial — trial minutes, /buy_minutes — top up.",
    "no_minutes_real": "The recording lasts {minutes} min {seconds} s and your balance does not cover it. Minutes returned. /buy_minutes",
    "cached_result": "♻️ This file was already transcribed — no second charge.",
    "stage_start": "🔄 Processing started...",
    "stage_download": "📥 Downloading the file...",
    "stage_convert": "🎛 Converting audio...",
    "stage_asr": "🎙 Recognising speech...",
    "stage_asr_chunk": "🎙 Recognising speech... (part {i} of {n})",
    "stage_diarize": "🔄 Recognising speakers...",
    "stage_merge": "🔄 Merging the results...",
    "stage_format": "✏️ Formatting the text...",
    "stage_deliver": "📤 Sending the result...",
    "stage_convert_video": "🎛 Extracting the sound from the video...",
    "stage_asr_chunk_eta": "🎙 Recognising speech... (part {i} of {n}, {eta})",
    "stage_plain_fallback": "👥 Speakers could not be separated; recognising the plain text...",
    "stage_plain_fallback_chunk": "👥 Speakers could not be separated; recognising the plain text... (part {i} of {n})",
    "stage_plain_fallback_chunk_eta": (
        "👥 Speakers could not be separated; recognising the plain text... (part {i} of {n}, {eta})"),
    "eta_minutes": "about {minutes:plural:# minute|# minutes} left",
    "eta_soon": "less than a minute left",
    "dialogue_fallback": "👥 Speakers could not be separated; here is the plain text.",
    "preview_note": "✂️ This is the beginning; the whole text is in the file below.",
    "file_caption": "Transcript ({chars:plural:# character|# characters})",
    "delivery_unsure": "⚠️ Telegram did not confirm that the whole text arrived. If something is missing, the full transcript is in the buttons below.",
    "speaker": "Speaker",
    "low_balance": "⚠️ Low balance! {balance} min left. Top up: /buy_minutes",
    "empty_balance": "❌ Balance used up! Top up: /buy_minutes",
    "err_no_speech": "No speech was found in the recording. Minutes returned.",
    "err_bad_media": "Could not process the file: it does not look like audio or video. Minutes returned.",
    "err_no_sound": "This video has no sound, so there is nothing to transcribe. Minutes returned.",
    "err_download": "Could not download the file from Telegram. Please send it again. Minutes returned.",
    "err_rejected": "The recognition service refused to process this recording. Minutes returned.",
    "err_generic": "Could not transcribe the recording. Minutes returned — please try again later.",
    "err_timeout": "Processing took too long. Minutes returned — try again later or send a shorter file.",
    "err_outage": "The transcription service is temporarily unavailable. Minutes returned — please try again in a few minutes.",
    "delivery_partial": "Could not send the whole transcript: {sent} of {total:plural:# part|# parts} arrived. You were charged only for the part that arrived.",
    "micro_refunded": "↩️ The purchase limit of this package ({limit}) is used up, so this payment was not credited: your {stars}⭐ were refunded.",
    "cached_sale": "♻️ This file was already transcribed — the text is ready at once.",
    # Support, terms, privacy, /cancel, /forget, refunds by the owner (usecases.support, usecases.user_requests)
    "help_more": (
        "/cancel — stop a transcription\n/forget — delete my transcripts\n"
        "/paysupport — help with payments\n/terms — terms and refunds\n/privacy — what data is kept"
    ),
    "support_contact_unset": "the bot's owner has not given a contact yet",
    "paysupport": (
        "💬 Help with payments\n\n"
        "Payments are handled by the bot's owner, not by Telegram. Write to: {contact}. "
        "Give the date of the payment and its amount in ⭐ so it can be found.\n\n{refund}\n\nTerms: /terms"
    ),
    "refund_policy": (
        "↩️ Refunds: a purchase whose minutes you have not used yet can be refunded within {days:plural:# day|# days} of payment — "
        "the Stars go back to your Telegram account and the minutes it bought leave your balance. A transcription "
        "that fails, or that you stop (/cancel), gives its minutes back by itself."
    ),
    "refund_policy_none": (
        "↩️ Refunds: minute purchases are final, except for payment errors. A transcription that fails, or that "
        "you stop (/cancel), gives its minutes back by itself."
    ),
    "terms": (
        "📄 Terms\n\n"
        "• The bot turns the speech in your recordings into text. Each started minute of recording costs 1 minute "
        "of balance; minutes are bought with Telegram Stars (/buy_minutes) and do not expire.\n"
        "• Recognition and formatting are automatic and can make mistakes — check what matters.\n"
        "• {refund}\n"
        "• Help with payments: /paysupport ({contact}).\n\n{retention}"
    ),
    "retention": (
        "🔒 Data: a recording is downloaded from Telegram only while it is processed, then deleted. Recognition and "
        "formatting run on Alibaba Cloud Model Studio (Google Gemini as a fallback). A finished transcript is kept "
        "with its job for up to {job_days:plural:# day|# days}, and in the cache (so the same file is answered at once) for up to "
        "{cache_days:plural:# day|# days} after it was last used; /forget deletes your transcripts at once. Kept for accounting: "
        "your balance, payment records (without time limit) and usage records without text (duration, minutes) "
        "for {log_days:plural:# day|# days}."
    ),
    "privacy": (
        "🛡 Privacy\n\n"
        "The bot keeps your Telegram id, name and @username, your settings, balance, jobs with their transcripts "
        "and your payments — only to work and to keep accounts.\n\n{retention}\n\nQuestions: {contact}."
    ),
    "cancel_none": "Nothing is being transcribed right now — there is nothing to stop.",
    "cancel_requested": (
        "⏹ Stopping the transcription (files: {count}). As soon as it stops, {minutes} min go back to your balance."
    ),
    "cancel_finishing": "The transcript is already being sent (files: {count}) — it cannot be stopped and is charged as usual.",
    "cancel_retry": "Could not stop it just now — send /cancel again.",
    "job_cancelled": "⏹ Transcription stopped. The minutes are back on your balance.",
    "forget_done": (
        "🗑 Deleted: job transcripts — {jobs}, cached transcripts — {cached}.\n"
        "Kept for accounting: your balance, payment records and usage records without text (duration, minutes; "
        "{log_days:plural:# day|# days})."
    ),
    "forget_shared": (
        "Files other users sent too: {count} — their transcript stays cached for them, without any mark of you."
    ),
    "forget_running": (
        "Still being processed: {count} — their transcripts stay for now; send /forget again when they are done, "
        "or stop them: /cancel."
    ),
    "refunded_by_owner": (
        "↩️ Your payment of {stars}⭐ was refunded: the Stars go back to your Telegram account. {minutes} min were "
        "taken from your balance. Balance: {balance} min."
    ),
    # The command menu (setMyCommands; usecases.support.command_menus)
    "menu_start": "What the bot does",
    "menu_help": "Help and commands",
    "menu_balance": "Minutes on your balance",
    "menu_buy_minutes": "Buy minutes",
    "menu_trial": "Trial minutes",
    "menu_settings": "Settings",
    "menu_language": "Recognition and interface language",
    "menu_dialogue": "Dialogue mode (by speaker)",
    "menu_cancel": "Stop a transcription",
    "menu_forget": "Delete my transcripts",
    "menu_paysupport": "Help with payments",
    "menu_terms": "Terms and refunds",
    "menu_privacy": "What data is kept",
    "refunded_by_owner_used": (
        "↩️ Your payment of {stars}⭐ was refunded: the Stars go back to your Telegram account. The minutes it bought "
        "had already been used: {minutes} of {bought} min were taken back. Balance: {balance} min."
    ),
}

# The owner's own tools (owner commands, notifications to the owner) speak English, like the
# daily report. Strings marked (HTML) are sent in HTML mode; their parameters come escaped.
OWNER: dict[str, str] = {
    "admin": (
        "🛠 Owner commands\n"
        "/user [query] — users (search by id, name or @username), 20 per page\n"
        "/credit <id> <minutes> — add whole minutes (negative to debit; never below zero)\n"
        "/review_trials — pending trial requests\n"
        "/stat — last 30 days: users, transcriptions, minutes, top users\n"
        "/cost — estimated cost of the last 30 days\n"
        "/metrics [hours] — figures for the last N hours (24 by default)\n"
        "/report daily|weekly — the daily or weekly report\n"
        "/status — unfinished jobs\n"
        "/batch <user_id> — that user's unfinished jobs\n"
        "/flush — retry or fail (with refund) stuck jobs\n"
        "/mute [hours|off] — silence error alerts\n"
        "/export users|logs|payments [days] — CSV file"
    ),
    "user_not_found": "User {user_id} not found",
    # Trials
    "trial_new": "🆕 Trial request",
    "trial_card": "{name} · id {user_id} · {username}\nRequested {requested} UTC · balance {balance} min",
    "trial_approve": "✅ Approve",
    "trial_deny": "❌ Deny",
    "trial_approved": "✅ Approved: {name} ({user_id}), +{minutes} min, balance {balance} min",
    "trial_denied": "❌ Denied: {name} ({user_id}); the user was told",
    "trial_already": "Already {status}: {name} ({user_id}); nothing changed",
    "trial_none": "No pending trial request from {name} ({user_id})",
    "trials_none": "✅ No pending trial requests",
    "trials_count": "⏳ Pending trial requests: {count}",
    "trials_more": "… and {count} more: decide these, then /review_trials again",
    # Users (HTML)
    "users_title": "👥 Users: {count} · page {page}/{pages}",
    "users_title_query": "🔎 “{query}”: {count:plural:# user|# users} · page {page}/{pages}",
    "users_line": "{trial} <b>{name}</b>{username} · <code>{user_id}</code> · {balance} min",
    "users_none": "Nobody matches.",
    "page_back": "← Back",
    "page_next": "Next →",
    # Credit
    "credit_usage": "Usage: /credit <user_id> <minutes> — whole minutes, negative to debit (never below zero)",
    "credit_done": "✅ {name} ({user_id}): {minutes} min, balance {balance} min",
    "credit_busy": "The balance of {user_id} kept changing; try again",
    # Statistics (HTML)
    "stat_title": "📈 <b>Last {days:plural:# day|# days}</b>",
    "stat_users": "Users: {total} (new {new}), active {active}",
    "stat_transcriptions": "Transcriptions: {count}",
    "stat_minutes": "Audio: {audio:.1f} min (billed {billed} min)",
    "stat_chars": "Characters: {chars}",
    "stat_top": "<b>Top users</b>",
    "stat_top_line": "{rank}. {name} (<code>{user_id}</code>) — {minutes:.1f} min, {count:plural:# file|# files}",
    "stat_top_none": "—",
    "cost": (
        "💵 Estimated cost, last {days:plural:# day|# days}\n"
        "Audio: {minutes:.1f} min\n"
        "ASR: ${asr:.2f}\nLLM: ${llm:.2f}\nInfrastructure: ${infra:.2f}\n"
        "Total: ${total:.2f} (${per_minute:.4f} per audio minute)\n"
        "Rates: {asr_model} ${asr_rate:g}/s, dialogue ({dialogue_models}) ${dialogue_rate:g}/s, "
        "{llm_model} ${llm_in:g}/${llm_out:g} per M tokens, infrastructure ${infra_rate:.2f} per 30 days"
    ),
    "cost_unpriced": "\nNo known price for: {models} (left out of the estimate; add it in domain/costs.py).",
    "metrics_title": "📈 Metrics, last {hours:g} h",
    "metrics_usage": "Usage: /metrics [hours] (0 < hours ≤ {max_hours})",
    "metrics_queue": "Unfinished jobs now: {active}",
    "report_daily": "📊 Daily report",
    "report_weekly": "📊 Weekly report",
    "report_usage": "Usage: /report daily|weekly",
    # Jobs
    "status": "⚙️ Unfinished jobs: {active} (queued {queued}, processing {processing})",
    "job_line": "{job}… user {user_id} · {status} · {duration:.0f} s · {age:.0f} min old · attempt {attempts}",
    "more": "… and {count} more",
    "batch_usage": "Usage: /batch <user_id>",
    "batch": "⚙️ Unfinished jobs of {user_id}: {count}",
    "flush": "🧹 Stuck jobs: {republished} sent to the queue again, {failed} failed with a refund",
    "flush_failed_line": "failed: {job}…",
    # Mute
    "mute_on": "🔕 Alerts muted for {hours:g} h (until {until} UTC)",
    "mute_off": "🔔 Alerts on",
    "mute_status": "🔕 Muted for {hours:.1f} h more (until {until} UTC)",
    "mute_usage": "Usage: /mute [hours|off] (0 < hours ≤ {max_hours})",
    # Export
    "export_usage": "Usage: /export users|logs|payments [days] (30 by default)",
    "export_caption": "{kind}: {rows:plural:# row|# rows}, last {days:plural:# day|# days}",
    "export_caption_all": "{kind}: {rows:plural:# row|# rows}",
    # Payments
    "payment_owner": "💳 {name} ({user_id}) paid {stars}⭐ for {minutes} min ({package}); balance {balance} min",
    "payment_unmatched": (
        "⚠️ Payment that matches no invoice from {user_id}: {amount} {currency}, charge {charge}. "
        "Nothing was credited; check it and /credit by hand."
    ),
    "credit_too_big": "Refused: at most {max_minutes:plural:# minute|# minutes} per /credit (a larger number is a typo)",
    "credit_repeat": "✅ Already applied by an earlier delivery of this command: {name} ({user_id}), balance {balance} min",
    "micro_refunded_owner": (
        "↩️ {name} ({user_id}) paid {stars}⭐ for the limited package past its limit of {limit} "
        "(charge {charge}): refunded, nothing credited"
    ),
    "micro_refund_failed": (
        "⚠️ {name} ({user_id}) paid {stars}⭐ past the limited package's limit (charge {charge}) and the refund "
        "was refused: {error}. Nothing was credited; refund or /credit by hand."
    ),
    "micro_over_limit_credited": (
        "⚠️ {name} ({user_id}) paid {stars}⭐ past the limited package's limit of {limit} (charge {charge}); "
        "refunds are not available here, so the minutes were credited. Refund by hand if you wish."
    ),
    # Refunds (/refund)
    "admin_refund": "/refund <charge_id> — refund a Stars payment and take back the minutes it bought",
    "refund_usage": "Usage: /refund <charge_id> (the charge is in the payment notice and in /export payments)",
    "refund_unknown": "No payment with charge {charge}: nothing refunded (see /export payments)",
    "refund_done": (
        "↩️ Refunded {stars}⭐ to {name} ({user_id}), charge {charge}: took back {taken} of {minutes} min{used}; "
        "balance {balance} min"
    ),
    "refund_used": " ({missing} min had already been used)",
    "refund_repeat": "Already refunded: charge {charge} of {name} ({user_id}); nothing changed (balance {balance} min)",
    "refund_refused": "⚠️ Telegram refused to refund charge {charge} of {name} ({user_id}): {error}. Nothing was taken back.",
    "refund_unavailable": "Refunds need the Telegram chat backend: nothing changed",
}

CATALOGUES: dict[str, dict[str, str]] = {"ru": RU, "en": EN}
LANGUAGES = tuple(CATALOGUES)


class _Messages(string.Formatter):
    """``str.format`` plus the ``plural:`` format spec (module doc), in one language."""

    def __init__(self, lang: str) -> None:
        self._lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith("plural:"):
            if not isinstance(value, int | float):
                raise TypeError(f"a plural needs a number, got {value!r}")
            form = choose(self._lang, value, format_spec.removeprefix("plural:").split("|"))
            return form.replace("#", str(value))
        field: str = super().format_field(value, format_spec)  # typeshed: Any
        return field


_FORMATTERS = {lang: _Messages(lang) for lang in CATALOGUES}


def say(lang: str, key: str, **params: object) -> str:
    if lang not in CATALOGUES:
        lang = "ru"
    return _FORMATTERS[lang].format(CATALOGUES[lang][key], **params)


def owner_say(key: str, **params: object) -> str:
    return _FORMATTERS["en"].format(OWNER[key], **params)


def utc_time(ts: float) -> str:
    """``2026-01-01 09:30`` (UTC) for people to read."""
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M")


def ui_language_for(language_code: str | None) -> str:
    """Russian for Russian-speaking Telegram clients (ru, uk, be, kk), English for the rest."""
    if language_code and language_code.split("-")[0].lower() in ("ru", "uk", "be", "kk"):
        return "ru"
    return "en" if language_code else "ru"
