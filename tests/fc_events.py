"""What Function Compute 3.0 hands a ``python3.12`` handler: the context object and the STS variables.

The context has exactly the documented python3.12 fields (docs/provider-contracts.md, "FC
python3.12 context"): no ``credentials`` and no ``service``; reading either raises
``AttributeError`` as on the real runtime. The function role's STS credentials arrive as the
``ALIBABA_CLOUD_*`` environment variables instead (``sts_environment``).
"""

from __future__ import annotations

import logging

import attrs

STS_KEY_ID = "STS.NUabcdef123456"
STS_SECRET = "sts-secret-AAAAbbbbCCCC1234"
STS_TOKEN = "CAISsts-token-zzzz9999"


@attrs.frozen
class FunctionMeta:
    name: str = "transcribe-webhook"
    handler: str = "entrypoints/fc_webhook/handler.handler"
    memory: int = 512
    timeout: int = 60


@attrs.frozen(slots=True)
class Python312Context:
    """The python3.12 runtime's context: slots only, so ``context.credentials`` is an AttributeError."""

    request_id: str = "1-64f6cd87-15b7d8ae-2a9bcd1e5f0a"
    function: FunctionMeta = FunctionMeta()
    region: str = "ap-southeast-1"
    account_id: str = "123456789012"
    logger: logging.Logger = logging.getLogger("fc.context")
    log_project: str = "aliyun-fc-ap-southeast-1-voice-bot"
    log_store: str = "function-log"


def sts_environment(key_id: str = STS_KEY_ID, secret: str = STS_SECRET, token: str = STS_TOKEN) -> dict[str, str]:
    """The variables FC sets for the function role (rotated by FC during an instance's life)."""
    return {"ALIBABA_CLOUD_ACCESS_KEY_ID": key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": token}
