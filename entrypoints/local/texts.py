"""What the local runner itself says (the bot's own messages come from ``presentation``).

The interface language follows the shell's locale, as other command-line programs do: the first of
``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that is set decides (``ru…`` is Russian, anything else
English); ``--ui en|ru`` chooses it outright.
"""

from __future__ import annotations

from collections.abc import Mapping

UI_LANGUAGES = ("en", "ru")


def ui_from_locale(env: Mapping[str, str]) -> str:
    """``ru`` for a Russian locale (``ru_RU.UTF-8``, ``ru``), ``en`` for any other or none (POSIX order)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip()
        if value:
            return "ru" if value.lower().startswith("ru") else "en"
    return "en"


EN: dict[str, str] = {
    "chat_help": (
        "You are user {user} with {minutes} min. Type what you would send the bot: /start, /help, /balance,\n"
        "/settings … or the path of an audio/video file. Buttons are shown as [label] (data);\n"
        "press one with: press <data>. Files the bot sends are saved in {dir}.\n"
        "→ is a new message from the bot, ✎ an edit of message #N. Quit with Ctrl-D."
    ),
    "no_buttons": "(no buttons on screen)",
    "saved": "saved to {path}",
    "save_failed": "could not save {name}: {error}",
    "trial_no_owner": (
        "(local runner) OWNER_ID is not set, so trial requests are not filed: nobody could approve them.\n"
        "To be the owner yourself, start the runner with OWNER_ID={user}: /trial then sends the request\n"
        "card to this chat and its ✅ button credits the trial."
    ),
    "dialogue_offline": (
        "note: offline, dialogue mode has nothing to separate speakers with: give recorded results with\n"
        "transcribe --dialogue --speaker-pass FILE --text-pass FILE, or use the real passes\n"
        "(PASSES_BACKEND=dashscope and BLOBS_BACKEND=oss, see the README); without them the bot\n"
        "falls back to plain text."
    ),
    "summary": "[{status}] billing: reserved {reserved} min, charged {charged} min, refunded {refunded} min",
    "exported": "exports written to {dir}: {names}",
    "no_exports": "no exports written (the job is {status})",
    "serve_banner": (
        "webhook on http://127.0.0.1:{port}/ (secret header: {secret}); media for file_ids from {media};\n"
        "every user who writes starts with {minutes} min; files the bot sends are saved in {dir}; Ctrl-C to stop"
    ),
    "secret_required": "required",
    "secret_none": "not configured",
    "new_user": "(local runner) user {user} is new here: starts with {minutes} min",
}

RU: dict[str, str] = {
    "chat_help": (
        "Вы пользователь {user}, на балансе {minutes} мин. Пишите то, что отправили бы боту: /start, /help,\n"
        "/balance, /settings … или путь к аудио- или видеофайлу. Кнопки показаны как [надпись] (данные);\n"
        "нажать: press <данные>. Файлы, которые присылает бот, сохраняются в {dir}.\n"
        "→ — новое сообщение бота, ✎ — правка сообщения #N. Выход — Ctrl-D."
    ),
    "no_buttons": "(кнопок на экране нет)",
    "saved": "сохранён: {path}",
    "save_failed": "не удалось сохранить {name}: {error}",
    "trial_no_owner": (
        "(локальный запуск) OWNER_ID не задан: заявки на пробные минуты не принимаются — одобрить их некому.\n"
        "Чтобы быть владельцем самому, запустите с OWNER_ID={user}: тогда /trial пришлёт карточку заявки\n"
        "в этот чат, и кнопка ✅ начислит пробные минуты."
    ),
    "dialogue_offline": (
        "внимание: без сети режиму диалога нечем разделить спикеров: передайте записанные ответы\n"
        "transcribe --dialogue --speaker-pass ФАЙЛ --text-pass ФАЙЛ или включите настоящие проходы\n"
        "(PASSES_BACKEND=dashscope и BLOBS_BACKEND=oss, см. README); без них бот выдаст обычный текст."
    ),
    "summary": "[{status}] оплата: зарезервировано {reserved} мин., списано {charged} мин., возвращено {refunded} мин.",
    "exported": "выгрузки записаны в {dir}: {names}",
    "no_exports": "выгрузки не записаны (задание: {status})",
    "serve_banner": (
        "вебхук на http://127.0.0.1:{port}/ (заголовок с секретом: {secret}); файлы для file_id из {media};\n"
        "каждый новый пользователь получает {minutes} мин.; файлы, которые присылает бот, сохраняются в {dir};\n"
        "остановка — Ctrl-C"
    ),
    "secret_required": "обязателен",
    "secret_none": "не настроен",
    "new_user": "(локальный запуск) новый пользователь {user}: на балансе {minutes} мин.",
}

TEXTS = {"en": EN, "ru": RU}


def text(ui: str | None, key: str, **params: object) -> str:
    return TEXTS.get(ui or "en", EN)[key].format(**params)
