"""Application services: what the bot does with an update, a job, a report.

Use cases are plain synchronous classes whose dependencies are ports (DESIGN §5); they are built
by the container in ``entrypoints/`` or by hand in tests.
"""
