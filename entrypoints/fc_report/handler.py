"""FC 3.0 timer trigger → the stuck-job sweeper and the owner's daily report. Translate only.

The event is ``{"triggerTime", "triggerName", "payload"}`` (FC's timer-trigger event); ``payload`` is the
string configured on the trigger. ``{"actions": ["sweep"]}`` runs only the sweeper (a frequent
timer), ``{"actions": ["sweep", "report"]}`` both; an empty or unreadable payload means both.

- The sweeper (the container's ``sweep_jobs``, ``usecases.sweep_jobs.SweepJobs``) runs first, so
  the report counts the jobs it settled. A sweeper failure is logged (the owner is alerted) and
  does not stop the report.
- The report (``usecases.reports.DailyReport.send_daily``) goes to ``OWNER_ID``. A failure to send
  it propagates, so the timer's retry sends it later.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs

from entrypoints.fc_runtime import FcRuntime, request_id_of
from entrypoints.observability import log_context

log = logging.getLogger("report")

runtime = FcRuntime("report")

ALL_ACTIONS = ("sweep", "report")


def actions_of(event: bytes | str | dict | None) -> tuple[str, ...]:
    """Which actions the timer asks for (both when it does not say)."""
    try:
        if isinstance(event, bytes | bytearray):
            event = event.decode("utf-8")
        if isinstance(event, str):
            event = json.loads(event) if event.strip() else {}
        payload = event.get("payload") if isinstance(event, dict) else None
        if isinstance(payload, str):
            payload = json.loads(payload) if payload.strip().startswith("{") else None
        wanted = payload.get("actions") if isinstance(payload, dict) else None
    except (ValueError, AttributeError):
        wanted = None
    if isinstance(wanted, list):
        chosen = tuple(a for a in ALL_ACTIONS if a in wanted)
        if chosen:
            return chosen
    return ALL_ACTIONS


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return attrs.asdict(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def handler(event: bytes, context: Any) -> dict[str, Any]:
    with log_context(request_id=request_id_of(context)):
        actions = actions_of(event)
        runtime.container(context)
        result: dict[str, Any] = {"actions": list(actions)}
        if "sweep" in actions:
            try:
                summary = _plain(runtime.resolve("sweep_jobs")())
                log.info("stuck jobs swept", extra={"sweep": summary})
                result["sweep"] = summary
            except Exception:
                log.exception("stuck-job sweep failed")
                result["sweep"] = "failed"
            if "transcript_actions" in getattr(runtime.container(), "providers", {}):
                try:  # summaries and translations left unfinished (usecases.transcript_actions)
                    result["sweep_actions"] = runtime.resolve("transcript_actions").sweep()
                except Exception:
                    log.exception("stuck-action sweep failed")
                    result["sweep_actions"] = "failed"
        if "report" in actions:
            text = runtime.resolve("daily_report").send_daily()
            result["report"] = "sent" if text is not None else "skipped"
            log.info("daily report", extra={"result": result["report"]})
        return result
