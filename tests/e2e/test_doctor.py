"""``python -m entrypoints.admin_cli doctor`` against every loopback server: all OK on a healthy
stack; a missing table, a missing queue, a model the provider does not know, an unset webhook, a
function without the secret each fail with the line that says what to do, and exit 1."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.alibaba.tablestore import TablestoreRepositories, create_tables
from entrypoints import admin_cli
from entrypoints.webhook_http import handle_webhook
from tests.loopback.dashscope_server import running_dashscope_server
from tests.loopback.gemini_server import running_gemini_server
from tests.loopback.mns_server import running_mns_server
from tests.loopback.oss_server import running_oss_server
from tests.loopback.tablestore_server import running_tablestore_server
from tests.loopback.telegram_server import BOT_USER, running_telegram_server
from usecases.support import command_menus

pytestmark = pytest.mark.slow

TOKEN = "123456:TEST-doctor-token-abcdefghijklmnopq"
SECRET = "doctor-webhook-secret"
AK, SK = "LTAI-doctor-key-id", "doctor-secret-key-value"
DASHSCOPE_KEY = "sk-doctorloopbackkey0123456789"
GOOGLE_KEY = "AIza-doctor-loopback-key"
QUEUE = "transcribe-jobs"


@contextlib.contextmanager
def webhook_function(secret: str):
    """The webhook's HTTP contract on 127.0.0.1, as the FC trigger serves it (no update is handled)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = handle_webhook("POST", dict(self.headers.items()), body, secret=secret,
                                    accept_update=lambda update: "handled")
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class Stack:
    def __init__(self, stack: contextlib.ExitStack, env, *, function_secret: str = SECRET) -> None:
        self.telegram = stack.enter_context(running_telegram_server(TOKEN))
        self.dashscope = stack.enter_context(running_dashscope_server(DASHSCOPE_KEY))
        self.gemini = stack.enter_context(running_gemini_server(GOOGLE_KEY))
        self.oss = stack.enter_context(running_oss_server(AK, SK, bucket="audio"))
        self.mns = stack.enter_context(running_mns_server(AK, SK, queues=[QUEUE], visibility_s=900))
        self.tablestore = stack.enter_context(running_tablestore_server(AK, SK, instance="bot"))
        self.webhook_url = stack.enter_context(webhook_function(function_secret))
        self.dashscope.loopback_audio_prefixes.append(self.oss.endpoint)
        create_tables(TablestoreRepositories(self.tablestore.endpoint, AK, SK, "bot"))
        # What `admin_cli set-webhook` leaves (the loopback URL is http: set directly).
        self.telegram.set_webhook_state(self.webhook_url, secret_token=SECRET,
                                        allowed_updates=["message", "callback_query", "pre_checkout_query"])
        # What `admin_cli set-commands` leaves (tests/e2e/test_admin_cli.py runs it).
        for menu in command_menus():
            self.telegram.commands[("all_private_chats", menu.language_code)] = [
                {"command": name, "description": text} for name, text in menu.commands]
        for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
                     "ALIBABA_SECURITY_TOKEN", "LLM_MODEL", "GEMINI_MODEL", "ASR_MODEL", "SPEAKER_PASS_MODEL",
                     "TEXT_PASS_MODEL", "REALTIME_ASR_MODEL", "ASR_BACKEND", "BOT_USERNAME", "RESULTS_TTL_S",
                     "REFUND_WINDOW_DAYS"):
            env.delenv(name, raising=False)
        for name, value in {
            "APP_PROFILE": "production", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "INVOICE_SECRET": "loopback-invoice-key-" + "x" * 24,
            "TELEGRAM_API_BASE_URL": self.telegram.base_url.removesuffix("/bot"),
            "DASHSCOPE_API_KEY": DASHSCOPE_KEY, "DASHSCOPE_HTTP_BASE_URL": self.dashscope.base_url,
            "GOOGLE_API_KEY": GOOGLE_KEY, "GEMINI_BASE_URL": self.gemini.base_url,
            "ALIBABA_ACCESS_KEY": AK, "ALIBABA_SECRET_KEY": SK,
            "TABLESTORE_ENDPOINT": self.tablestore.endpoint, "TABLESTORE_INSTANCE": "bot",
            "MNS_ENDPOINT": self.mns.endpoint, "MNS_QUEUE_NAME": QUEUE,
            "OSS_ENDPOINT": self.oss.endpoint, "OSS_BUCKET": "audio", "OSS_REGION": "ap-southeast-1",
            "OWNER_ID": "42", "BOT_USERNAME": BOT_USER["username"], "SUPPORT_CONTACT": "@doctor_support",
        }.items():
            env.setenv(name, value)


@pytest.fixture
def stack(monkeypatch):
    with contextlib.ExitStack() as exits:
        yield Stack(exits, monkeypatch)


def doctor(capsys) -> tuple[int, list[str]]:
    code = admin_cli.main(["doctor"])
    out = capsys.readouterr().out
    return code, out.splitlines()


def test_a_healthy_deployment_is_all_ok(stack, capsys):
    code, lines = doctor(capsys)
    assert code == 0, "\n".join(lines)
    statuses = {line.split(" ", 1)[0] for line in lines[:-1]}
    assert statuses <= {"OK", "NOTE"}, lines
    checks = " ".join(lines)
    for check in ("OK configuration", "OK credentials", "OK tablestore tables: all 9 tables",
                  "OK mns queue: transcribe-jobs: visibility 900 s", "OK oss object",
                  "OK asr model qwen3-asr-flash", "OK formatter model qwen-flash",
                  "OK formatter model gemini-", "OK dialogue pass model fun-asr",
                  "OK dialogue pass model qwen3-asr-flash-filetrans", "OK telegram bot: token accepted (@loopback_bot)",
                  "OK telegram webhook: http://127.0.0.1", "OK webhook secret",
                  "OK telegram commands: 14 commands in private chats for default, en, ru, uk, be, kk",
                  "OK payment support: /paysupport names @doctor_support; unused purchases refunded within 14 days",
                  "OK results cache retention: cached transcripts are deleted after 2592000 s"):
        assert check in checks, check
    assert "NOTE webhook secret: Telegram's copy of the secret cannot be read back" in checks
    assert lines[-1].startswith("doctor: ") and lines[-1].endswith(" 0 failed")
    # The probe object and the tone clip are gone; nothing secret was printed.
    assert not stack.oss.objects
    for secret in (SK, TOKEN, SECRET, DASHSCOPE_KEY, GOOGLE_KEY):
        assert secret not in checks


def test_a_missing_table_fails_and_says_to_create_it(stack, capsys):
    del stack.tablestore.tables["bot_state"]
    code, lines = doctor(capsys)
    assert code == 1
    assert ("FAIL tablestore tables: missing in instance bot: bot_state: run python -m entrypoints.admin_cli "
            "create-tables") in lines


def test_a_missing_queue_fails_and_says_to_create_it(stack, capsys):
    stack.mns.queues.clear()
    code, lines = doctor(capsys)
    assert code == 1
    assert any(line.startswith("FAIL mns queue: transcribe-jobs does not exist: run python -m "
                               "entrypoints.admin_cli create-queue") for line in lines), lines


def test_a_model_the_provider_does_not_know_fails_with_its_variable(stack, capsys, monkeypatch):
    monkeypatch.setenv("LLM_MODEL", "qwen-plus-2099-01-01")
    code, lines = doctor(capsys)
    assert code == 1
    assert ("FAIL formatter model qwen-plus-2099-01-01: the provider says LLM_MODEL=qwen-plus-2099-01-01 does "
            "not exist: set LLM_MODEL to a current model (docs/provider-contracts.md) and run check-config") in lines
    assert any(line.startswith("OK formatter model gemini-") for line in lines)  # the others still checked


def test_an_unset_webhook_fails_and_says_to_set_it(stack, capsys):
    stack.telegram.webhook = {}
    code, lines = doctor(capsys)
    assert code == 1
    assert ("FAIL telegram webhook: not set: run python -m entrypoints.admin_cli set-webhook "
            "https://<the webhook function's trigger URL>/") in lines


def test_missing_allowed_updates_and_a_recent_403_are_reported(stack, capsys):
    stack.telegram.set_webhook_state(stack.webhook_url, secret_token=SECRET, allowed_updates=["message"])
    code, lines = doctor(capsys)
    assert code == 1
    assert any("does not receive callback_query, pre_checkout_query: run set-webhook again" in line
               for line in lines), lines
    stack.telegram.set_webhook_state(stack.webhook_url, secret_token="another-secret",
                                     allowed_updates=list(admin_cli.ALLOWED_UPDATES))
    stack.telegram.webhook_error("Wrong response from the webhook: 403 Forbidden")
    code, lines = doctor(capsys)
    assert code == 1
    assert any(line.startswith("FAIL telegram webhook: Telegram's last delivery to") and
               "Telegram's secret differs from the function's TELEGRAM_WEBHOOK_SECRET: run set-webhook again" in line
               for line in lines), lines


def test_a_function_with_another_secret_or_none_fails(monkeypatch, capsys):
    with contextlib.ExitStack() as exits:
        Stack(exits, monkeypatch, function_secret="not-the-same-secret")
        code, lines = doctor(capsys)
    assert code == 1
    assert any(line.startswith("FAIL webhook secret: the webhook answered HTTP 403 to an update signed with this "
                               "TELEGRAM_WEBHOOK_SECRET") for line in lines), lines
    with contextlib.ExitStack() as exits:
        Stack(exits, monkeypatch, function_secret="")  # a function that checks no secret at all
        code, lines = doctor(capsys)
    assert code == 1
    assert any(line.startswith("FAIL webhook secret: the webhook answered HTTP 200 to an update without the secret")
               for line in lines), lines


def test_credentials_come_from_alibaba_cloud_variables_first_and_their_absence_fails(stack, capsys, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK)
    monkeypatch.setenv("ALIBABA_ACCESS_KEY", "LTAI-a-laptop-key-that-is-not-used")
    code, lines = doctor(capsys)
    assert code == 0, "\n".join(lines)
    assert any(line.startswith("OK credentials: from ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET") for line in lines)
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_ACCESS_KEY",
                 "ALIBABA_SECRET_KEY"):
        monkeypatch.delenv(name)
    code, lines = doctor(capsys)
    assert code == 1
    assert any(line.startswith("FAIL credentials: mns, oss, tablestore need an AccessKey: set ALIBABA_ACCESS_KEY")
               for line in lines), lines


def test_a_missing_or_stale_command_menu_fails_and_says_to_register_it(stack, capsys):
    del stack.telegram.commands[("all_private_chats", "ru")]
    stack.telegram.commands[("all_private_chats", "en")][0]["description"] = "an old description"
    code, lines = doctor(capsys)
    assert code == 1
    assert ("FAIL telegram commands: the command menu of private chats is none for ru; out of date for en: run "
            "python -m entrypoints.admin_cli set-commands") in lines


def test_no_support_contact_and_a_cache_kept_longer_than_the_terms_say_fail(stack, capsys, monkeypatch):
    monkeypatch.delenv("SUPPORT_CONTACT")
    monkeypatch.setenv("RESULTS_TTL_S", str(7 * 86400))
    code, lines = doctor(capsys)
    assert code == 1
    assert any(line.startswith("FAIL payment support: SUPPORT_CONTACT is not set") for line in lines), lines
    assert ("FAIL results cache retention: results_cache keeps rows 2592000 s but RESULTS_TTL_S is 604800 s (what "
            "/terms tells users): set the table's time to live to 604800 s (Tablestore console or UpdateTable), "
            "or set RESULTS_TTL_S=2592000") in lines
