"""Application services: what the bot does with an update, a job, a report.

Use cases are plain synchronous classes whose dependencies are ports (``ports/``), so
they run against cloud adapters and in-memory fakes alike; they are built
by the container in ``entrypoints/`` or by hand in tests.
"""
