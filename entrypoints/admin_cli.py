"""Operator commands for a deployment, run from a laptop with the production environment loaded.

    python -m entrypoints.admin_cli check-config
    python -m entrypoints.admin_cli create-tables
    python -m entrypoints.admin_cli create-queue [--name Q] [--visibility 900] [--max-message-size 65536]
    python -m entrypoints.admin_cli set-webhook https://<trigger>.<region>.fcapp.run/ [--drop-pending-updates]
    python -m entrypoints.admin_cli set-commands   # the command menu, one list per client language
    python -m entrypoints.admin_cli configure-uploads  # the Mini App's CORS and lifecycle rules, others kept
    python -m entrypoints.admin_cli doctor      # after a deploy: every service, model and the webhook

Configuration comes from the same variables as the functions (``entrypoints.settings``), with a
RAM user's AccessKey in ``ALIBABA_ACCESS_KEY`` / ``ALIBABA_SECRET_KEY`` (the functions use their
role's STS credentials instead). Adapters are imported only by the command that needs them; a
missing one is reported clearly instead of a traceback. Nothing secret is printed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from entrypoints.settings import (
    MODEL_SETTINGS,
    Settings,
    SettingsError,
    check_settings,
    load_settings,
    recognition_languages,
)

ALLOWED_UPDATES = ("message", "callback_query", "pre_checkout_query")


class CliError(Exception):
    """A command cannot run; the message says what to do."""


def _adapter(module: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise CliError(f"{what} needs {module}, which cannot be imported ({exc}); "
                       "install the pinned requirements") from None


def _require(settings: Settings, **fields: str) -> None:
    missing = [env for attr, env in fields.items() if not getattr(settings, attr)]
    if missing:
        raise CliError(f"set {', '.join(missing)}")


def results_table_ttl(settings: Settings) -> int:
    """The results cache table's time to live: RESULTS_TTL_S (Tablestore accepts at least one day)."""
    return max(86400, int(settings.policy.results_ttl_s))


def cmd_check_config(settings: Settings, args: argparse.Namespace) -> str:
    check_settings(settings)
    backends = ", ".join(f"{port}={backend}" for port, backend in sorted(settings.backends.items()))
    chosen = ", ".join(f"{variable}={getattr(settings, field)}" for field, (variable, _) in MODEL_SETTINGS.items())
    languages = ", ".join(recognition_languages(settings)) or "none documented: auto-detection only"
    return (f"configuration OK: profile={settings.profile}; {backends}\nmodels: {chosen}\n"
            f"recognition languages offered: {languages}")


def cmd_create_tables(settings: Settings, args: argparse.Namespace) -> str:
    _require(settings, tablestore_endpoint="TABLESTORE_ENDPOINT", tablestore_instance="TABLESTORE_INSTANCE",
             access_key_id="ALIBABA_ACCESS_KEY", access_key_secret="ALIBABA_SECRET_KEY")
    ts = _adapter("adapters.alibaba.tablestore", "create-tables")
    repositories = ts.TablestoreRepositories(
        settings.tablestore_endpoint, settings.access_key_id, settings.access_key_secret,
        settings.tablestore_instance, security_token=settings.security_token or None,
    )
    # The results cache keeps a transcript as long as RESULTS_TTL_S says (what /terms tells users).
    created = ts.create_tables(repositories, ttls={"results_cache": results_table_ttl(settings)})
    return f"created tables: {', '.join(created)}" if created else "every table already exists"


def cmd_create_queue(settings: Settings, args: argparse.Namespace) -> str:
    _require(settings, mns_endpoint="MNS_ENDPOINT", access_key_id="ALIBABA_ACCESS_KEY",
             access_key_secret="ALIBABA_SECRET_KEY")
    mns = _adapter("adapters.alibaba.mns_job_queue", "create-queue")
    name = args.name or settings.mns_queue_name
    queue = mns.MnsJobQueue(endpoint=settings.mns_endpoint, queue_name=name,
                            access_key_id=settings.access_key_id, access_key_secret=settings.access_key_secret,
                            security_token=settings.security_token or None)
    created = queue.create_queue_if_missing(visibility_s=args.visibility, max_message_size=args.max_message_size)
    state = "created" if created else "already exists"
    return f"queue {name} {state} (visibility {args.visibility} s, {args.max_message_size} bytes)"


def cmd_set_webhook(settings: Settings, args: argparse.Namespace) -> str:
    _require(settings, telegram_token="TELEGRAM_BOT_TOKEN", telegram_webhook_secret="TELEGRAM_WEBHOOK_SECRET")
    if not args.url.startswith("https://"):
        raise CliError("Telegram accepts only https:// webhook URLs")
    telegram = _adapter("adapters.telegram.telegram_chat", "set-webhook")
    chat = telegram.TelegramChat(settings.telegram_token, **_telegram_urls(settings))
    try:
        chat.set_webhook(args.url, settings.telegram_webhook_secret, ALLOWED_UPDATES,
                         drop_pending_updates=args.drop_pending_updates)
    finally:
        chat.close()
    return f"webhook set to {args.url} (allowed updates: {', '.join(ALLOWED_UPDATES)})"


def _telegram_chat(settings: Settings, what: str):
    _require(settings, telegram_token="TELEGRAM_BOT_TOKEN")
    telegram = _adapter("adapters.telegram.telegram_chat", what)
    return telegram.TelegramChat(settings.telegram_token, **_telegram_urls(settings))


def _telegram_urls(settings: Settings) -> dict[str, str]:
    root = settings.telegram_api_base_url
    return {"base_url": f"{root}/bot", "base_file_url": f"{root}/file/bot"}


def cmd_set_commands(settings: Settings, args: argparse.Namespace) -> str:
    """``setMyCommands`` for every private chat, once per client language (``usecases.support``)."""
    from usecases.support import command_menus

    chat = _telegram_chat(settings, "set-commands")
    try:
        menus = command_menus()
        for menu in menus:
            chat.set_my_commands(menu.commands, menu.language_code)
    finally:
        chat.close()
    languages = ", ".join(m.language_code or "default" for m in menus)
    return f"command menu set for private chats: {len(menus[0].commands)} commands; languages: {languages}"


def miniapp_origin(url: str) -> str:
    """``https://host[:port]`` of the Mini App's page: the origin its browser requests come from."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise CliError("MINIAPP_URL must be the https:// address of the webhook function's /app page")
    return f"{parts.scheme}://{parts.netloc}"


def _kept(rules: Sequence[str]) -> str:
    return f"kept {len(rules)} other rule(s): " + "; ".join(rules) if rules else "no other rules"


def cmd_configure_uploads(settings: Settings, args: argparse.Namespace) -> str:
    """The bucket's CORS rule for the Mini App's origin and the lifecycle rule for abandoned uploads, merged
    into the bucket's configurations: the bucket's other rules (the ``audio/`` one, the operator's) stay."""
    _require(settings, miniapp_url="MINIAPP_URL", oss_endpoint="OSS_ENDPOINT", oss_bucket="OSS_BUCKET",
             access_key_id="ALIBABA_ACCESS_KEY", access_key_secret="ALIBABA_SECRET_KEY")
    origin = miniapp_origin(settings.miniapp_url)
    oss = _adapter("adapters.alibaba.oss_blob_store", "configure-uploads")
    rules = _adapter("adapters.alibaba.oss_bucket_rules", "configure-uploads")
    from usecases.uploads import UPLOAD_PREFIX

    store = oss.OssBlobStore(settings.oss_endpoint, settings.oss_bucket, settings.access_key_id,
                             settings.access_key_secret, settings.security_token or None,
                             settings.oss_region or None)
    try:
        merge = store.configure_direct_uploads([origin], UPLOAD_PREFIX, abort_after_days=args.abort_after_days,
                                               expire_after_days=args.expire_after_days)
    except rules.RulesConflict as exc:
        raise CliError(f"bucket {settings.oss_bucket}: {exc}. Nothing was changed.") from None
    return "\n".join((
        f"bucket {settings.oss_bucket}: CORS lets {origin} PUT parts and read their ETag; unfinished uploads "
        f"under {UPLOAD_PREFIX} are aborted after {args.abort_after_days} day(s), leftover files deleted after "
        f"{args.expire_after_days} day(s). The bucket's other rules are kept.",
        f"CORS: the Mini App's rule {merge.cors.ours.value} (first of the rules); {_kept(merge.cors.kept)}",
        f"lifecycle: rule {rules.LIFECYCLE_RULE_ID} {merge.lifecycle.ours.value}; {_kept(merge.lifecycle.kept)}",
    ))


class ChecksFailed(Exception):
    """The doctor found problems; the message is its full report."""


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> str:
    from entrypoints.doctor import Doctor

    doctor = Doctor(settings)
    lines = doctor.run()
    failed = sum(1 for line in lines if line.status == "FAIL")
    checked = sum(1 for line in lines if line.status != "NOTE")
    report = "\n".join(str(line) for line in lines)
    report += f"\ndoctor: {checked} checks, {failed} failed"
    if doctor.failed:
        raise ChecksFailed(report)
    return report


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m entrypoints.admin_cli", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("check-config", help="load and check the configuration").set_defaults(run=cmd_check_config)
    sub.add_parser("create-tables", help="create the missing Tablestore tables").set_defaults(run=cmd_create_tables)
    q = sub.add_parser("create-queue", help="create the MNS job queue if missing")
    q.add_argument("--name", help="queue name (default MNS_QUEUE_NAME); e.g. the dead-letter queue <name>-dlq")
    q.add_argument("--visibility", type=int, default=900, help="visibility timeout, s (≥ the worker's timeout)")
    q.add_argument("--max-message-size", type=int, default=65536)
    q.set_defaults(run=cmd_create_queue)
    w = sub.add_parser("set-webhook", help="point Telegram at the webhook function (with the secret)")
    w.add_argument("url")
    w.add_argument("--drop-pending-updates", action="store_true")
    w.set_defaults(run=cmd_set_webhook)
    sub.add_parser("set-commands", help="register the command menu (setMyCommands) in Russian and English"
                   ).set_defaults(run=cmd_set_commands)
    u = sub.add_parser("configure-uploads", help="add (or update) the bucket's CORS rule for MINIAPP_URL's origin "
                       "and the lifecycle rule that removes abandoned uploads; the bucket's other rules are kept")
    u.add_argument("--abort-after-days", type=int, default=1, help="abort unfinished multipart uploads after N days")
    u.add_argument("--expire-after-days", type=int, default=2, help="delete leftover uploaded files after N days")
    u.set_defaults(run=cmd_configure_uploads)
    sub.add_parser("doctor", help="after a deploy: check every service, model and the webhook, one line each "
                   "(exit 1 when one fails)").set_defaults(run=cmd_doctor)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        print(args.run(settings, args))
    except ChecksFailed as exc:
        print(exc)
        return 1
    except (CliError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - port errors carry codes, never credentials
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
