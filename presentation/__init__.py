"""What the user sees: the messages per language with typed keys, HTML rendering and keyboards.

It imports only the domain; the use cases import it. Adapters transport what it renders.
"""
