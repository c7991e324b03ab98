"""What the three Function Compute handlers share: one container per instance, STS credentials, logs.

When the container is built: **lazily, at the first invocation** of an instance, not at import.
A production configuration cannot pass ``check_settings`` without the function role's STS
credentials, which are an invocation's facts, not the module's. The cost is the same (a cold
instance's first invocation pays either way), and a configuration error is logged as a JSON line
and answered per invocation instead of an opaque initialisation failure.

Credentials are read on **every** invocation (``settings.invocation_credentials``): from the
``ALIBABA_CLOUD_*`` variables FC sets (the only source on python3.12, whose context has no
``credentials`` field), else ``context.credentials`` (older runtimes). When they differ from
the ones in use (FC rotates them during an instance's life), the settings are overridden and
only the singletons built from them are reset (``entrypoints.container.reset_credentialed``: the
Tablestore, MNS and OSS adapters the container declares as credential holders, and every
singleton that holds one). The Telegram adapter (and its event-loop thread), the recognizers and
the formatters are kept. Requests already running keep the objects they resolved, whose old
credentials stay valid for a while. Providers are resolved under one lock (``resolve``), so a
rotation never interleaves with a resolution.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from entrypoints.container import Container, build_container, reset_credentialed
from entrypoints.observability import configure_logging
from entrypoints.settings import (
    Credentials,
    Settings,
    SettingsError,
    check_settings,
    invocation_credentials,
    load_settings,
)

log = logging.getLogger("fc")

def request_id_of(context: Any) -> str | None:
    value = getattr(context, "request_id", None) if context is not None else None
    return str(value) if value else None


def with_credentials(settings: Settings, creds: Credentials | None) -> Settings:
    if creds is None:
        return settings
    key_id, secret, token = creds
    return attrs.evolve(settings, access_key_id=key_id, access_key_secret=secret, security_token=token)


class FcRuntime:
    """One per FC instance and function (``component`` names it in logs and alerts)."""

    def __init__(self, component: str, env: Mapping[str, str] | None = None) -> None:
        self.component = component
        self._env = env
        self._lock = threading.RLock()
        self._container: Container | None = None
        self._settings: Settings | None = None
        self._credentials: Credentials | None = None
        self.rotations = 0

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise RuntimeError("the runtime is not built yet")
        return self._settings

    def container(self, context: Any = None) -> Container:
        """The instance's container, built at the first call; applies rotated STS credentials."""
        creds = invocation_credentials(context, self._env)
        with self._lock:
            if self._container is None:
                self._build(creds)
            elif creds is not None and creds != self._credentials:
                self._rotate(creds)
            assert self._container is not None
            return self._container

    def resolve(self, name: str) -> Any:
        """Resolve one provider of the container (under the rotation lock)."""
        with self._lock:
            if self._container is None:
                raise RuntimeError("the runtime is not built yet")
            return getattr(self._container, name)()

    def _alerts(self) -> Any:
        try:
            return self.resolve("alerts")
        except Exception:  # noqa: BLE001 - no alerts is better than a failing log call
            return None

    def _build(self, creds: Credentials | None) -> None:
        try:
            settings = with_credentials(load_settings(self._env), creds)
        except SettingsError as exc:
            # No settings, so no secrets to redact: the message names variables, never values.
            logging.basicConfig(level=logging.INFO)
            log.error("configuration refused: %s", exc)
            raise
        configure_logging(settings, self._alerts, component=self.component)
        try:
            check_settings(settings)
        except SettingsError as exc:
            log.error("configuration refused: %s", exc)
            raise
        self._container = build_container(settings)
        self._settings = settings
        self._credentials = creds
        log.info("instance ready", extra={"profile": settings.profile, "function": self.component,
                                          "sts": creds is not None})

    def _rotate(self, creds: Credentials) -> None:
        assert self._container is not None and self._settings is not None
        settings = with_credentials(self._settings, creds)
        # Override on top (never reset first: a concurrent resolution would find no settings).
        self._container.settings.override(settings)
        stale = reset_credentialed(self._container)
        self._settings = settings
        self._credentials = creds
        self.rotations += 1
        configure_logging(settings, self._alerts, component=self.component)
        log.info("credentials rotated", extra={"reset_providers": stale})
