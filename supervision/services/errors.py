"""Domain errors: raised by the services, shown to the user as they are, never a 500.

Each carries a translated, human message. Raising one inside a service's transaction rolls
back everything that transaction did.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain gives."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class NotAllowed(DomainError):
    """The actor has no role that permits this here (or may not even see the object)."""

    code = "not_allowed"


class InvalidTransition(DomainError):
    """The object is not in a state where this action applies."""

    code = "invalid_transition"


class AlreadyClaimed(InvalidTransition):
    code = "already_claimed"


class InvalidInput(DomainError):
    """The data given is incomplete or inconsistent."""

    code = "invalid_input"


class StorageFailed(DomainError):
    """The file store refused a write (full disk, read-only or failing storage): the action is
    rolled back whole, and the administrator finds the cause in the error log."""

    code = "storage_failed"
