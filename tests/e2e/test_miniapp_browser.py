"""The Mini App in a real headless Chromium (Debian's package, driven by Playwright) against ``serve``.

The page is the real ``/app`` of the local runner's server; Telegram's ``telegram-web-app.js`` cannot be
fetched offline, so the browser is given a stand-in at its address (the page loads it exactly as in
Telegram) that exposes ``Telegram.WebApp`` with an initData signed like Telegram's, the theme's CSS
variables, ``ready``, ``expand`` and ``close``. The file is uploaded part by part to the in-memory blob
store's signed URLs on the same server, the worker thread transcribes it, and the recorded chat gets
the transcript.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest

from domain.billing import minutes_for
from entrypoints.local.bot import LOCAL_USER_ID, LocalBot, signed_init_data
from entrypoints.local.server import make_server, run_worker
from ports.speech import Recognition
from tests.audio_factory import fixture

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # Offline: telegram.org fails at once instead of waiting for a resolver.
                 "--host-resolver-rules=MAP telegram.org ~NOTFOUND"]
TOKEN = "777000:miniapp-test-token"
SPOKEN = "Hello, this is a short voice note for the transcription bot."
PART = 8 * 1024 * 1024


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="module")
def big_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~63 MB MP4: 7 s of incompressible noise video and the 4.5 s ``hello_en`` speech as AAC."""
    path = tmp_path_factory.mktemp("video") / "meeting.mp4"
    subprocess.run([_ffmpeg(), "-y", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=gray:s=640x360:r=25,noise=alls=100:allf=t", "-i", str(fixture("hello_en")),
                    "-t", "7", "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-q:v", "2", "-c:a", "aac",
                    "-b:a", "64k", str(path)], check=True, timeout=120)
    assert path.stat().st_size >= 60 * 1000 * 1000
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[SimpleNamespace]:
    bot = LocalBot({"APP_PROFILE": "local", "TELEGRAM_BOT_TOKEN": TOKEN}, media_dir=tmp_path,
                   recognitions=[Recognition(text=SPOKEN)], printer=None)
    server = make_server(bot, 0, welcome_new_users=True)
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=run_worker, args=(bot, stop), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        yield SimpleNamespace(bot=bot, server=server, url=f"http://127.0.0.1:{server.server_port}",
                              blobs=bot.container.blobs())
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _stub_script(init_data: str) -> str:
    """What telegram-web-app.js provides to the page, with the given initData."""
    unsafe = {k: json.loads(v) if k == "user" else v for k, v in parse_qsl(init_data)}
    return """
(function () {
  var theme = {bg_color: "#17212b", text_color: "#f5f5f5", hint_color: "#708499", button_color: "#5288c1",
               button_text_color: "#ffffff", secondary_bg_color: "#232e3c"};
  (function apply() {  // as an init script this may run before the document has its root element
    if (!document.documentElement) { setTimeout(apply, 0); return; }
    Object.keys(theme).forEach(function (k) {
      document.documentElement.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), theme[k]);
    });
  })();
  window.__tg = {ready: 0, expand: 0, close: 0};
  window.Telegram = {WebApp: {
    initData: __INIT_DATA__, initDataUnsafe: __UNSAFE__, themeParams: theme, colorScheme: "dark",
    ready: function () { window.__tg.ready++; }, expand: function () { window.__tg.expand++; },
    close: function () { window.__tg.close++; }
  }};
})();
""".replace("__INIT_DATA__", json.dumps(init_data)).replace("__UNSAFE__", json.dumps(unsafe))


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        # CI installs chromium and sets REQUIRE_BROWSER, so there a missing browser is a failure,
        # never a silent skip; on a developer machine without it the page test cannot run.
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, url: str, init_data: str):
    page = browser.new_page()
    telegram_requests: list[str] = []

    def telegram(route) -> None:
        telegram_requests.append(route.request.url)
        route.fulfill(status=200, content_type="application/javascript", body=_stub_script(init_data))

    page.route("https://telegram.org/**", telegram)
    # Nothing else leaves the machine.
    page.route(lambda u: not u.startswith(("http://127.0.0.1", "https://telegram.org")), lambda r: r.abort())
    page.goto(f"{url}/app")
    assert telegram_requests == ["https://telegram.org/js/telegram-web-app.js"]
    return page


def _wait_job(bot: LocalBot, job_id: str, timeout_s: float = 180.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = bot.container.jobs().get(job_id)
        if job is not None and job.status.is_terminal:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_60_mb_video_uploads_through_the_page_resumes_a_lost_part_and_is_transcribed(served, browser, big_video):
    bot, blobs = served.bot, served.blobs
    bot.grant()
    init_data = signed_init_data(TOKEN, LOCAL_USER_ID, now=time.time(), language="ru")
    parts = -(-big_video.stat().st_size // PART)
    assert parts >= 8
    served.server.drop_part(3)  # the connection is lost while part 3 goes up
    page = _open(browser, served.url, init_data)
    assert page.evaluate("window.__tg.ready") == 1 and page.evaluate("window.__tg.expand") == 1
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"  # theme
    assert page.text_content("#send") == "Загрузить"  # the user's language
    page.set_input_files("#file", str(big_video))
    page.click("#send")
    page.wait_for_selector("body[data-job]", timeout=180_000)
    job_id = page.get_attribute("body", "data-job")
    assert page.text_content("#status") == "Готово! Расшифровка придёт в чат."
    assert page.evaluate("document.getElementById('progress').style.width") == "100%"

    # Resumed, not restarted: part 3 was lost once and sent again; every other part went up exactly once.
    assert served.server.dropped == [3]
    assert sorted(number for _, number in blobs.part_puts) == list(range(1, parts + 1))

    job = _wait_job(bot, job_id)
    assert job.status.value == "completed", job.error
    assert job.file_size == big_video.stat().st_size
    # Billed from the decoded audio of the uploaded file (4.5 s of speech), not from any declaration.
    assert 4000 <= job.real_duration_ms <= 5000
    assert job.charged_minutes == minutes_for(job.real_duration_ms / 1000)
    texts = [e.text for e in bot.chat.events if e.chat_id == LOCAL_USER_ID and e.kind in ("send", "edit")]
    assert any(SPOKEN in text for text in texts), texts
    # The uploaded video is deleted once transcribed; no upload is left open.
    assert not [key for key in blobs.blobs if key.startswith("uploads/")]
    assert blobs.uploads == {}

    page.click("#send")  # the page is done: its button now closes the Mini App
    assert page.evaluate("window.__tg.close") == 1


@pytest.mark.parametrize("case", ["forged", "stale"])
def test_forged_or_stale_init_data_gets_401_and_nothing_is_uploaded(served, browser, big_video, case):
    bot, blobs = served.bot, served.blobs
    bot.grant()
    if case == "forged":
        init_data = signed_init_data("777000:someone-elses-token", LOCAL_USER_ID, now=time.time())
    else:
        init_data = signed_init_data(TOKEN, LOCAL_USER_ID, now=time.time() - 3 * 86400)
    page = _open(browser, served.url, init_data)
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/app/uploads") else None)
    page.set_input_files("#file", str(big_video))
    page.click("#send")
    page.wait_for_function("document.getElementById('status').className === 'error'", timeout=30_000)
    assert answers == [401]
    assert page.text_content("#status") == "This page has expired. Open it again from the bot."
    assert blobs.uploads == {} and blobs.part_puts == []
    assert not [key for key in blobs.blobs if key.startswith("uploads/")]
    assert not [e for e in bot.chat.events if e.chat_id == LOCAL_USER_ID]  # no status message: no job


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_oversize_declaration_gets_413_and_a_non_media_file_415(served):
    init_data = signed_init_data(TOKEN, LOCAL_USER_ID, now=time.time())
    status, body = _post(f"{served.url}/app/uploads", {"init_data": init_data, "file_name": "film.mp4",
                                                       "size": 3 * 1024**3, "content_type": "video/mp4"})
    assert (status, body) == (413, {"error": "too_large", "max_bytes": 2 * 1024**3})
    status, body = _post(f"{served.url}/app/uploads", {"init_data": init_data, "file_name": "notes.pdf",
                                                       "size": 5_000_000, "content_type": "application/pdf"})
    assert (status, body["error"]) == (415, "not_media")
    assert served.blobs.uploads == {}


def test_the_page_is_static_cacheable_and_holds_no_secret(served):
    with urllib.request.urlopen(f"{served.url}/app", timeout=10) as response:  # noqa: S310 - loopback
        html = response.read().decode()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "telegram-web-app.js" in html
    assert TOKEN not in html and TOKEN.split(":")[1] not in html


# -- against the loopback OSS: the browser itself enforces the bucket's CORS rule ---------------------

AK, SK, BUCKET = "LTAI-miniapp-browser", "oss-secret-miniapp-browser", "voice-audio"


@pytest.fixture(scope="module")
def small_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A video of a few hundred KB: three parts of 100 KB or more with UPLOAD_PART_BYTES=102400."""
    path = tmp_path_factory.mktemp("small") / "call.mp4"
    subprocess.run([_ffmpeg(), "-y", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=gray:s=160x120:r=10,noise=alls=100:allf=t", "-i", str(fixture("hello_en")),
                    "-t", "5", "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-q:v", "8", "-c:a", "aac",
                    "-b:a", "48k", str(path)], check=True, timeout=60)
    assert 3 * 102400 < path.stat().st_size < 4_000_000
    return path


@pytest.fixture
def served_oss(tmp_path: Path) -> Iterator[SimpleNamespace]:
    from adapters.alibaba.oss_blob_store import OssBlobStore
    from tests.loopback.oss_server import running_oss_server

    with running_oss_server(AK, SK, bucket=BUCKET) as oss:
        env = {"APP_PROFILE": "local", "TELEGRAM_BOT_TOKEN": TOKEN, "BLOBS_BACKEND": "oss",
               "OSS_ENDPOINT": oss.endpoint, "OSS_BUCKET": BUCKET, "OSS_REGION": oss.region,
               "ALIBABA_ACCESS_KEY": AK, "ALIBABA_SECRET_KEY": SK, "UPLOAD_PART_BYTES": "102400"}
        bot = LocalBot(env, media_dir=tmp_path, recognitions=[Recognition(text=SPOKEN)], printer=None)
        server = make_server(bot, 0, welcome_new_users=True)
        stop = threading.Event()
        threads = [threading.Thread(target=server.serve_forever, daemon=True),
                   threading.Thread(target=run_worker, args=(bot, stop), daemon=True)]
        for thread in threads:
            thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            yield SimpleNamespace(bot=bot, server=server, url=url, oss=oss,
                                  store=OssBlobStore(oss.endpoint, BUCKET, AK, SK, region=oss.region))
        finally:
            stop.set()
            server.shutdown()
            server.server_close()


def _upload_in_browser(browser, served_oss, video: Path):
    init_data = signed_init_data(TOKEN, LOCAL_USER_ID, now=time.time())
    page = browser.new_page()
    # No request interception here (Playwright answers CORS preflights itself while a route is set):
    # Telegram's object is put in place before the page runs, and telegram.org does not resolve.
    page.add_init_script(_stub_script(init_data))
    page.goto(f"{served_oss.url}/app")
    page.set_input_files("#file", str(video))
    page.click("#send")
    page.wait_for_function("document.body.hasAttribute('data-job') || "
                           "document.getElementById('status').className === 'error'", timeout=120_000)
    return page


@pytest.mark.parametrize("expose_etag", [False, True])
def test_the_bucket_cors_rule_decides_whether_the_browser_can_upload(served_oss, browser, small_video, expose_etag):
    bot, oss = served_oss.bot, served_oss.oss
    bot.grant()
    # The page (http://127.0.0.1:A) and the bucket (http://127.0.0.1:B) are different origins.
    origin = served_oss.url
    if expose_etag:
        served_oss.store.configure_direct_uploads([origin], "uploads/", abort_after_days=1, expire_after_days=2)
    else:  # the rule lets the PUT through but keeps ETag from the page
        oss.cors_xml = (f"<CORSConfiguration><CORSRule><AllowedOrigin>{origin}</AllowedOrigin>"
                        "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>"
                        "</CORSRule></CORSConfiguration>").encode()
    page = _upload_in_browser(browser, served_oss, small_video)
    # The browser asked the bucket first (a PUT from another origin), and the rule let it.
    assert (origin, "PUT", True) in oss.preflights
    if not expose_etag:
        assert page.get_attribute("body", "data-job") is None
        assert "failed" in page.text_content("#status") or "не удалась" in page.text_content("#status")
        assert not [k for k in oss.objects if k.startswith("uploads/")]  # never completed
        return
    job_id = page.get_attribute("body", "data-job")
    assert job_id
    uploads = [(m, k) for m, k, _ in oss.requests if k.startswith("uploads/")]
    assert ("PUT", uploads[0][1]) in uploads  # the parts went straight to the bucket
    job = _wait_job(bot, job_id, 120)
    assert job.status.value == "completed", job.error
    assert any(SPOKEN in e.text for e in bot.chat.events if e.chat_id == LOCAL_USER_ID)
    assert not [k for k in oss.objects if k.startswith("uploads/")]  # deleted after the job
    assert oss.uploads == {}


def test_without_any_cors_rule_the_browser_preflight_is_refused(served_oss, browser, small_video):
    served_oss.bot.grant()
    page = _upload_in_browser(browser, served_oss, small_video)
    assert page.get_attribute("body", "data-job") is None
    assert (served_oss.url, "PUT", False) in served_oss.oss.preflights
    assert served_oss.oss.part_puts == []  # the browser never sent a part
    assert not [k for k in served_oss.oss.objects if k.startswith("uploads/")]
