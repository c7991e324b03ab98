"""Rule violations raised by pure domain code."""


class DomainError(Exception):
    """Base for every error the domain raises."""


class InvalidSpan(DomainError, ValueError):
    """A time span that ends before it starts or lies before zero."""


class InvalidAmount(DomainError, ValueError):
    """A negative or otherwise impossible number of minutes or seconds."""


class InvalidTransition(DomainError):
    """A job asked to move to a state its current state does not allow."""
