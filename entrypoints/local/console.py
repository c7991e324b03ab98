"""``chat``: talk to the bot in a terminal. Type a command, a file path, or ``press <button data>``."""

from __future__ import annotations

import shlex
from pathlib import Path

from entrypoints.local.bot import LocalBot

HELP = ("Type /start, /help, /balance, /settings … or the path of an audio/video file.\n"
        "Press a button with: press <data>   (button data is shown next to each button)\n"
        "Quit with Ctrl-D.")


def run_chat(input_fn=input, printer=print) -> int:
    bot = LocalBot(printer=printer)
    bot.grant()
    printer(HELP)
    last_keyboard_message: int | None = None
    try:
        while True:
            try:
                line = input_fn("you> ").strip()
            except EOFError:
                return 0
            if not line:
                continue
            before = len(bot.chat.events)
            if line.startswith("press "):
                if last_keyboard_message is None:
                    printer("(no buttons on screen)")
                    continue
                bot.post(bot.callback_update(line[6:].strip(), last_keyboard_message))
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
                if event.keyboard:
                    last_keyboard_message = event.message_id
                    for row in event.keyboard:
                        printer("   " + "  ".join(f"[{b.text}] ({b.data})" for b in row))
    finally:
        bot.close()
