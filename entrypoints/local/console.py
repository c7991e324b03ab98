"""``chat``: talk to the bot in a terminal. Type a command, a file path, or ``press <button data>``.

Every file the bot sends (an export button's .txt/.srt/.vtt, a long transcript as a file) is saved
into the export folder, which the console names at the start and at every save.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from entrypoints.local.bot import LOCAL_GRANT_MINUTES, LOCAL_USER_ID, LocalBot, default_export_dir


def _dialogue_on(bot: LocalBot) -> bool:
    user = bot.container.users().get(LOCAL_USER_ID)
    return bool(user and user.settings.dialogue)


def run_chat(input_fn=None, printer=None, *, ui: str | None = None, export_dir: Path | None = None,
             minutes: int = LOCAL_GRANT_MINUTES) -> int:
    input_fn, printer = input_fn or input, printer or print  # looked up now: a test may replace them
    export_dir = (export_dir or default_export_dir()).resolve()
    bot = LocalBot(printer=printer, ui=ui, export_dir=export_dir, grant_minutes=minutes)
    bot.grant()
    printer(bot.note("chat_help", user=LOCAL_USER_ID, minutes=minutes, dir=export_dir))
    last_keyboard_message: int | None = None
    pressable: dict[str, int] = {}  # button data → the message that carries it (the latest one)
    try:
        while True:
            try:
                line = input_fn("you> ").strip()
            except EOFError:
                return 0
            if not line:
                continue
            before = len(bot.chat.events)
            dialogue_before = _dialogue_on(bot)
            if line.startswith("press "):
                if last_keyboard_message is None:
                    printer(bot.note("no_buttons"))
                    continue
                data = line[6:].strip()
                bot.post(bot.callback_update(data, pressable.get(data, last_keyboard_message)))
            else:
                # A path may start with "/" like a command: a file that exists wins.
                try:
                    path = Path(shlex.split(line)[0]).expanduser()
                except ValueError:
                    path = None
                if path is not None and path.is_file():
                    bot.post(bot.media_update(path))
                else:
                    bot.post(bot.text_update(line))
            bot.drain()
            for event in bot.chat.events[before:]:
                if event.keyboard and event.message_id is not None:  # printed under its message
                    last_keyboard_message = event.message_id
                    pressable.update({b.data: event.message_id for row in event.keyboard for b in row})
            if bot.dialogue_offline and _dialogue_on(bot) and not dialogue_before:
                printer(bot.note("dialogue_offline"))
    finally:
        bot.close()
