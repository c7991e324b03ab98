"""``python -m entrypoints.local``: the whole bot on one machine, offline by default.

  transcribe FILE [--dialogue] [--document] [--json] [--asr-response F ...] [--speaker-pass F --text-pass F]
  serve [--port N] [--media-dir DIR]     webhook on 127.0.0.1 + in-process worker, chat printed
  chat                                   type commands or file paths, see the bot's replies

Any port can use its real adapter through the environment (e.g. ``ASR_BACKEND=dashscope`` with
``DASHSCOPE_API_KEY``); see the README for every variable.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from entrypoints.local.bot import LocalBot
from entrypoints.local.console import run_chat
from entrypoints.local.server import run_server
from entrypoints.settings import SettingsError


def _load_json(path: str | None):
    if path is None:
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m entrypoints.local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("transcribe", help="run one audio/video file through the whole bot")
    t.add_argument("file", type=Path)
    t.add_argument("--dialogue", action="store_true", help="dialogue mode (speaker pass + text pass)")
    t.add_argument("--document", action="store_true", help="send the file as a document (no duration)")
    t.add_argument("--json", action="store_true", help="print one JSON report instead of the chat")
    t.add_argument("--asr-response", action="append", default=[], metavar="FILE",
                   help="a recorded qwen3-asr-flash response body to replay (repeat per chunk)")
    t.add_argument("--speaker-pass", metavar="FILE", help="a recorded Fun-ASR (speaker pass) result file")
    t.add_argument("--text-pass", metavar="FILE", help="a recorded qwen3-asr-flash-filetrans result file")
    s = sub.add_parser("serve", help="HTTP webhook on 127.0.0.1 with an in-process worker")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--media-dir", type=Path, help="folder whose file names are the file_ids of updates")
    sub.add_parser("chat", help="interactive console chat with the bot")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    try:
        if args.command == "transcribe":
            if not args.file.is_file():
                print(f"error: no such file: {args.file}", file=sys.stderr)
                return 2
            bot = LocalBot(
                printer=None if args.json else print,
                asr_responses=[_load_json(p) for p in args.asr_response] or None,
                speaker_document=_load_json(args.speaker_pass), text_document=_load_json(args.text_pass),
            )
            try:
                result = bot.transcribe(args.file, dialogue=args.dialogue, as_document=args.document)
            finally:
                bot.close()
            if args.json:
                print(json.dumps(result, ensure_ascii=False, indent=2))
            else:
                print(f"\n[{result['status']}] billing: {result['billing']}")
            return 0 if result["status"] == "completed" else 1
        if args.command == "serve":
            return run_server(args.port, args.media_dir)
        return run_chat()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
