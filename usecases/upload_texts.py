"""What the bot says about uploads through the Mini App (files over Telegram's 20 MB download limit)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "too_big_offer": "Файл больше 20 МБ: Telegram не даёт ботам скачивать такие файлы. Загрузите его через "
                         "приложение — до {max_mb} МБ, прямо с устройства.",
        "upload_offer": "Загрузите аудио или видео до {max_mb} МБ через приложение: файл идёт прямо в хранилище, "
                        "минуя ограничение Telegram в 20 МБ.",
        "upload_unavailable": "Загрузка больших файлов сейчас не настроена. Сожмите запись до 20 МБ или "
                              "отправьте её частями.",
        "upload_button": "📤 Загрузить файл",
        "upload_received": "📥 Файл загружен ({mb} МБ). Обрабатываю...",
    },
    "en": {
        "too_big_offer": "The file is over 20 MB: Telegram does not let bots download such files. Upload it through "
                         "the app instead: up to {max_mb} MB, straight from your device.",
        "upload_offer": "Upload audio or video of up to {max_mb} MB through the app: the file goes straight to "
                        "storage, past Telegram's 20 MB limit.",
        "upload_unavailable": "Uploading large files is not set up right now. Compress the recording below 20 MB "
                              "or send it in parts.",
        "upload_button": "📤 Upload a file",
        "upload_received": "📥 File uploaded ({mb} MB). Processing...",
    },
}


def upload_text(lang: str, key: str, **params: object) -> str:
    catalogue = TEXTS.get(lang) or TEXTS["en"]
    return catalogue[key].format(**params)
