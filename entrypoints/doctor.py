"""``python -m entrypoints.admin_cli doctor``: the preflight an operator runs after a deploy.

It talks to every configured service through the container's adapters, the way the functions
will, and prints one line per check -- ``OK <check>: what it saw`` or ``FAIL <check>: what to do``
-- plus ``NOTE`` lines for what cannot be verified from here. The exit status is non-zero when a
check failed. Nothing secret is printed.

Checks: the configuration (``check_settings``); the Alibaba credentials (``ALIBABA_CLOUD_*`` first,
as on FC, else ``ALIBABA_ACCESS_KEY``/``ALIBABA_SECRET_KEY``); every Tablestore table; the MNS
queue; an OSS object written, read back and fetched through its signed URL (as DashScope will);
a minimal request to each configured model (the recognizer with a half-second generated tone, the
Qwen formatter, Gemini when configured, a submit of each dialogue pass); the bot token (getMe,
BOT_USERNAME); the webhook (getWebhookInfo: URL, allowed updates, Telegram's last delivery
error); the command menu (getMyCommands for every language ``set-commands`` registers); the payment
support users are promised (SUPPORT_CONTACT, required by Telegram's /paysupport rule); the results
cache's time to live against RESULTS_TTL_S (what /terms tells users); and the deployed function's secret (an unsigned request must be refused, a signed one
accepted). Telegram's own copy of the secret cannot be read back: a mismatch shows up as a 403
in ``last_error_message`` after Telegram's next delivery, which this check reports.
"""

from __future__ import annotations

import functools
import io
import json
import math
import struct
import time
import uuid
import wave
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from entrypoints.settings import Settings, SettingsError, check_settings, invocation_credentials
from ports.errors import ModelUnavailable, PortError
from ports.formatter import FormatRequest
from ports.speech import AudioClip

# What the bot handles: set-webhook subscribes exactly these.
ALLOWED_UPDATES = ("message", "callback_query", "pre_checkout_query")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A delivery error older than this is history (Telegram keeps the last one until the next).
RECENT_ERROR_S = 15 * 60
SAMPLE_TEXT = ("hello this is a short check of the formatter it should come back with capital letters "
               "and full stops and nothing else changed")


@attrs.frozen
class Line:
    status: str  # OK | FAIL | NOTE
    check: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status} {self.check}" + (f": {self.detail}" if self.detail else "")


class Doctor:
    """Runs the checks in order; ``lines`` collects what they found."""

    def __init__(self, settings: Settings, env: Mapping[str, str] | None = None, *,
                 http: Any = None, now: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._env = env
        self._http = http
        self._now = now
        self.lines: list[Line] = []
        self._container: Any = None
        self._clip_key: str | None = None

    # -- reporting --------------------------------------------------------------------------------
    def ok(self, check: str, detail: str = "") -> None:
        self.lines.append(Line("OK", check, detail))

    def fail(self, check: str, detail: str) -> None:
        self.lines.append(Line("FAIL", check, detail))

    def note(self, check: str, detail: str) -> None:
        self.lines.append(Line("NOTE", check, detail))

    @property
    def failed(self) -> bool:
        return any(line.status == "FAIL" for line in self.lines)

    def _guard(self, check: str, what_to_do: str, run: Callable[[], None]) -> None:
        try:
            run()
        except PortError as exc:
            self.fail(check, f"{exc}: {what_to_do}")
        except Exception as exc:  # noqa: BLE001 - a broken adapter is a finding, not a crash
            self.fail(check, f"{type(exc).__name__}: {str(exc)[:200]}: {what_to_do}")

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> list[Line]:
        self.check_configuration()
        self.check_credentials()
        from entrypoints.container import build_container

        self._container = build_container(self.settings)
        backends = self.settings.backends
        try:
            if backends["storage"] == "tablestore":
                self._guard("tablestore tables", "check TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE and the key's "
                            "Tablestore permissions", self.check_tables)
            else:
                self.note("tablestore tables", f"STORAGE_BACKEND={backends['storage']}: nothing to check")
            if backends["queue"] == "mns":
                self._guard("mns queue", "check MNS_ENDPOINT, MNS_QUEUE_NAME and the key's MNS permissions",
                            self.check_queue)
            else:
                self.note("mns queue", f"QUEUE_BACKEND={backends['queue']}: nothing to check")
            audio_url = None
            if backends["blobs"] == "oss":
                audio_url = self.check_blobs()
            else:
                self.note("oss object", f"BLOBS_BACKEND={backends['blobs']}: nothing to check")
            self.check_models(audio_url)
            if backends["chat"] == "telegram":
                self._guard("telegram bot", "check TELEGRAM_BOT_TOKEN (and TELEGRAM_API_BASE_URL)", self.check_bot)
                self._guard("telegram webhook", "check TELEGRAM_BOT_TOKEN", self.check_webhook)
                self._guard("telegram commands", "check TELEGRAM_BOT_TOKEN", self.check_commands)
                self.check_support()
            else:
                self.note("telegram webhook", f"CHAT_BACKEND={backends['chat']}: nothing to check")
        finally:
            self._close()
        return self.lines

    def _close(self) -> None:
        if self._clip_key is not None:
            try:
                self._container.blobs().delete(self._clip_key)
            except Exception:  # noqa: BLE001 - the bucket's lifecycle rule removes leftovers
                pass
        if self.settings.backends["chat"] == "telegram":
            try:
                self._container.chat().close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    def _get(self, url: str, *, timeout: float) -> Any:
        import httpx

        if self._http is not None:
            return self._http.get(url, timeout=timeout)
        return httpx.get(url, timeout=timeout)

    def _post(self, url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Any:
        import httpx

        if self._http is not None:
            return self._http.post(url, content=body, headers=headers, timeout=timeout)
        return httpx.post(url, content=body, headers=headers, timeout=timeout)

    # -- configuration and credentials ---------------------------------------------------------------
    def check_configuration(self) -> None:
        try:
            check_settings(self.settings)
        except SettingsError as exc:
            self.fail("configuration", str(exc))
            return
        backends = ", ".join(f"{port}={backend}" for port, backend in sorted(self.settings.backends.items()))
        self.ok("configuration", f"profile={self.settings.profile}; {backends}")

    def check_credentials(self) -> None:
        needed = {self.settings.backends[p] for p in ("storage", "queue", "blobs")} & {"tablestore", "mns", "oss"}
        creds = invocation_credentials(None, self._env)
        if creds is not None:
            key_id, secret, token = creds
            self.settings = attrs.evolve(self.settings, access_key_id=key_id, access_key_secret=secret,
                                         security_token=token)
            self.ok("credentials", "from ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET" + (" with an STS token" if token else "")
                    + " (as on Function Compute)")
        elif self.settings.access_key_id and self.settings.access_key_secret:
            self.ok("credentials", "from ALIBABA_ACCESS_KEY/ALIBABA_SECRET_KEY"
                    + (" with ALIBABA_SECURITY_TOKEN" if self.settings.security_token else ""))
        elif needed:
            self.fail("credentials", f"{', '.join(sorted(needed))} need an AccessKey: set ALIBABA_ACCESS_KEY and "
                      "ALIBABA_SECRET_KEY (a RAM user with the function role's permissions), or run where "
                      "ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET are set")
            return
        else:
            self.note("credentials", "no Alibaba Cloud service is configured: none needed")
            return
        if needed:
            self.note("credentials", "they are proved by the Tablestore, MNS and OSS checks below; the function "
                      "role's own permissions are not (FC hands its STS credentials to the functions only)")

    # -- Alibaba Cloud --------------------------------------------------------------------------------
    def check_tables(self) -> None:
        from adapters.alibaba import tablestore as ts

        s, t = self.settings, self.settings.policy.timeouts
        repositories = ts.TablestoreRepositories(
            s.tablestore_endpoint, s.access_key_id, s.access_key_secret, s.tablestore_instance,
            security_token=s.security_token or None,
            socket_timeout=(t.tablestore_connect_s, t.tablestore_read_s))
        missing = ts.missing_tables(repositories)
        if missing:
            self.fail("tablestore tables", f"missing in instance {s.tablestore_instance}: {', '.join(missing)}: "
                      "run python -m entrypoints.admin_cli create-tables")
            return
        self.ok("tablestore tables", f"all {len(ts.TABLES)} tables in instance {s.tablestore_instance}")
        # /terms tells users how long a cached transcript is kept: RESULTS_TTL_S. The table deletes it.
        from entrypoints.admin_cli import results_table_ttl

        ttl, wanted = ts.table_ttl(repositories, "results_cache"), results_table_ttl(s)
        if ttl != wanted:
            kept = "forever" if ttl < 0 else f"{ttl} s"
            self.fail("results cache retention", f"results_cache keeps rows {kept} but RESULTS_TTL_S is {wanted} s "
                      f"(what /terms tells users): set the table's time to live to {wanted} s (Tablestore console "
                      "or UpdateTable)" + (f", or set RESULTS_TTL_S={ttl}" if ttl > 0 else ""))
        else:
            self.ok("results cache retention", f"cached transcripts are deleted after {wanted} s (RESULTS_TTL_S)")

    def check_queue(self) -> None:
        queue = self._container.queue()
        try:
            attributes = queue.attributes()
        except PortError as exc:
            if exc.code == "QueueNotExist":
                self.fail("mns queue", f"{self.settings.mns_queue_name} does not exist: run "
                          "python -m entrypoints.admin_cli create-queue (and --name <queue>-dlq)")
                return
            raise
        self.ok("mns queue", f"{self.settings.mns_queue_name}: visibility {attributes['visibility_s']} s, "
                f"messages up to {attributes['max_message_size']} bytes")

    def check_blobs(self) -> str | None:
        """Write, read back and fetch by signed URL; returns a signed URL of a tiny audio clip (or None)."""
        blobs = self._container.blobs()
        key = f"doctor/{uuid.uuid4().hex}.txt"
        data = f"doctor {uuid.uuid4().hex}".encode()
        check = "oss object"
        try:
            blobs.put(key, data, "text/plain")
            if blobs.get(key) != data:
                self.fail(check, "the object read back differs from the one written")
                return None
            url = blobs.signed_url(key, 300)
            reply = self._get(url, timeout=self.settings.policy.timeouts.oss_s)
            if reply.status_code != 200 or reply.content != data:
                self.fail(check, f"its signed URL answered HTTP {reply.status_code}"
                          + ("" if reply.status_code != 200 else " with other bytes")
                          + ": DashScope fetches the dialogue passes' audio this way; check OSS_REGION "
                          "(V4 signatures) and that the bucket is reachable over HTTPS")
                return None
        except PortError as exc:
            self.fail(check, f"{exc}: check OSS_ENDPOINT, OSS_BUCKET, OSS_REGION and the key's OSS permissions")
            return None
        except Exception as exc:  # noqa: BLE001
            self.fail(check, f"{type(exc).__name__} while fetching the signed URL: check the bucket's endpoint")
            return None
        finally:
            try:
                blobs.delete(key)
            except Exception:  # noqa: BLE001 - the bucket's lifecycle rule removes leftovers
                pass
        self.ok(check, f"written, read back and fetched through its signed URL (bucket {self.settings.oss_bucket})")
        self._clip_key = f"doctor/{uuid.uuid4().hex}.wav"
        try:
            blobs.put(self._clip_key, tone_wav(), "audio/wav")
            return blobs.signed_url(self._clip_key, 600)
        except PortError:
            return None

    # -- models ---------------------------------------------------------------------------------------
    def check_models(self, audio_url: str | None) -> None:
        s, backends = self.settings, self.settings.backends
        if backends["asr"] in ("dashscope", "dashscope-realtime"):
            model = s.asr_model if backends["asr"] == "dashscope" else s.realtime_model
            variable = "ASR_MODEL" if backends["asr"] == "dashscope" else "REALTIME_ASR_MODEL"
            self._model_call(f"asr model {model}", variable, model, self._recognize)
        else:
            self.note("asr model", f"ASR_BACKEND={backends['asr']}: nothing to check")
        formatters = list(self._container.formatters())
        names = [("LLM_MODEL", s.llm_model), ("GEMINI_MODEL", s.gemini_model)]
        for formatter, (variable, model) in zip(formatters, names, strict=False):
            self._model_call(f"formatter model {model}", variable, model, functools.partial(self._format, formatter))
        if not formatters:
            self.note("formatter model", f"FORMATTER_BACKEND={backends['formatter']}: nothing to check")
        elif not s.google_api_key:
            self.note("formatter model", "GOOGLE_API_KEY not set: no Gemini fallback to check")
        if backends["passes"] == "dashscope":
            if audio_url is None:
                self.note("dialogue pass models", "not checked: they need the OSS check to pass first")
            else:
                for variable, model, port in (("SPEAKER_PASS_MODEL", s.speaker_model, "speaker_pass"),
                                              ("TEXT_PASS_MODEL", s.text_pass_model, "text_pass")):
                    self._model_call(f"dialogue pass model {model}", variable, model,
                                     functools.partial(self._submit, port, audio_url))
                self.note("dialogue pass models", "submitted only (a half-second clip; the tasks are not awaited)")
        else:
            self.note("dialogue pass models", f"PASSES_BACKEND={backends['passes']}: nothing to check")

    def _model_call(self, check: str, variable: str, model: str, call: Callable[[], str]) -> None:
        try:
            detail = call()
        except ModelUnavailable:
            self.fail(check, f"the provider says {variable}={model} does not exist: set {variable} to a current "
                      "model (docs/provider-contracts.md) and run check-config")
        except PortError as exc:
            self.fail(check, f"{exc}: check the API key, the region's base URL and {variable}")
        except Exception as exc:  # noqa: BLE001
            self.fail(check, f"{type(exc).__name__}: {str(exc)[:200]}")
        else:
            self.ok(check, detail)

    def _recognize(self) -> str:
        recognition = self._container.recognizer().recognize(AudioClip(tone_wav(), "audio/wav", 500))
        return f"answered a half-second tone ({len(recognition.text)} characters back)"

    @staticmethod
    def _format(formatter: Any) -> str:
        answer = formatter.format(FormatRequest(SAMPLE_TEXT, language="en"))
        return f"answered a {len(SAMPLE_TEXT)}-character request ({len(answer)} characters back)"

    def _submit(self, port: str, audio_url: str) -> str:
        task_id = getattr(self._container, port)().submit(audio_url)
        return f"accepted a task ({str(task_id)[:12]}…)"

    # -- Telegram -------------------------------------------------------------------------------------
    def check_bot(self) -> None:
        username = self._container.chat().bot_username()
        expected = self.settings.bot_username
        if expected and expected.lower() != username.lower():
            self.fail("telegram bot", f"the token belongs to @{username}, but BOT_USERNAME is @{expected}: "
                      "set BOT_USERNAME to the bot's name")
            return
        self.ok("telegram bot", f"token accepted (@{username})")

    def check_webhook(self) -> None:
        info = self._container.chat().webhook_info()
        url = info["url"]
        if not url:
            self.fail("telegram webhook", "not set: run python -m entrypoints.admin_cli set-webhook "
                      "https://<the webhook function's trigger URL>/")
            return
        allowed = info["allowed_updates"]
        missing = [kind for kind in ALLOWED_UPDATES if allowed is not None and kind not in allowed]
        if missing:
            self.fail("telegram webhook", f"{url} does not receive {', '.join(missing)}: run set-webhook again "
                      f"(it subscribes {', '.join(ALLOWED_UPDATES)})")
            return
        error, error_at = info["last_error_message"], info["last_error_date"]
        if error and error_at is not None and self._now() - error_at < RECENT_ERROR_S:
            hint = ("Telegram's secret differs from the function's TELEGRAM_WEBHOOK_SECRET: run set-webhook again"
                    if "403" in error else "look at the webhook function's logs")
            self.fail("telegram webhook", f"Telegram's last delivery to {url} failed "
                      f"{int(self._now() - error_at)} s ago ({error}): {hint}")
            return
        subscribed = ", ".join(allowed) if allowed is not None else "Telegram's default (all but chat_member)"
        self.ok("telegram webhook", f"{url}; updates: {subscribed}; {info['pending_update_count']} waiting")
        if error:
            self.note("telegram webhook", f"an older delivery error is on record: {error}")
        self.check_secret(url)

    def check_commands(self) -> None:
        """The menu ``set-commands`` registers is what Telegram has, in every language."""
        from usecases.support import command_menus

        chat = self._container.chat()
        missing, different = [], []
        menus = command_menus()
        for menu in menus:
            found = [tuple(c) for c in chat.my_commands(menu.language_code)]
            name = menu.language_code or "default"
            if not found:
                missing.append(name)
            elif found != list(menu.commands):
                different.append(name)
        if missing or different:
            problems = "; ".join(part for part in (
                f"none for {', '.join(missing)}" if missing else "",
                f"out of date for {', '.join(different)}" if different else "") if part)
            self.fail("telegram commands", f"the command menu of private chats is {problems}: run "
                      "python -m entrypoints.admin_cli set-commands")
            return
        self.ok("telegram commands", f"{len(menus[0].commands)} commands in private chats for "
                f"{', '.join(m.language_code or 'default' for m in menus)}")

    def check_support(self) -> None:
        """Telegram's Bot Developer Terms (6.2.1) require a bot selling with Stars to handle /paysupport."""
        s = self.settings
        if not s.support_contact:
            self.fail("payment support", "SUPPORT_CONTACT is not set: /paysupport and /terms give users no way to "
                      "reach you (Telegram requires bots that sell with Stars to handle payment problems): set it "
                      "to your @username or e-mail")
            return
        refunds = (f"unused purchases refunded within {s.refund_window_days} days" if s.refund_window_days > 0
                   else "purchases are final (REFUND_WINDOW_DAYS=0)")
        self.ok("payment support", f"/paysupport names {s.support_contact}; {refunds}")

    def check_secret(self, url: str) -> None:
        """The deployed function refuses an unsigned update and accepts one signed with our secret."""
        check = "webhook secret"
        if not url.startswith("https://") and not url.startswith(("http://127.0.0.1", "http://localhost")):
            self.fail(check, f"{url} is not https://: run set-webhook with the trigger's https URL")
            return
        body = json.dumps({"update_id": 0}).encode()  # no known update kind: the bot ignores it
        headers = {"Content-Type": "application/json"}
        timeout = self.settings.policy.timeouts.telegram_call_s
        try:
            unsigned = self._post(url, body=body, headers=headers, timeout=timeout)
            secret = self.settings.telegram_webhook_secret
            signed = self._post(url, body=body, headers={**headers, SECRET_HEADER: secret}, timeout=timeout) \
                if secret else None
        except Exception as exc:  # noqa: BLE001
            self.fail(check, f"{url} did not answer ({type(exc).__name__}): check the HTTP trigger and the "
                      "function's logs")
            return
        if unsigned.status_code != 403:
            self.fail(check, f"the webhook answered HTTP {unsigned.status_code} to an update without the secret: "
                      "set TELEGRAM_WEBHOOK_SECRET on the webhook function (it must refuse unsigned updates)")
            return
        if signed is None:
            self.fail(check, "TELEGRAM_WEBHOOK_SECRET is not set here: load the deployment's environment")
            return
        if signed.status_code != 200:
            self.fail(check, f"the webhook answered HTTP {signed.status_code} to an update signed with this "
                      "TELEGRAM_WEBHOOK_SECRET: deploy the function with the same secret, then run set-webhook")
            return
        self.ok(check, "the function refuses unsigned updates and accepts this TELEGRAM_WEBHOOK_SECRET")
        self.note(check, "Telegram's copy of the secret cannot be read back (getWebhookInfo omits it): a "
                  "mismatch shows as a 403 in Telegram's last delivery error, which this check reads")


def tone_wav(seconds: float = 0.5, hz: float = 440.0, rate: int = 16_000) -> bytes:
    """A short sine tone as 16-bit mono WAV: the cheapest audio a recognizer accepts."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
                      for i in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def run_doctor(settings: Settings, env: Mapping[str, str] | None = None, **options: Any) -> list[Line]:
    return Doctor(settings, env, **options).run()
