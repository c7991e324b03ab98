"""In-memory adapters: stateful fakes (stores, queue, chat) and scripted providers.

They serve the local runner, the use-case tests and the contract suites alike, and need no
network or SDK. Each class documents what it records and how to script it.
"""
