"""The seven stores over one shared client, and ``build``: one store at a time for the container."""

from __future__ import annotations

import threading
from typing import Any

from .actions import TablestoreActionStore
from .client import TableClient
from .jobs import TablestoreJobs
from .logs import TablestoreLogs
from .results import TablestoreResults
from .state import TablestoreBotState, TablestoreIdempotencyKeys
from .trials import TablestoreTrials
from .users import TablestoreUsers


class TablestoreRepositories(TableClient):
    """One OTSClient shared by the eight stores: ``users``, ``jobs``, ``idempotency_keys``, ``logs``,
    ``trials``, ``results``, ``bot_state`` and ``actions`` (the constructor is ``TableClient``'s)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = TablestoreUsers(self)
        self.jobs = TablestoreJobs(self)
        self.idempotency_keys = TablestoreIdempotencyKeys(self)
        self.logs = TablestoreLogs(self)
        self.trials = TablestoreTrials(self)
        self.results = TablestoreResults(self)
        self.bot_state = TablestoreBotState(self)
        self.actions = TablestoreActionStore(self)


_BUILT: dict[tuple[Any, ...], TablestoreRepositories] = {}
_BUILT_LOCK = threading.Lock()
_KINDS = {"users": "users", "jobs": "jobs", "keys": "idempotency_keys", "idempotency_keys": "idempotency_keys",
          "logs": "logs", "trials": "trials", "results": "results", "state": "bot_state",
          "bot_state": "bot_state", "actions": "actions"}


def build(kind: str, *, endpoint: str, instance: str, access_key_id: str, access_key_secret: str,
          security_token: str | None = None, table_prefix: str = "", **kwargs: Any) -> Any:
    """One store (``users``, ``jobs``, ``keys``, ``logs``, ``trials``, ``results``, ``state`` or ``actions``).

    Every store built with the same credentials shares one TablestoreRepositories (one OTSClient).
    Only the latest credentials are kept: STS rotation replaces the shared client instead of piling
    up old ones.
    """
    attribute = _KINDS.get(kind)
    if attribute is None:
        raise ValueError(f"unknown Tablestore store kind {kind!r}")
    # Not part of the sharing key: every store of one deployment spills to the same bucket.
    overflow = kwargs.pop("overflow", None)
    key = (endpoint, instance, access_key_id, access_key_secret, security_token, table_prefix,
           tuple(sorted(kwargs.items())))
    with _BUILT_LOCK:
        repositories = _BUILT.get(key)
        if repositories is None:
            repositories = TablestoreRepositories(endpoint, access_key_id, access_key_secret, instance,
                                                  security_token, table_prefix, **kwargs)
            _BUILT.clear()
            _BUILT[key] = repositories
        if repositories.overflow is None:
            repositories.overflow = overflow
    return getattr(repositories, attribute)
