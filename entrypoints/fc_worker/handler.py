"""FC 3.0 MNS queue trigger (EventBridge) → ``Worker.deliver`` for each message (a transcription
job, or an action on a transcript). Translate only.

The event is one CloudEvents object, or a JSON array of them with batch
push; ``data.messageBody`` holds ``{"job_id": "..."}``, already base64-decoded by the trigger
(``IsBase64Decode: true``, the default) — base64 text is accepted too, as is a bare
``{"job_id": ...}`` event (``s invoke`` by an operator).

- Every message of a batch is processed before anything is raised. A ``TransientFailure``
  (``JobBusy`` included) or an unexpected error in any of them makes the invocation fail at the
  end, so EventBridge delivers the batch again; jobs that finished are then skipped (idempotent
  by job id), only the unfinished ones run again.
- Bounded steps: the invocation has one ``Deadline`` for all its messages, the policy's step
  budget or the function's own timeout less ``policy.step_reserve_s``, whichever is shorter
  (FC's python context has no remaining-time call: the budget is counted from the invocation's
  start). A job step that reaches it checkpoints and queues the job again (``continued``); a
  message whose turn comes after it is not started and is delivered again.
- A malformed message (not JSON, no ``job_id``) is logged and dropped: a retry cannot fix it.
- Delivery exhaustion: the documented CloudEvents ``data`` carries only ``requestId``,
  ``messageId`` and ``messageBody``, no dequeue count. Attempts are therefore counted on the job
  row: each delivery that claims the job increments ``attempts``, and ``TranscribeJob`` fails the
  job (refund, user told) once ``policy.max_job_attempts`` claims were used. A job whose
  deliveries ran out before that (EventBridge's retry policy ended, the event went to the
  dead-letter queue) is found by the stuck-job sweeper (``fc_report``), which republishes it or
  gives up on it (``TranscribeJob.give_up``: refund, user told).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from typing import Any

import attrs

from entrypoints.fc_runtime import FcRuntime, request_id_of
from entrypoints.observability import log_context
from ports.errors import TransientFailure
from usecases.steps import Deadline

log = logging.getLogger("worker")

runtime = FcRuntime("worker")

_JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


@attrs.frozen
class QueueMessage:
    message_id: str
    job_id: str | None  # None: malformed, dropped
    problem: str = ""


class BatchRetry(TransientFailure):
    """Several messages of a batch must be delivered again (raised after the whole batch)."""

    def __init__(self, failed: int, total: int) -> None:
        super().__init__("worker", f"{failed} of {total} messages must be delivered again")


def _job_id_from_body(body: Any) -> str | None:
    """``{"job_id": ...}`` as a dict, JSON text or base64 of JSON text."""
    if isinstance(body, str):
        text = body.strip()
        try:
            body = json.loads(text)
        except ValueError:
            try:
                body = json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
            except (binascii.Error, ValueError):
                return None
    if not isinstance(body, dict):
        return None
    job_id = body.get("job_id")
    return job_id if isinstance(job_id, str) and _JOB_ID.match(job_id) else None


def parse_queue_event(event: bytes | str | dict | list) -> list[QueueMessage]:
    if isinstance(event, bytes | bytearray):
        event = event.decode("utf-8", "replace")
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError:
            return [QueueMessage("", None, "event is not JSON")]
    items = event if isinstance(event, list) else [event]
    messages = []
    for item in items:
        if not isinstance(item, dict):
            messages.append(QueueMessage("", None, "message is not an object"))
            continue
        if "data" not in item and "job_id" in item:  # direct invocation
            messages.append(QueueMessage("", _job_id_from_body(item), "bad job_id"))
            continue
        data = item.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                data = None
        if not isinstance(data, dict):
            messages.append(QueueMessage(str(item.get("id", "")), None, "no data object"))
            continue
        message_id = str(data.get("messageId") or item.get("id") or "")
        job_id = _job_id_from_body(data.get("messageBody"))
        messages.append(QueueMessage(message_id, job_id, "" if job_id else "no job_id in messageBody"))
    return messages


class NotStarted(TransientFailure):
    """The invocation's time budget ran out before this message's turn."""

    def __init__(self) -> None:
        super().__init__("worker", "no time left in this invocation")


def step_budget_s(policy: Any, context: Any) -> float:
    """The policy's step budget, shortened to fit the function's configured timeout."""
    budget = float(policy.step_budget_s)
    timeout = getattr(getattr(context, "function", None), "timeout", None)
    if isinstance(timeout, int | float) and timeout > 0:
        budget = min(budget, float(timeout) - float(policy.step_reserve_s))
    return max(1.0, budget)


def handler(event: bytes, context: Any) -> dict[str, Any]:
    with log_context(request_id=request_id_of(context)):
        messages = parse_queue_event(event)
        runtime.container(context)
        worker = runtime.resolve("worker")
        deadline = Deadline.after(runtime.resolve("clock"), step_budget_s(runtime.resolve("policy"), context))
        outcomes: list[dict[str, str]] = []
        failures: list[BaseException] = []
        for message in messages:
            with log_context(job_id=message.job_id, message_id=message.message_id or None):
                if message.job_id is None:
                    log.warning("malformed queue message dropped", extra={"problem": message.problem})
                    outcomes.append({"job_id": "", "status": "dropped"})
                    continue
                start = time.perf_counter()
                if deadline.expired():
                    failures.append(NotStarted())
                    outcomes.append({"job_id": message.job_id, "status": "retry"})
                    continue
                try:
                    delivered = worker.deliver(message.job_id, deadline)
                except Exception as exc:
                    log.exception("job crashed; it will be delivered again")
                    failures.append(exc)
                    outcomes.append({"job_id": message.job_id, "status": "retry"})
                    continue
                if delivered.failure is not None:
                    log.warning("job will be delivered again", extra={"error": str(delivered.failure)})
                    failures.append(delivered.failure)
                    outcomes.append({"job_id": message.job_id, "status": "retry"})
                    continue
                outcome = delivered.outcome
                assert outcome is not None
                log.info("job processed", extra={
                    "status": outcome.status, "detail": outcome.detail,
                    "elapsed_ms": round((time.perf_counter() - start) * 1000, 1),
                })
                outcomes.append({"job_id": message.job_id, "status": outcome.status})
        if failures:
            if len(failures) == 1:
                raise failures[0]
            raise BatchRetry(len(failures), len(messages)) from failures[0]
        return {"processed": len(messages), "outcomes": outcomes}
