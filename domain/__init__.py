"""Pure rules of the bot: values and functions with no I/O, no SDKs and no clock.

Everything here is deterministic and typed; the outer layers feed it data and act on its answers.
"""
