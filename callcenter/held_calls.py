"""The call an operator holds now: the one customer an operator's work lets them read.

Holds belong to campaigns, which stands above contacts and scripts; those apps ask here instead of
importing campaigns, and campaigns registers the answer when the apps are ready."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HeldCall:
    customer_id: int
    phone: str  # the number being dialed (E.164)


_finder: Callable[[object], HeldCall | None] | None = None


def register(finder: Callable[[object], HeldCall | None]) -> None:
    global _finder
    _finder = finder


def held_call(user) -> HeldCall | None:
    """The call `user` holds now, or None (also when no app registered holds)."""
    return _finder(user) if _finder is not None else None
