"""Gemini: the fallback formatter (``gemini_formatter.GeminiFormatter``), plain REST over httpx.

Nothing is imported here; httpx loads on the first request.
"""
