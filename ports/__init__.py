"""Interfaces the use cases need from the outside world, in domain words (typing.Protocol).

Each adapter family in ``adapters/`` implements them; vendor errors are translated at that edge
into ``ports.errors.TransientFailure`` or ``PermanentFailure``.
"""
