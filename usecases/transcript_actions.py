"""Actions on a delivered transcript: summary, key points and action items, translation, named speakers.

The buttons under a transcript (``action_rows``) carry ``act:<job>:<kind>[:<language>]``.

Webhook side (``press``, ``reply``):
- Only the user whose job it is may act on it, and only once the job completed with text (the
  export buttons' rule); anyone else gets "no longer available" on the button.
- **Named speakers** (free): the bot asks for each speaker's name in turn (one reply each), or
  takes one line ``1=Anna, 2=Boris``; the names are stored with the transcript; the transcript
  message the button was under is edited to read with them (or, when the transcript took several
  messages or a file, it is sent again with them), and the exports and every later summary or
  translation use them.
- **Summary, key points, translation**: a second press of a request that completed sends the
  stored result again, free; one still running just says so. Otherwise the row is created (or a
  failed one gets a new round), the policy's price (``domain.transcript_actions.action_price``)
  is reserved under the row's key, and the row goes to the worker through the job queue: a
  4-hour transcript takes far longer than a webhook may live.

Worker side (``__call__``, one bounded step like ``TranscribeJob``):
- claim the row (a lease; a live lease elsewhere → ``JobBusy``, the queue delivers it again);
- map: the transcript (labelled with the speakers' names) is cut by ``plan_pieces`` and each
  piece is asked for once (``policy.llm_concurrency`` at a time); reduce: partial summaries are merged in rounds; every answer is
  checkpointed on the row under its step key before the next call, so a crash or a continued
  step repeats no paid call; no call starts after the step's deadline (the row is queued again);
- guard: every answer passes ``usecases.formatting.accept_summary``/``accept_translation`` (beside
  the formatter's ``accept_answer``; the rules are ``domain.answer_checks``) or is asked once more of the other model
  (the same model when only one is configured); an answer that fails twice fails the action;
- deliver the result once (parts checkpointed), then settle: a completed action keeps its
  reservation; a failed one gives it all back (``act-release:``) and the user is told plainly.
"""

from __future__ import annotations

import enum
import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

import attrs

from domain.action_planning import map_key, plan_pieces, reduce_groups, reduce_key
from domain.job import Job, JobStatus
from domain.policy import Policy
from domain.speaker_names import (
    clean_name,
    label_turns,
    parse_names_line,
    rename_mentions,
    speaker_label,
    turn_speakers,
)
from domain.splitting import split_message
from domain.transcript import TranscriptionMode
from domain.transcript_actions import (
    ActionKind,
    ActionRecord,
    ActionStatus,
    SpeakerNames,
    action_id,
    action_price,
)
from ports.action_store import ActionStore
from ports.chat import Button, Chat, EditOutcome, Keyboard
from ports.clock import Clock
from ports.errors import ConflictError, OutcomeUnknown, PermanentFailure, PortError, TransientFailure
from ports.job_queue import JobQueue
from ports.repositories import Jobs, Users
from ports.text_tasks import TaskKind, TextTask, TextTasks
from presentation.callbacks import EXPORT_FORMATS, ActionPress, ExportPress, encode
from presentation.catalogue import LANGUAGE_NAMES, say
from presentation.html import split_code_message, wrap_code
from presentation.keys import Key, M
from usecases.errors import JobBusy
from usecases.exports import job_segments
from usecases.formatting import Verdict, accept_summary, accept_translation
from usecases.retrying import with_retries
from usecases.routes import IGNORED, Route, Via
from usecases.steps import Deadline, Outcome, StepInterrupted

log = logging.getLogger(__name__)

_KINDS = {kind.value: kind for kind in ActionKind}
_MAP_TASK = {ActionKind.SUMMARY: TaskKind.SUMMARY, ActionKind.KEY_POINTS: TaskKind.KEY_POINTS,
             ActionKind.TRANSLATE: TaskKind.TRANSLATE}
_MERGE_TASK = {ActionKind.SUMMARY: TaskKind.SUMMARY_MERGE, ActionKind.KEY_POINTS: TaskKind.KEY_POINTS_MERGE}
_WORKING = {ActionKind.SUMMARY: M.action_working_sum, ActionKind.KEY_POINTS: M.action_working_pts,
            ActionKind.TRANSLATE: M.action_working_tr}
_TITLES = {ActionKind.SUMMARY: M.action_title_sum, ActionKind.KEY_POINTS: M.action_title_pts,
           ActionKind.TRANSLATE: M.action_title_tr}
SAVE_ATTEMPTS = 5
# The sweeper (``sweep``): an unfinished action quiet this long is published again; one not
# finished this long after its press is failed with a refund (a 4-hour summary takes minutes).
QUIET_BEFORE_REPUBLISH_S = 900.0
ABANDONED_AFTER_S = 6 * 3600.0
# A text message is taken for a speaker's name only this long after the bot asked.
NAMES_REPLY_WINDOW_S = 3600.0


def label_word(lang: str) -> str:
    """The word of a numbered speaker's label ("Спикер", "Speaker"), as the transcript writes it."""
    return say(lang, M.speaker)


def _language_name(lang: str, code: str) -> str:
    key = LANGUAGE_NAMES.get(code)
    return say(lang, key) if key is not None else code


def action_rows(job_id: str, lang: str, *, dialogue: bool) -> Keyboard:
    """The action buttons under a transcript (beside the export buttons)."""
    def button(key: Key, kind: ActionKind) -> Button:
        return Button(say(lang, key), encode(ActionPress(job_id, kind.value)))

    rows: list[tuple[Button, ...]] = [
        (button(M.action_btn_summary, ActionKind.SUMMARY), button(M.action_btn_points, ActionKind.KEY_POINTS)),
    ]
    last = [button(M.action_btn_translate, ActionKind.TRANSLATE)]
    if dialogue:
        last.append(button(M.action_btn_names, ActionKind.NAMES))
    rows.append(tuple(last))
    return tuple(rows)


def transcript_keyboard(job_id: str, lang: str, *, dialogue: bool) -> Keyboard:
    """Everything under a delivered transcript: the exports (.txt/.srt/.vtt, ``usecases.exports``),
    then the actions."""
    exports = (tuple(Button(f"⬇️ .{fmt}", encode(ExportPress(job_id, fmt))) for fmt in EXPORT_FORMATS),)
    return exports + action_rows(job_id, lang, dialogue=dialogue)


@attrs.frozen
class ActionOutcome:
    action_id: str
    status: Outcome
    detail: str = ""


class _Unfaithful(Exception):
    """Both tries of one step gave answers the guards refused (or no model answered at all)."""

    def __init__(self, reason: str, *, refused: bool, user_key: Key | None = None) -> None:
        super().__init__(reason)
        self.refused = refused
        self.user_key = user_key or (M.action_unfaithful if refused else M.action_failed)


def speakers_of(job: Job) -> tuple[str, ...]:
    """The numbered speakers of a dialogue transcript, in numeric order."""
    found = {s for s in turn_speakers(job_segments(job)) if s is not None}
    return tuple(sorted(found, key=lambda s: (len(s), s)))


def named_transcript(job: Job, names: Mapping[str, str], lang: str) -> str:
    """The transcript as the user sees it with names: every turn labelled (dialogue mode)."""
    text = job.result_text or ""
    if job.result_mode is not TranscriptionMode.DIALOGUE:
        return text
    return label_turns(text, job_segments(job), names, label_word(lang))


class PressOutcome(enum.StrEnum):
    """What became of an action button or of an answer to the speaker-name question (route detail)."""

    UNAVAILABLE = "unavailable"  # no such finished transcript of the presser's, or not a dialogue
    PICK = "pick"  # translate: the languages offered
    STORED = "stored"  # made before: sent again, free
    BUSY = "busy"  # running already
    NO_MINUTES = "no_minutes"
    QUEUED = "queued"
    ASKED = "asked"  # names: the first speaker's name asked
    BAD = "bad"  # names: the answer was not a usable name
    NEXT = "next"  # names: the next speaker's name asked
    SAVED = "saved"  # names: all given, the transcript shown with them


def _route(kind: ActionKind, outcome: PressOutcome) -> Route:
    return Route(Via.ACTION, (kind.value, outcome))


class TranscriptActions:
    def __init__(self, *, jobs: Jobs, users: Users, actions: ActionStore, chat: Chat, queue: JobQueue,
                 models: Sequence[TextTasks], clock: Clock, policy: Policy,
                 translation_languages: Sequence[str]) -> None:
        self._jobs = jobs
        self._users = users
        self._actions = actions
        self._chat = chat
        self._queue = queue
        self._models = tuple(models)
        self._clock = clock
        self._policy = policy
        self._languages = tuple(translation_languages)

    # ================================================================= webhook: the buttons
    def press(self, presser_id: int, lang: str, press: ActionPress, chat_id: int | None,
              message_id: int | None = None) -> tuple[Route, str]:
        """Handle an action button pressed under ``message_id``; returns (route, text for the
        button's answer)."""
        if press.action not in _KINDS or chat_id is None:
            return IGNORED, ""
        job_id, kind, target = press.job_id, _KINDS[press.action], press.language
        job = self._jobs.get(job_id) if job_id else None
        if job is None or job.user_id != presser_id or job.status is not JobStatus.COMPLETED or not job.result_text:
            return Route(Via.ACTION, (PressOutcome.UNAVAILABLE,)), say(lang, M.action_unavailable)
        if kind is ActionKind.NAMES:
            return self._ask_names(job, chat_id, lang, message_id), ""
        if kind is ActionKind.TRANSLATE and target is None:
            self._chat.send_text(chat_id, say(lang, M.action_pick_language),
                                 keyboard=self._language_keyboard(job, lang))
            return _route(kind, PressOutcome.PICK), ""
        if kind is ActionKind.TRANSLATE and target not in self._targets(lang, job):
            return IGNORED, ""
        return self._request(job, kind, target, chat_id, lang)

    def _targets(self, lang: str, job: Job) -> tuple[str, ...]:
        """The interface language first, then the short list; never the transcript's own language."""
        return tuple(c for c in dict.fromkeys((lang, *self._languages)) if c != job.result_language)

    def _language_keyboard(self, job: Job, lang: str) -> Keyboard:
        job_id = job.job_id
        buttons = [Button(_language_name(lang, code), encode(ActionPress(job_id, ActionKind.TRANSLATE.value, code)))
                   for code in self._targets(lang, job)]
        return tuple(tuple(buttons[i:i + 3]) for i in range(0, len(buttons), 3))

    def _request(self, job: Job, kind: ActionKind, target: str | None, chat_id: int,
                 lang: str) -> tuple[Route, str]:
        aid = action_id(kind, job.job_id, target)
        record = self._actions.get(aid)
        if record is not None and record.status is ActionStatus.COMPLETED:
            self._deliver(record, lang, status_message_id=None, sent_parts=0)
            return _route(kind, PressOutcome.STORED), ""
        if record is not None and not record.status.is_terminal:
            if record.is_leased(self._clock.now()):
                return _route(kind, PressOutcome.BUSY), say(lang, M.action_busy)
            # Queued, or its run died with its lease: publish it (again). A second message for the
            # same row is harmless: the worker skips a row that is leased or finished.
            self._queue.publish(aid)
            return _route(kind, PressOutcome.BUSY), say(lang, M.action_busy)
        price = action_price(self._policy, kind, job.real_duration_ms)
        now = self._clock.now()
        if record is None:
            record = ActionRecord(aid, job.job_id, job.user_id, chat_id, kind, price, now, target_language=target)
            if not self._actions.create(record):
                return _route(kind, PressOutcome.BUSY), say(lang, M.action_busy)
            record = self._actions.get(aid) or attrs.evolve(record, version=1)
        else:
            record = self._actions.save(record.retried(now, price))
        if price:
            change = self._users.apply_balance(job.user_id, record.reserve_key, -price)
            if change.insufficient:
                self._fail_row(record, "insufficient balance")
                self._chat.send_text(chat_id, say(lang, M.action_no_minutes, price=price, balance=change.balance))
                return _route(kind, PressOutcome.NO_MINUTES), ""
        language = _language_name(lang, target) if target else ""
        try:
            status_id: int | None = self._chat.send_text(
                chat_id, say(lang, _WORKING[kind], language=language))
        except OutcomeUnknown:
            status_id = None
        if status_id is not None:
            try:
                record = self._actions.save(attrs.evolve(record, status_message_id=status_id))
            except ConflictError:
                pass  # a worker already took it; the result then goes out as a new message
        self._queue.publish(aid)
        return _route(kind, PressOutcome.QUEUED), ""

    # ================================================================= webhook: named speakers
    def _ask_names(self, job: Job, chat_id: int, lang: str, message_id: int | None) -> Route:
        speakers = speakers_of(job) if job.result_mode is TranscriptionMode.DIALOGUE else ()
        if not speakers:
            self._chat.send_text(chat_id, say(lang, M.action_names_only_dialogue))
            return _route(ActionKind.NAMES, PressOutcome.UNAVAILABLE)
        for other in [self._actions.asking(job.user_id)]:  # one question at a time per user
            if other is not None and other.job_id != job.job_id:
                self._put_names(other.job_id, lambda n: attrs.evolve(n, asked=None))
        stored = self._put_names(job.job_id, lambda n: attrs.evolve(
            n, speakers=speakers, asked=speakers[0], updated_at=self._clock.now(), message_id=message_id),
            user_id=job.user_id)
        first = speaker_label(speakers[0], {}, label_word(lang))
        self._chat.send_text(chat_id, say(lang, M.action_names_ask, label=first,
                                                 example=self._example(stored.speakers, lang)))
        return _route(ActionKind.NAMES, PressOutcome.ASKED)

    @staticmethod
    def _example(speakers: Sequence[str], lang: str) -> str:
        samples = ("Анна", "Борис", "Вера", "Глеб") if lang == "ru" else ("Anna", "Boris", "Vera", "Glen")
        return ", ".join(f"{s}={samples[i % len(samples)]}" for i, s in enumerate(speakers[:4]))

    def _put_names(self, job_id: str, change: Callable[[SpeakerNames], SpeakerNames],
                   user_id: int | None = None) -> SpeakerNames:
        for _ in range(SAVE_ATTEMPTS):
            current = self._actions.names(job_id) or SpeakerNames(job_id, user_id or 0)
            try:
                return self._actions.put_names(change(current))
            except ConflictError:
                continue
        raise ConflictError(f"speaker names of {job_id} kept changing")

    def reply(self, user_id: int, chat_id: int, text: str, lang: str) -> Route | None:
        """A text message while the bot is asking for speaker names: the route, or None when the
        user is not being asked (the message is something else)."""
        asking = self._actions.asking(user_id)
        if asking is None or asking.asked is None:
            return None
        if self._clock.now() - asking.updated_at > NAMES_REPLY_WINDOW_S:
            # A question left unanswered for long: this message is something else.
            self._put_names(asking.job_id, lambda n: attrs.evolve(n, asked=None))
            return None
        job = self._jobs.get(asking.job_id)
        if job is None or not job.result_text:
            self._put_names(asking.job_id, lambda n: attrs.evolve(n, asked=None))
            return None
        line = parse_names_line(text)
        if line is not None:
            given = {k: v for k, v in line.items() if k in asking.speakers}
            stored = self._put_names(job.job_id, lambda n: attrs.evolve(
                n, names={**n.names, **given}, asked=None, updated_at=self._clock.now()))
            return self._names_done(job, stored, chat_id, lang)
        name = clean_name(text)
        if name is None:
            self._chat.send_text(chat_id, say(lang, M.action_names_bad, example=self._example(asking.speakers, lang)))
            return _route(ActionKind.NAMES, PressOutcome.BAD)
        speaker = asking.asked

        def answer(n: SpeakerNames) -> SpeakerNames:
            named = attrs.evolve(n, names={**n.names, speaker: name})
            later = [s for s in named.speakers if named.speakers.index(s) > named.speakers.index(speaker)]
            return attrs.evolve(named, asked=later[0] if later else None, updated_at=self._clock.now())

        stored = self._put_names(job.job_id, answer)
        if stored.asked is not None:
            self._chat.send_text(chat_id, say(lang, M.action_names_next,
                                                     label=speaker_label(stored.asked, {}, label_word(lang))))
            return _route(ActionKind.NAMES, PressOutcome.NEXT)
        return self._names_done(job, stored, chat_id, lang)

    def _names_done(self, job: Job, names: SpeakerNames, chat_id: int, lang: str) -> Route:
        shown = ", ".join(f"{speaker_label(s, {}, label_word(lang))} → {names.names[s]}"
                          for s in names.speakers if s in names.names)
        text = named_transcript(job, names.names, lang)
        user = self._users.get(job.user_id)
        code = bool(user and user.settings.use_code)
        keyboard = self._transcript_keyboard(job, lang)
        shown_text = wrap_code(text) if code else text
        if names.message_id is not None and len(shown_text) <= self._policy.edit_limit:
            # The transcript was one message (the button was under it): it now reads with names.
            outcome = self._chat.edit_text(chat_id, names.message_id, shown_text, html=code, keyboard=keyboard)
            if outcome in (EditOutcome.EDITED, EditOutcome.NOT_MODIFIED):
                self._chat.send_text(chat_id, say(lang, M.action_names_done, names=shown or "—"))
                return _route(ActionKind.NAMES, PressOutcome.SAVED)
        self._chat.send_text(chat_id, say(lang, M.action_names_done, names=shown or "—"))
        if code:
            parts = [wrap_code(p) for p in split_code_message(text, self._policy.message_limit)]
        else:
            parts = list(split_message(text, self._policy.message_limit))
        for i, part in enumerate(parts):
            self._chat.send_text(chat_id, part, html=code, keyboard=keyboard if i == len(parts) - 1 else None)
        return _route(ActionKind.NAMES, PressOutcome.SAVED)

    def _transcript_keyboard(self, job: Job, lang: str) -> Keyboard:
        return transcript_keyboard(job.job_id, lang, dialogue=job.result_mode is TranscriptionMode.DIALOGUE)

    def speaker_names(self, job_id: str) -> dict[str, str]:
        """The names given to a transcript's speakers (empty when none): for the exports."""
        stored = self._actions.names(job_id)
        return dict(stored.names) if stored else {}

    def forget(self, user_id: int) -> int:
        """``/forget``: delete the user's stored results and speaker names; how many rows."""
        return self._actions.forget_user(user_id)

    # ================================================================= worker: one step
    def __call__(self, aid: str, deadline: Deadline | None = None) -> ActionOutcome:
        deadline = deadline or Deadline.after(self._clock, self._policy.step_budget_s)
        record = self._actions.get(aid)
        if record is None:
            return ActionOutcome(aid, Outcome.MISSING)
        if record.status.is_terminal:
            return ActionOutcome(aid, Outcome.SKIPPED, record.status.value)
        now = self._clock.now()
        if record.is_leased(now):
            raise JobBusy(aid)
        if record.attempts >= self._policy.max_job_attempts:
            return self._fail(record, "too_many_attempts", M.action_failed)
        try:
            record = self._actions.save(record.claimed(now, self._policy.job_lease_s))
        except ConflictError as exc:
            raise JobBusy(aid) from exc
        lang = self._lang(record.user_id)
        try:
            return self._run(record, lang, deadline)
        except StepInterrupted as exc:
            return self._continue(aid, str(exc))
        except _Unfaithful as exc:
            return self._fail(self._actions.get(aid) or record, str(exc), exc.user_key)
        except TransientFailure:
            self._release_lease(aid)
            raise
        except PermanentFailure as exc:
            return self._fail(self._actions.get(aid) or record, str(exc), M.action_failed)

    def sweep(self) -> dict[str, int]:
        """No action stays unfinished for ever (the report timer runs this with the job sweeper).

        A row a worker holds (live lease) is left alone. A row nobody finished within
        ``ABANDONED_AFTER_S`` of the press is failed with a full refund, and its user told. Any
        other unfinished row quiet for ``QUIET_BEFORE_REPUBLISH_S`` (its message lost, or its
        worker died) is published again: the worker skips a row that is leased or finished, so a
        duplicate message costs nothing.
        """
        now = self._clock.now()
        republished = failed = 0
        for record in list(self._actions.scan()):
            if record.status.is_terminal or record.is_leased(now):
                continue
            if now - record.created_at > ABANDONED_AFTER_S:
                failed += self.give_up(record.action_id, "abandoned").status is Outcome.FAILED
            elif now - max(record.created_at, record.lease_until) > QUIET_BEFORE_REPUBLISH_S:
                self._queue.publish(record.action_id)
                republished += 1
        return {"republished": republished, "failed": failed}

    def give_up(self, aid: str, reason: str = "delivery_exhausted") -> ActionOutcome:
        record = self._actions.get(aid)
        if record is None:
            return ActionOutcome(aid, Outcome.MISSING)
        if record.status.is_terminal:
            return ActionOutcome(aid, Outcome.SKIPPED, record.status.value)
        return self._fail(record, reason, M.action_failed)

    def _lang(self, user_id: int) -> str:
        user = self._users.get(user_id)
        return user.settings.ui_language if user else "ru"

    def _run(self, record: ActionRecord, lang: str, deadline: Deadline) -> ActionOutcome:
        job = self._jobs.get(record.job_id)
        if job is None or not job.result_text:
            raise _Unfaithful("the transcript is gone", refused=False, user_key=M.action_unavailable)
        if record.price and not record.delivered:
            # The press reserved it; a press that died between creating the row and reserving
            # did not. The same key makes this a no-op in the first case.
            change = self._users.apply_balance(record.user_id, record.reserve_key, -record.price)
            if change.insufficient:
                raise _Unfaithful("insufficient balance", refused=False, user_key=M.action_failed)
        if record.result_text is None:
            record = self._compute(record, job, lang, deadline)
        if not record.delivered:
            record = self._deliver(record, lang, status_message_id=record.status_message_id,
                                   sent_parts=record.delivered_parts)
        # Settled: a completed action keeps its reservation, nothing moves.
        self._actions.save(record.completed(self._clock.now()))
        return ActionOutcome(record.action_id, Outcome.COMPLETED, f"charged={record.price}")

    # -- map, reduce, guard --------------------------------------------------------------------
    def _compute(self, record: ActionRecord, job: Job, lang: str, deadline: Deadline) -> ActionRecord:
        stored = self._actions.names(job.job_id)
        names = dict(stored.names) if stored else {}
        dialogue = job.result_mode is TranscriptionMode.DIALOGUE
        source = named_transcript(job, names, lang)
        known = frozenset(names.values())
        budget = self._policy.action_piece_chars
        translate = record.kind is ActionKind.TRANSLATE
        pieces = plan_pieces(source, dialogue=dialogue, budget=budget, whole_turns=translate)
        holder = {"record": record}
        lock = threading.Lock()  # one versioned write of the row at a time

        def checkpoint(key: str, text: str, model: str) -> None:
            with lock:
                current = holder["record"]
                try:
                    holder["record"] = self._actions.save(attrs.evolve(
                        current.with_step(key, text), model=model, source_chars=len(source)))
                except ConflictError:
                    # The row moved since this step last wrote it (a write whose answer was lost):
                    # add this answer to the row as stored, unless the action was closed meanwhile.
                    fresh = self._actions.get(current.action_id)
                    if fresh is None or fresh.status is not ActionStatus.RUNNING:
                        raise
                    holder["record"] = self._actions.save(attrs.evolve(
                        fresh.with_step(key, text), model=model, source_chars=len(source)))

        def ask(key: str, task: TextTask, judge: Callable[[str], Verdict]) -> str:
            with lock:
                done = holder["record"].step_results
            if key in done:
                return done[key]
            if deadline.expired():
                raise StepInterrupted(f"{len(done)} steps done")
            answer, model = self._ask(task, judge)
            checkpoint(key, answer, model)
            return answer

        def map_piece(index: int) -> str:
            piece = pieces[index]
            task = TextTask(_MAP_TASK[record.kind], piece, answer_language=lang,
                            target_language=record.target_language, dialogue=dialogue,
                            part=index + 1, parts=len(pieces))
            if translate:
                def judge(answer: str) -> Verdict:
                    return accept_translation(piece, answer, dialogue=dialogue)
            else:
                def judge(answer: str) -> Verdict:
                    return accept_summary(piece, answer, speakers=known)
            return ask(map_key(index), task, judge)

        results = self._map(map_piece, len(pieces))
        if translate:
            result = ("\n" if dialogue else "\n\n").join(r.strip() for r in results)
            whole = accept_translation(source, result, dialogue=dialogue)
            if whole.text is None:  # each piece passed; the whole must too (never deliver a broken join)
                raise _Unfaithful(whole.reason, refused=True)
        else:
            result = self._reduce(record.kind, results, lang, known, ask)
        record = holder["record"]
        return self._actions.save(attrs.evolve(record, result_text=result, source_chars=len(source)))

    def _map(self, run: Callable[[int], str], count: int) -> list[str]:
        """``run`` over every piece, ``policy.llm_concurrency`` at a time, results in order.

        After a failure no further piece is started; the calls under way finish and are
        checkpointed (paid for once); then the failure (or the step's end) is raised."""
        out: dict[int, str] = {}
        failure: BaseException | None = None
        workers = max(1, min(self._policy.llm_concurrency, count))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="action") as pool:
            futures = {pool.submit(run, i): i for i in range(count)}
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                try:
                    out[futures[future]] = future.result()
                except BaseException as exc:  # noqa: BLE001 - re-raised below, once all are done
                    if failure is None or isinstance(failure, StepInterrupted):
                        failure = exc
                    for waiting in futures:  # start no new paid call; those under way finish
                        waiting.cancel()
        if failure is not None:
            raise failure
        return [out[i] for i in range(count)]

    def _reduce(self, kind: ActionKind, texts: list[str], lang: str, known: frozenset[str],
                ask: Callable[[str, TextTask, Callable[[str], Verdict]], str]) -> str:
        round_no = 0
        while len(texts) > 1:
            round_no += 1
            merged = []
            for group_no, group in enumerate(reduce_groups(texts, self._policy.action_piece_chars)):
                joined = "\n\n".join(texts[i].strip() for i in group)
                task = TextTask(_MERGE_TASK[kind], joined, answer_language=lang)

                def judge(answer: str, joined: str = joined) -> Verdict:
                    return accept_summary(joined, answer, speakers=known)

                merged.append(ask(reduce_key(round_no, group_no), task, judge))
            texts = merged
        return texts[0].strip()

    def _ask(self, task: TextTask, judge: Callable[[str], Verdict]) -> tuple[str, str]:
        """An answer ``judge`` accepts (cleaned), and the model that gave it: the first model, then
        once the other one (the same one again when only one is configured)."""
        models = self._models if len(self._models) > 1 else self._models * 2
        if not models:
            raise _Unfaithful("no text model is configured", refused=False)
        reasons: list[str] = []
        refused = False
        outage: TransientFailure | None = None
        for model in models[:2]:
            try:
                answer = with_retries(functools.partial(model.run_task, task), clock=self._clock, attempts=2,
                                      base_delay_s=self._policy.retry_base_delay_s)
            except TransientFailure as exc:
                outage = exc
                reasons.append(f"{model.model_name}: {exc}")
                continue
            except PortError as exc:
                reasons.append(f"{model.model_name}: {exc}")
                continue
            verdict = judge(answer)
            if verdict.text is not None:
                return verdict.text.strip(), model.model_name
            reason = verdict.reason
            refused = True
            log.warning("answer refused by the faithfulness guard",
                        extra={"model": model.model_name, "reason": reason, "task": task.kind.value})
            reasons.append(f"{model.model_name}: {reason}")
        if outage is not None and not refused:
            raise outage  # both unreachable: the queue delivers the step again, nothing is lost
        raise _Unfaithful("; ".join(reasons), refused=refused)

    # -- delivery ------------------------------------------------------------------------------
    def _result_text(self, record: ActionRecord, lang: str) -> str:
        stored = self._actions.names(record.job_id)
        body = rename_mentions(record.result_text or "", stored.names if stored else {})
        language = _language_name(lang, record.target_language) if record.target_language else ""
        return f"{say(lang, _TITLES[record.kind], language=language)}\n\n{body}"

    def _deliver(self, record: ActionRecord, lang: str, *, status_message_id: int | None,
                 sent_parts: int) -> ActionRecord:
        """Send the result (at most once per part when ``record`` is the row being run)."""
        text = self._result_text(record, lang)
        chat_id = record.chat_id
        checkpointing = not record.delivered and record.status is ActionStatus.RUNNING
        holder = {"record": record}

        def part_sent(count: int) -> None:
            if checkpointing:
                holder["record"] = self._actions.save(attrs.evolve(holder["record"], delivered_parts=count))

        if len(text) > self._policy.long_text_file_chars:
            if sent_parts < 1:
                name = f"{record.kind.value}{'_' + record.target_language if record.target_language else ''}.txt"
                self._send(lambda: self._chat.send_document(chat_id, name, text.encode("utf-8"),
                                                            caption=text.split("\n", 1)[0]))
                part_sent(1)
            self._remove(chat_id, status_message_id)
        else:
            parts = split_message(text, self._policy.message_limit)
            for i, part in enumerate(parts):
                if i < sent_parts:
                    continue
                if i == 0 and status_message_id is not None:
                    self._send(functools.partial(self._chat.edit_text, chat_id, status_message_id, part))
                else:
                    self._send(functools.partial(self._chat.send_text, chat_id, part))
                part_sent(i + 1)
        if checkpointing:
            holder["record"] = self._actions.save(attrs.evolve(holder["record"], delivered=True))
        return holder["record"]

    @staticmethod
    def _send(call: Callable[[], object]) -> None:
        try:
            call()
        except OutcomeUnknown as exc:  # may be on the screen: never sent twice
            log.warning("an action result part may not have arrived", extra={"error": str(exc)})

    def _remove(self, chat_id: int, message_id: int | None) -> None:
        if message_id is None:
            return
        try:
            self._chat.delete(chat_id, message_id)
        except PortError:
            pass  # a stale "working" line is harmless

    # -- endings -------------------------------------------------------------------------------
    def _continue(self, aid: str, why: str) -> ActionOutcome:
        record = self._actions.get(aid)
        if record is None or record.status.is_terminal:
            return ActionOutcome(aid, Outcome.SKIPPED)
        if record.steps + 1 >= self._policy.max_job_steps:
            return self._fail(record, f"too_many_steps: {why}", M.action_failed)
        self._actions.save(record.continued())
        self._queue.publish(aid)
        log.info("action continues in another step", extra={"action_id": aid, "why": why})
        return ActionOutcome(aid, Outcome.CONTINUED, why)

    def _fail_row(self, record: ActionRecord, error: str) -> ActionRecord:
        """Close the row as failed and give back whatever its round reserved (exactly once)."""
        if record.price:
            reserved = self._users.apply_balance(record.user_id, record.reserve_key, 0).duplicate
            if reserved:
                self._users.apply_balance(record.user_id, record.release_key, record.price)
        for _ in range(SAVE_ATTEMPTS):
            current = self._actions.get(record.action_id) or record
            if current.status.is_terminal:
                return current
            try:
                return self._actions.save(current.failed(self._clock.now(), error))
            except ConflictError:
                continue
        return record

    def _fail(self, record: ActionRecord, error: str, user_key: Key) -> ActionOutcome:
        current = self._actions.get(record.action_id) or record
        if current.status.is_terminal:
            return ActionOutcome(record.action_id, Outcome.SKIPPED, current.status.value)
        if current.delivered or current.delivered_parts:
            # The result (or part of it) reached the user: it is paid for, never refunded.
            self._actions.save(current.completed(self._clock.now()))
            return ActionOutcome(record.action_id, Outcome.COMPLETED, f"charged={current.price}")
        self._fail_row(current, error)
        log.info("action failed", extra={"action_id": record.action_id, "error": error})
        text = say(self._lang(current.user_id), user_key)
        try:
            if current.status_message_id is not None:
                self._chat.edit_text(current.chat_id, current.status_message_id, text)
            else:
                self._chat.send_text(current.chat_id, text)
        except PortError:
            pass
        return ActionOutcome(record.action_id, Outcome.FAILED, error)

    def _release_lease(self, aid: str) -> None:
        record = self._actions.get(aid)
        if record is None or record.status.is_terminal:
            return
        try:
            self._actions.save(attrs.evolve(record, lease_until=0.0))
        except (ConflictError, TransientFailure):
            pass  # the lease simply runs out
