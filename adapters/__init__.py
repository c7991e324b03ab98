"""Adapters: one family per technology, each implementing ports.

- ``alibaba/``  DashScope (ASR, async passes, Qwen formatter), OSS, Tablestore, MNS
- ``gemini/``   the fallback formatter
- ``telegram/`` the Bot API chat and the parsing of incoming updates
- ``ffmpeg/``   audio probing, transcoding, silence detection and cutting
- ``memory/``   stateful fakes and scripted providers: the local runner and the tests

The top-level ``system`` module holds helpers every family may use; vendor formats stay inside
their family (the memory fakes take and give domain values only).
"""
