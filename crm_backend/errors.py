"""Domain exceptions; ``api/errors.py`` maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``message`` is shown to the caller, so it never holds personal data."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class NotFound(DomainError):
    pass


class ComplaintNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("complaint not found")


class CustomerNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("customer not found")


class OrderNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("order not found")


class InvalidInput(DomainError):
    """A value that passed schema validation but breaks a business rule."""

    def __init__(self, field: str, message: str, *, location: str = "body") -> None:
        super().__init__(message)
        self.field = field
        self.location = location


class Conflict(DomainError):
    pass


class IllegalTransition(Conflict):
    pass


class StaleVersion(Conflict):
    def __init__(self) -> None:
        super().__init__("the complaint was changed by someone else; reload it and try again")


class Locked(DomainError):
    """Too many failed attempts; refused for a while."""


class Gone(DomainError):
    """It existed but has expired (a download link past its time)."""
