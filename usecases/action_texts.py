"""What the actions on a transcript say to the user, in each interface language (ru, en)."""

from __future__ import annotations

RU: dict[str, str] = {
    "btn_summary": "📝 Кратко",
    "btn_points": "📌 Главное и задачи",
    "btn_translate": "🌐 Перевод",
    "btn_names": "👥 Имена спикеров",
    "title_sum": "📝 Краткое содержание",
    "title_pts": "📌 Ключевые моменты, решения и задачи",
    "title_tr": "🌐 Перевод: {language}",
    "working_sum": "⏳ Готовлю краткое содержание…",
    "working_pts": "⏳ Выделяю главное, решения и задачи…",
    "working_tr": "⏳ Перевожу: {language}…",
    "price_note": "Списано: {price} мин. Повторное нажатие покажет готовый результат бесплатно.",
    "free_note": "Бесплатно.",
    "busy": "Уже готовлю — результат придёт сюда.",
    "unavailable": "Этот текст больше недоступен.",
    "no_minutes": "Не хватает минут: это стоит {price} мин., на балансе {balance} мин. Пополнить: /buy_minutes",
    "unfaithful": (
        "Не получилось сделать это достоверно: обе модели ответили текстом, который искажает запись "
        "(терялись реплики или появлялись несуществующие спикеры). Минуты возвращены. Попробуйте позже."
    ),
    "failed": "Не получилось: сервис обработки текста недоступен. Минуты возвращены. Попробуйте позже.",
    "pick_language": "На какой язык перевести?",
    "names_only_dialogue": "Имена можно дать только спикерам текста в режиме диалога (/dialogue).",
    "names_ask": (
        "Как зовут «{label}»? Ответьте одним сообщением с именем.\n"
        "Или сразу всех одной строкой: {example}"
    ),
    "names_next": "Записал. Как зовут «{label}»?",
    "names_done": "👥 Имена сохранены: {names}. Текст и выгрузки .txt/.srt/.vtt теперь с именами.",
    "names_bad": "Это не похоже на имя. Пришлите имя одним словом или строку вида {example}",
    "forget_actions": "Удалены краткие содержания, переводы и имена спикеров: {count}.",
    "lang_ru": "русский", "lang_en": "английский", "lang_uk": "украинский", "lang_de": "немецкий",
    "lang_es": "испанский", "lang_fr": "французский", "lang_it": "итальянский", "lang_zh": "китайский",
    "lang_pt": "португальский", "lang_ja": "японский", "lang_ko": "корейский", "lang_ar": "арабский",
}

EN: dict[str, str] = {
    "btn_summary": "📝 Summary",
    "btn_points": "📌 Key points & tasks",
    "btn_translate": "🌐 Translate",
    "btn_names": "👥 Name speakers",
    "title_sum": "📝 Summary",
    "title_pts": "📌 Key points, decisions and action items",
    "title_tr": "🌐 Translation: {language}",
    "working_sum": "⏳ Writing the summary…",
    "working_pts": "⏳ Picking out key points, decisions and action items…",
    "working_tr": "⏳ Translating: {language}…",
    "price_note": "Charged: {price} min. Pressing again shows the stored result for free.",
    "free_note": "Free.",
    "busy": "Already on it — the result will arrive here.",
    "unavailable": "This transcript is no longer available.",
    "no_minutes": "Not enough minutes: this costs {price} min, your balance is {balance} min. Top up: /buy_minutes",
    "unfaithful": (
        "I could not do this faithfully: both models answered with text that distorts the recording "
        "(turns went missing or speakers appeared that do not exist). Your minutes are back. Please try later."
    ),
    "failed": "That did not work: the text service is unavailable. Your minutes are back. Please try later.",
    "pick_language": "Translate into which language?",
    "names_only_dialogue": "Speakers can be named only in a dialogue-mode transcript (/dialogue).",
    "names_ask": (
        "What is the name of \"{label}\"? Reply with the name in one message.\n"
        "Or name everyone in one line: {example}"
    ),
    "names_next": "Got it. What is the name of \"{label}\"?",
    "names_done": "👥 Names saved: {names}. The transcript and its .txt/.srt/.vtt exports now use them.",
    "names_bad": "That does not look like a name. Send a name, or a line like {example}",
    "forget_actions": "Summaries, translations and speaker names deleted: {count}.",
    "lang_ru": "Russian", "lang_en": "English", "lang_uk": "Ukrainian", "lang_de": "German",
    "lang_es": "Spanish", "lang_fr": "French", "lang_it": "Italian", "lang_zh": "Chinese",
    "lang_pt": "Portuguese", "lang_ja": "Japanese", "lang_ko": "Korean", "lang_ar": "Arabic",
}

TEXTS = {"ru": RU, "en": EN}


def action_say(lang: str, key: str, **params: object) -> str:
    table = TEXTS.get(lang, RU)
    return table[key].format(**params)


def language_name(lang: str, code: str) -> str:
    table = TEXTS.get(lang, RU)
    return table.get(f"lang_{code}", code)
