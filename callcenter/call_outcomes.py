"""Call outcomes (dispositions) and customer reactions, by code and label.

They belong to campaigns, which stands above contacts and scripts: scripts (the outcome an end step
suggests) and contacts (the segment builder's suggestions) ask here instead of importing campaigns,
and campaigns registers the answers when the apps are ready, as for callcenter.held_calls."""

from collections.abc import Callable

_dispositions: Callable[..., dict[str, str]] | None = None
_reactions: Callable[[], dict[str, str]] | None = None


def register(*, dispositions: Callable[..., dict[str, str]], reactions: Callable[[], dict[str, str]]) -> None:
    global _dispositions, _reactions
    _dispositions, _reactions = dispositions, reactions


def dispositions(*, active_only: bool = True) -> dict[str, str]:
    """code -> label (current language) of the outcomes in use, in the operators' order; with
    active_only=False also the retired ones, which past calls still carry. Empty when no app
    registered outcomes."""
    return _dispositions(active_only=active_only) if _dispositions is not None else {}


def reactions() -> dict[str, str]:
    """code -> label of the reactions an operator can note for a call."""
    return _reactions() if _reactions is not None else {}
