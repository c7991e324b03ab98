"""python -m entrypoints.local: the whole bot on one machine, offline by default.

  transcribe FILE   one audio or video file through the webhook and the worker, the chat printed;
                    --export-dir DIR also writes the transcript as .txt, .srt and .vtt into DIR;
                    --action summary|points|translate:CODE|names:LINE presses an action button
  chat              talk to the bot in this terminal: commands, file paths, button presses
  serve             a webhook on 127.0.0.1 for real Telegram update JSON, with a worker thread

The bot speaks the shell's language (LC_ALL, LC_MESSAGES or LANG: ru... is Russian, anything
else English); --ui en|ru chooses it. Each local user starts with 600 minutes (--minutes N).
Offline there is no speech recognizer (the transcript says it is a placeholder) and dialogue
mode needs recorded results (--speaker-pass FILE --text-pass FILE); the summary, key points and
translation come from a deterministic stand-in that labels itself. Real providers come through
the environment, e.g. ASR_BACKEND=dashscope with DASHSCOPE_API_KEY; the README lists every variable.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from adapters.alibaba import dashscope_results
from entrypoints.local.bot import ACTION_CODES, LOCAL_GRANT_MINUTES, LocalBot, default_export_dir
from entrypoints.local.console import run_chat
from entrypoints.local.server import run_server
from entrypoints.local.texts import UI_LANGUAGES, ui_from_locale
from entrypoints.settings import SettingsError

T = TypeVar("T")


class _Unreadable(Exception):
    pass


def _replay(option: str, path: str | None, parse: Callable[[dict[str, Any]], T]) -> T | None:
    """A recorded DashScope answer read from ``path`` and parsed as the Alibaba adapters parse a
    live one (the scripted providers take the resulting domain values)."""
    if path is None:
        return None
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise dashscope_results.ResultShapeError("not a JSON object")
        return parse(document)
    except (OSError, ValueError) as exc:  # ResultShapeError is a ValueError
        raise _Unreadable(f"{option} {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _common(parser: argparse.ArgumentParser, *, exports: str) -> None:
    parser.add_argument("--ui", choices=UI_LANGUAGES,
                        help="interface language (default: from LC_ALL, LC_MESSAGES or LANG; ru... is Russian, "
                             "anything else English)")
    parser.add_argument("--minutes", type=int, default=LOCAL_GRANT_MINUTES, metavar="N",
                        help="minutes a local user starts with (default: %(default)s)")
    parser.add_argument("--export-dir", type=Path, metavar="DIR", help=exports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m entrypoints.local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{transcribe,chat,serve}")
    t = sub.add_parser("transcribe", help="run one audio or video file through the whole bot",
                       description="Send FILE to the bot as a Telegram user would, run the worker, and print "
                                   "every message the bot sends or edits.")
    t.add_argument("file", type=Path, metavar="FILE", help="an audio or video file (.ogg, .mp3, .mp4, ...)")
    t.add_argument("--dialogue", action="store_true",
                   help="dialogue mode (speakers separated); offline it needs --speaker-pass and --text-pass")
    t.add_argument("--document", action="store_true", help="send the file as a document (no duration)")
    t.add_argument("--json", action="store_true", help="print one JSON report instead of the chat")
    t.add_argument("--asr-response", action="append", default=[], metavar="FILE",
                   help="a recorded qwen3-asr-flash response body to replay (repeat per chunk)")
    t.add_argument("--speaker-pass", metavar="FILE",
                   help="with --dialogue: a recorded Fun-ASR (speaker pass) result file to replay")
    t.add_argument("--text-pass", metavar="FILE",
                   help="with --dialogue: a recorded qwen3-asr-flash-filetrans result file to replay")
    t.add_argument("--action", action="append", default=[], metavar="ACTION",
                   help="then press an action button under the transcript: summary, points, translate:CODE "
                        "(e.g. translate:en), or names:'1=Anna, 2=Boris' (dialogue); repeat for several. "
                        "Offline the language model is a labelled stand-in")
    _common(t, exports="also write the transcript into DIR as NAME.txt, NAME.srt and NAME.vtt (NAME: FILE's name "
                       "without its extension), the files the export buttons give")
    c = sub.add_parser("chat", help="talk to the bot in this terminal",
                       description="Type what you would send the bot: commands, the path of a file, or "
                                   "press <data> to press a button.")
    _common(c, exports=f"where files the bot sends are saved (default: {default_export_dir()})")
    s = sub.add_parser("serve", help="HTTP webhook on 127.0.0.1 with an in-process worker",
                       description="Accept real Telegram update JSON on http://127.0.0.1:PORT/ (with the "
                                   "X-Telegram-Bot-Api-Secret-Token header when TELEGRAM_WEBHOOK_SECRET is set); "
                                   "file_ids name files in --media-dir. The chat is printed.")
    s.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1, 0 for any free one (default: %(default)s)")
    s.add_argument("--media-dir", type=Path, metavar="DIR", help="folder whose file names are the file_ids of updates")
    _common(s, exports=f"where files the bot sends are saved (default: {default_export_dir()})")
    args = parser.parse_args(argv)
    if args.command == "transcribe" and not args.dialogue and (args.speaker_pass or args.text_pass):
        t.error("--speaker-pass and --text-pass replay the dialogue passes: they need --dialogue")
    if args.command == "transcribe":
        for action in args.action:
            name, _, argument = action.partition(":")
            if name not in ACTION_CODES or (name == "names" and not args.dialogue) or (
                    name in ("translate", "names") and not argument):
                t.error(f"--action {action}: use summary, points, translate:CODE or, with --dialogue, "
                        "names:'1=Anna, 2=Boris'")
    if args.minutes < 0:
        parser.error("--minutes cannot be negative")
    ui = args.ui or ui_from_locale(os.environ)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    try:
        if args.command == "transcribe":
            return _transcribe(args, ui)
        if args.command == "serve":
            return run_server(args.port, args.media_dir, ui=ui, export_dir=args.export_dir, minutes=args.minutes)
        return run_chat(ui=ui, export_dir=args.export_dir, minutes=args.minutes)
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except _Unreadable as exc:
        print(f"error: cannot read {exc}", file=sys.stderr)
        return 2


def _transcribe(args: argparse.Namespace, ui: str) -> int:
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    if args.export_dir is not None and args.export_dir.exists() and not args.export_dir.is_dir():
        print(f"error: --export-dir {args.export_dir} is not a folder", file=sys.stderr)
        return 2
    bot = LocalBot(
        printer=None if args.json else print, ui=ui, grant_minutes=args.minutes,
        recognitions=[r for p in args.asr_response
                      if (r := _replay("--asr-response", p, dashscope_results.recognition)) is not None] or None,
        speakers=_replay("--speaker-pass", args.speaker_pass, dashscope_results.speaker_pass),
        timed_text=_replay("--text-pass", args.text_pass, dashscope_results.text_pass),
    )
    try:
        if args.dialogue and bot.dialogue_offline:
            print(bot.note("dialogue_offline"), file=sys.stderr)
        result = bot.transcribe(args.file, dialogue=args.dialogue, as_document=args.document,
                                export_dir=args.export_dir, actions=tuple(args.action))
    finally:
        bot.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0 if result["status"] == "completed" else 1
    print()
    print(bot.note("summary", status=result["status"], **result["billing"]))
    if args.export_dir is not None:
        if result["exports"]:
            names = ", ".join(Path(p).name for p in result["exports"])
            print(bot.note("exported", dir=args.export_dir.resolve(), names=names))
        else:
            print(bot.note("no_exports", status=result["status"]))
    return 0 if result["status"] == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
