"""Uploads straight to storage (the Mini App): start, complete, the job, the worker, the bot's offer."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import attrs
import pytest

from domain.audio import MediaKind
from domain.init_data import sign
from domain.uploads import decode_ticket, encode_ticket, job_id_for_upload
from domain.users import UserSettings
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.world import USER, World
from usecases.uploads import UploadRefused, UploadRequest

TOKEN = "123:upload-test-token"
KEY = b""  # the container's ticket key, set by the fixture
PART = 128 * 1024


def init_data(world: World, user_id: int = USER, *, token: str = TOKEN, age_s: float = 0,
              language: str = "en") -> str:
    user = json.dumps({"id": user_id, "first_name": "Ann", "language_code": language})
    fields = [("auth_date", str(int(world.clock.now() - age_s))), ("user", user)]
    from urllib.parse import quote, urlencode

    return urlencode([*fields, ("hash", sign(fields, token))], quote_via=quote)


@pytest.fixture
def world(tmp_path) -> World:
    """The production container's upload flow and worker over the world's memory adapters."""
    global KEY
    w = World(media_dir=tmp_path / "media")
    w.clock.advance(1_800_000_000 - w.clock.now())
    w.blobs.upload_base_url = "http://127.0.0.1:8080/blobs"
    w.configure(telegram_token=TOKEN, upload_max_bytes=50_000_000, upload_part_bytes=PART)
    w.flow = w.container.direct_uploads()
    w.worker = w.transcribe_job
    KEY = w.container.upload_ticket_key()
    return w


def put_all(world: World, started: dict, data: bytes) -> list[tuple[int, str]]:
    """The page's part: every part PUT to its URL (the in-memory store takes them through accept_put)."""
    etags, offset = [], 0
    for part in started["parts"]:
        url = urlsplit(part["url"])
        chunk = data[offset:offset + part["size"]]
        offset += part["size"]
        etags.append((part["number"], world.blobs.accept_put(url.path[len("/blobs/"):], url.query, chunk)))
    return etags


def request(world: World, size: int, content_type: str = "video/mp4", name: str = "talk.mp4", **kw) -> UploadRequest:
    return UploadRequest(init_data=init_data(world, **kw), file_name=name, size=size, content_type=content_type)


# -- start ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"token": "999:other"}, {"age_s": 2 * 86400}])
def test_start_refuses_forged_or_stale_init_data_with_401_and_starts_nothing(world, kw):
    with pytest.raises(UploadRefused) as refused:
        world.flow.start(request(world, 1000, **kw))
    assert refused.value.status == 401
    assert world.blobs.uploads == {}


def test_start_refuses_oversize_413_and_non_media_415(world):
    with pytest.raises(UploadRefused) as too_big:
        world.flow.start(request(world, 50_000_001))
    assert too_big.value.status == 413
    with pytest.raises(UploadRefused) as not_media:
        world.flow.start(request(world, 1000, content_type="application/pdf", name="a.pdf"))
    assert not_media.value.status == 415
    assert world.blobs.uploads == {}


def test_an_undeclared_type_is_taken_from_the_name(world):
    assert world.flow.start(request(world, 1000, content_type="", name="rec.mkv"))["parts"]
    with pytest.raises(UploadRefused):
        world.flow.start(request(world, 1000, content_type="", name="rec.zip"))


def test_a_large_file_gets_one_signed_url_per_part_for_an_opaque_key(world):
    started = world.flow.start(request(world, 3 * PART + 5))
    assert started["multipart"] is True
    assert [(p["number"], p["size"]) for p in started["parts"]] == [(1, PART), (2, PART), (3, PART), (4, 5)]
    ticket = decode_ticket(started["upload_id"], KEY)
    assert ticket.user_id == USER and ticket.size == 3 * PART + 5
    assert str(USER) not in ticket.key and "talk" not in ticket.key  # nothing about the user in the key
    assert "talk" not in json.dumps(attrs.asdict(ticket))  # the ticket travels in a URL: no file name
    assert all(ticket.key in p["url"] for p in started["parts"])


def test_a_small_file_gets_a_single_put(world):
    started = world.flow.start(request(world, 1000))
    assert started["multipart"] is False and len(started["parts"]) == 1
    assert "partNumber" not in started["parts"][0]["url"]


# -- complete ---------------------------------------------------------------------------------------

def upload(world: World, data: bytes, **kw) -> tuple[dict, list[tuple[int, str]]]:
    started = world.flow.start(request(world, len(data), **kw))
    return started, put_all(world, started, data)


def test_complete_creates_the_job_like_a_telegram_file_and_a_repeat_returns_it(world):
    world.user(balance=10, settings=UserSettings(dialogue=False, language="en", ui_language="en"))
    data = b"\0" * (PART + 1)
    started, etags = upload(world, data)
    done = world.flow.complete(started["upload_id"], init_data(world), etags)
    ticket = decode_ticket(started["upload_id"], KEY)
    assert done == {"job_id": job_id_for_upload(ticket.key), "status": "queued"}
    job = world.jobs.get(done["job_id"])
    assert job.source_key == ticket.key and job.file_size == len(data) and job.kind is MediaKind.VIDEO
    assert job.language == "en" and job.dialogue is False and job.reserved_minutes == 1
    assert world.balance() == 9
    assert world.queue.receive().job_id == done["job_id"]
    sent = [e for e in world.chat.events if e.kind == "send" and e.message_id == job.status_message_id]
    assert [e.text for e in sent] == [say("en", M.upload_received, mb=1)] == ["📥 File uploaded (1 MB). Processing..."]
    again = world.flow.complete(started["upload_id"], init_data(world), etags)
    assert again == done
    assert world.balance() == 9  # reserved once
    assert world.queue.receive() is None  # queued once


def test_two_completes_racing_make_one_job_and_leave_one_message(world, monkeypatch):
    world.user(balance=10)
    started, etags = upload(world, b"\0" * (PART + 1))
    first = world.flow.complete(started["upload_id"], init_data(world), etags)
    # The second call looked for the job before the first one created it.
    real_get, calls = world.jobs.get, []

    def stale_once(job_id):
        calls.append(job_id)
        return None if len(calls) == 1 else real_get(job_id)

    monkeypatch.setattr(world.jobs, "get", stale_once)
    second = world.flow.complete(started["upload_id"], init_data(world), etags)
    assert second == first
    assert world.balance() == 9  # reserved once
    received = [e for e in world.chat.events if e.kind == "send" and e.text.startswith("📥")]
    deleted = {e.message_id for e in world.chat.events if e.kind == "delete"}
    assert len(received) == 2 and [e.message_id for e in received if e.message_id not in deleted] == [
        world.jobs.get(first["job_id"]).status_message_id]
    assert world.queue.receive().job_id == first["job_id"] and world.queue.receive() is None


def test_another_users_upload_is_401_and_a_forged_ticket_404(world):
    started, etags = upload(world, b"\1" * (PART + 1))
    with pytest.raises(UploadRefused) as other:
        world.flow.complete(started["upload_id"], init_data(world, user_id=USER + 1), etags)
    assert other.value.status == 401
    ticket = decode_ticket(started["upload_id"], KEY)
    forged = encode_ticket(attrs.evolve(ticket, user_id=USER + 1), b"x" * 32)
    with pytest.raises(UploadRefused) as unknown:
        world.flow.complete(forged, init_data(world, user_id=USER + 1), etags)
    assert unknown.value.status == 404
    assert world.blobs.object_size(ticket.key) is None


@pytest.mark.parametrize(("upload_id", "reason"), [
    ("no-dot-at-all", "malformed"),
    ("e30.bm90LW91cnM", "not ours"),  # "{}" with a MAC that is not ours
])
def test_a_refused_ticket_is_404_and_the_reason_is_logged_for_the_operator(world, caplog, upload_id, reason):
    with caplog.at_level("WARNING", logger="usecases.uploads"), pytest.raises(UploadRefused) as refused:
        world.flow.complete(upload_id, init_data(world), [])
    assert (refused.value.status, refused.value.error) == (404, "unknown_upload")
    assert [r.reason for r in caplog.records if r.getMessage() == "upload ticket refused"] == [reason]


def test_missing_parts_are_400_and_nothing_is_created(world):
    started, etags = upload(world, b"\1" * (2 * PART + 1))
    with pytest.raises(UploadRefused) as refused:
        world.flow.complete(started["upload_id"], init_data(world), etags[:-1])
    assert (refused.value.status, refused.value.error) == (400, "parts_missing")
    assert world.texts() == []


def test_no_minutes_answers_402_tells_the_chat_and_deletes_the_file(world):
    world.user(balance=0)
    started, etags = upload(world, b"\1" * 1000)
    with pytest.raises(UploadRefused) as refused:
        world.flow.complete(started["upload_id"], init_data(world), etags)
    assert refused.value.status == 402
    assert world.texts()  # the usual "not enough minutes" message
    assert world.blobs.object_size(decode_ticket(started["upload_id"], KEY).key) is None


# -- the worker -------------------------------------------------------------------------------------

def test_the_worker_reads_the_upload_from_storage_bills_the_decoded_audio_and_deletes_it(world):
    world.user(balance=10, settings=UserSettings(ui_language="en"))
    world.recognizer._responses.append("Hello from an uploaded video.")
    data = fixture("clip").read_bytes()
    started, etags = upload(world, data)
    done = world.flow.complete(started["upload_id"], init_data(world), etags)
    key = decode_ticket(started["upload_id"], KEY).key
    outcome = world.worker(world.queue.receive().job_id)
    assert outcome.status == "completed"
    job = world.jobs.get(done["job_id"])
    assert 4000 <= job.real_duration_ms <= 5000 and job.charged_minutes == 1
    assert any("Hello from an uploaded video." in t for t in world.texts())
    assert world.blobs.object_size(key) is None


def test_a_failed_upload_job_refunds_and_deletes_the_file(world):
    world.user(balance=10, settings=UserSettings(ui_language="en"))
    started, etags = upload(world, b"not a media file at all" * 100)
    done = world.flow.complete(started["upload_id"], init_data(world), etags)
    outcome = world.worker(world.queue.receive().job_id)
    assert outcome.status == "failed"
    assert world.balance() == 10
    assert world.blobs.object_size(decode_ticket(started["upload_id"], KEY).key) is None
    assert world.jobs.get(done["job_id"]).status.value == "failed"


# -- the bot's offer --------------------------------------------------------------------------------

def test_a_file_over_20_mb_gets_the_mini_app_button_when_configured(world, tmp_path):
    world.user(balance=10, settings=UserSettings(ui_language="en"))
    source = tmp_path / "big.mp4"
    source.write_bytes(b"\0" * 10)
    _, route = world.media(source, kind=MediaKind.VIDEO, duration_s=600, file_size=30 * 1024 * 1024)
    assert route == "media:too_big"  # not configured: the old answer
    world.configure(miniapp_url="https://bot.example/app")
    _, route = world.media(source, kind=MediaKind.VIDEO, duration_s=600, file_size=30 * 1024 * 1024)
    assert route == "media:too_big:upload_offered"
    event = world.chat.events[-1]
    (button,), = event.keyboard
    assert button.web_app_url == "https://bot.example/app"
    assert "up to 47 MB" in event.text  # UPLOAD_MAX_BYTES=50_000_000, as configured
    assert event.text == say("en", M.upload_too_big_offer, max_mb=47)
    assert button.text == say("en", M.upload_button) == "📤 Upload a file"
    assert world.text("/upload").startswith("command:upload")
    assert world.chat.events[-1].keyboard[0][0].web_app_url == "https://bot.example/app"
    assert world.chat.events[-1].text == say("en", M.upload_offer, max_mb=47)


def test_upload_without_a_mini_app_says_it_is_not_set_up(world):
    world.user(settings=UserSettings(ui_language="ru"))
    assert world.text("/upload").startswith("command:upload")
    event = world.chat.events[-1]
    assert event.text == say("ru", M.upload_unavailable) and not event.keyboard
    assert event.text.startswith("Загрузка больших файлов сейчас не настроена")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_help_lists_upload_only_when_the_mini_app_is_configured(world, lang):
    world.user(settings=UserSettings(ui_language=lang))
    world.text("/help")
    assert "/upload" not in world.texts()[-1]  # the command would only say uploads are not set up
    world.configure(miniapp_url="https://bot.example/app")
    world.text("/help")
    shown = world.texts()[-1]
    assert shown.endswith("\n" + say(lang, M.help_upload, max_mb=47))
    assert shown.startswith(say(lang, M.help, trial=world.policy.trial_minutes))
    assert {"ru": "/upload — загрузить аудио или видео больше 20 МБ (до 47 МБ) через приложение",
            "en": "/upload — upload audio or video over 20 MB (up to 47 MB) through the app"}[lang] in shown
