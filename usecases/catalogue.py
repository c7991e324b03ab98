"""Every user-facing string of the bot, one catalogue per interface language.

``say(lang, key, **params)`` formats a string; an unknown language falls back to Russian, the
bot's first language. Strings meant for HTML mode escape their parameters at the call site.
"""

from __future__ import annotations

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
        "/balance — баланс\n/trial — заявка на {trial} пробных минут\n/buy_minutes — пакеты минут\n"
        "/settings — настройки\n/code — моноширинный шрифт\n/yo — буква ё\n/output — длинный текст: файл или сообщения\n"
        "/dialogue — режим диалога (по спикерам)\n/speakers — подписи спикеров\n/language — язык распознавания"
    ),
    "balance": "💰 Ваш баланс: {minutes} мин.",
    "unknown_command": "Неизвестная команда. Используйте /help для справки.",
    "settings_title": "⚙️ Настройки",
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
    "language_auto": "автоопределение",
    "dialogue_note": "Режим диалога: {value} (обработка дольше)",
    # Trial and payments
    "trial_requested": "📝 Заявка на пробные минуты отправлена. Мы сообщим о решении.",
    "trial_pending": "⏳ Ваша заявка уже на рассмотрении.",
    "trial_used": "Пробный период уже использован. Пополнить: /buy_minutes",
    "trial_approved_user": "✅ Заявка одобрена! Начислено {minutes} мин.",
    "trial_denied_user": "❌ Заявка на пробные минуты отклонена. Пополнить: /buy_minutes",
    "buy_title": "💎 Пакеты минут (оплата Telegram Stars):",
    "buy_button": "{title}: {minutes} мин — {stars}⭐",
    "invoice_title": "{minutes} минут",
    "invoice_description": "Пакет «{title}»: {minutes} минут распознавания",
    "micro_limit": "❌ Вы уже исчерпали лимит покупок этого пакета ({limit}).",
    "payment_ok": "✅ Оплата прошла успешно! Добавлено {minutes} мин. Баланс: {balance} мин.",
    "payment_invalid": "Этот счёт недействителен. Откройте /buy_minutes ещё раз.",
    "credited_by_admin": "💰 Администратор начислил вам {minutes} мин. Баланс: {balance} мин.",
    # Media acceptance
    "received": "🎙 Аудио получено. Обрабатываю...",
    "queued": "⏳ Аудио в очереди на обработку...",
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
    "file_caption": "Текст записи ({chars} символов)",
    "speaker": "Спикер",
    # Notices
    "low_balance": "⚠️ Низкий баланс! Осталось: {balance} мин. Пополнить: /buy_minutes",
    "empty_balance": "❌ Баланс исчерпан! Пополнить: /buy_minutes",
    # Errors
    "err_no_speech": "На записи не обнаружено речи или текст не был распознан. Минуты возвращены.",
    "err_bad_media": "Не удалось обработать файл: это не похоже на аудио или видео. Минуты возвращены.",
    "err_download": "Не удалось скачать файл из Telegram. Попробуйте отправить его ещё раз. Минуты возвращены.",
    "err_rejected": "Сервис распознавания отказался обрабатывать эту запись. Минуты возвращены.",
    "err_generic": "Не удалось распознать запись. Минуты возвращены — попробуйте позже.",
    "err_timeout": "Обработка заняла слишком много времени. Минуты возвращены — попробуйте позже или отправьте файл покороче.",
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
        "/balance — balance\n/trial — request {trial} trial minutes\n/buy_minutes — minute packages\n"
        "/settings — settings\n/code — monospace\n/yo — the letter ё\n/output — long text as file or messages\n"
        "/dialogue — dialogue mode (by speaker)\n/speakers — speaker labels\n/language — recognition language"
    ),
    "balance": "💰 Your balance: {minutes} min.",
    "unknown_command": "Unknown command. See /help.",
    "settings_title": "⚙️ Settings",
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
    "language_auto": "auto-detect",
    "dialogue_note": "Dialogue mode: {value} (takes longer)",
    "trial_requested": "📝 Your trial request was sent. We will let you know.",
    "trial_pending": "⏳ Your request is already under review.",
    "trial_used": "The trial has already been used. Top up: /buy_minutes",
    "trial_approved_user": "✅ Request approved! {minutes} min credited.",
    "trial_denied_user": "❌ Your trial request was declined. Top up: /buy_minutes",
    "buy_title": "💎 Minute packages (paid with Telegram Stars):",
    "buy_button": "{title}: {minutes} min — {stars}⭐",
    "invoice_title": "{minutes} minutes",
    "invoice_description": "Package “{title}”: {minutes} minutes of transcription",
    "micro_limit": "❌ You have used up the purchase limit of this package ({limit}).",
    "payment_ok": "✅ Payment received! {minutes} min added. Balance: {balance} min.",
    "payment_invalid": "This invoice is not valid. Open /buy_minutes again.",
    "credited_by_admin": "💰 The administrator credited {minutes} min. Balance: {balance} min.",
    "received": "🎙 Audio received. Processing...",
    "queued": "⏳ Audio queued for processing...",
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
    "file_caption": "Transcript ({chars} characters)",
    "speaker": "Speaker",
    "low_balance": "⚠️ Low balance! {balance} min left. Top up: /buy_minutes",
    "empty_balance": "❌ Balance used up! Top up: /buy_minutes",
    "err_no_speech": "No speech was found in the recording. Minutes returned.",
    "err_bad_media": "Could not process the file: it does not look like audio or video. Minutes returned.",
    "err_download": "Could not download the file from Telegram. Please send it again. Minutes returned.",
    "err_rejected": "The recognition service refused to process this recording. Minutes returned.",
    "err_generic": "Could not transcribe the recording. Minutes returned — please try again later.",
    "err_timeout": "Processing took too long. Minutes returned — try again later or send a shorter file.",
}

CATALOGUES: dict[str, dict[str, str]] = {"ru": RU, "en": EN}
LANGUAGES = tuple(CATALOGUES)


def say(lang: str, key: str, **params: object) -> str:
    catalogue = CATALOGUES.get(lang, RU)
    return catalogue[key].format(**params)


def ui_language_for(language_code: str | None) -> str:
    """Russian for Russian-speaking Telegram clients (ru, uk, be, kk), English for the rest."""
    if language_code and language_code.split("-")[0].lower() in ("ru", "uk", "be", "kk"):
        return "ru"
    return "en" if language_code else "ru"
