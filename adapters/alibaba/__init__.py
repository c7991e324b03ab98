"""Alibaba Cloud adapters (international region).

DashScope family (every module imports the ``dashscope`` SDK lazily, so importing one is cheap):

- ``dashscope_config``     the edge rules every DashScope adapter shares: refuses the Beijing host and
                           China-only / retired models, passes the base URL per call, and translates
                           vendor status/code into TransientFailure / PermanentFailure / ContentRejected
- ``dashscope_recognizer`` ``qwen3-asr-flash`` (synchronous, base64 data URI): SpeechRecognizer
- ``dashscope_realtime``   ``qwen3-asr-flash-realtime`` over WebSocket (raw PCM): SpeechRecognizer
- ``dashscope_passes``     ``fun-asr`` speaker pass and ``qwen3-asr-flash-filetrans`` timed text pass
- ``qwen_formatter``       ``qwen-flash`` text formatting: TextFormatter

Nothing here retries: the use cases own the one retry policy. The only loop is the task polling
the async passes need by protocol.
"""
