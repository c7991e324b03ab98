"""Adapters: one family per technology, each implementing ports.

- ``alibaba/``  DashScope (ASR, async passes, Qwen formatter), OSS, Tablestore, MNS
- ``gemini/``   the fallback formatter
- ``telegram/`` the Bot API chat and the parsing of incoming updates
- ``ffmpeg/``   audio probing, transcoding, silence detection and cutting
- ``memory/``   stateful fakes and scripted providers: the local runner and the tests

Top-level modules here (``dashscope_results``, ``system``) hold pure helpers every family may use.
"""
