"""Telegram: the Bot API chat adapter and the parser of incoming update JSON.

- ``telegram_chat``  ``TelegramChat``, the ``Chat`` port on python-telegram-bot's async ``Bot``, run on
  one private event loop for the life of the process (PTB's client is
  bound to the loop it was started on); PTB is imported on first use.
- ``updates``        ``parse_update``: raw update JSON → ``usecases.inbound`` values, without importing
  PTB (the webhook's cold start).

Nothing is imported here, so ``import adapters.telegram.updates`` stays cheap.
"""
