"""The wallboard's operators: who is in which state right now, and since when."""

from django.utils import timezone

from .labels import person_name
from .scope import operators_for_kpis

STATE_ORDER = ["on_call", "acw", "ready", "break", "offline"]


def operator_states(now=None) -> dict:
    """Every active console user with their current state and since when, and a count per state
    (offline: no open interval). No customer data: the wallboard hangs on a wall."""
    from campaigns.models import AgentStateLog

    now = now or timezone.now()
    labels = dict(AgentStateLog.State.choices)
    open_states = {log.operator_id: log for log in AgentStateLog.objects.filter(ended_at__isnull=True)}
    people = []
    for user in operators_for_kpis():
        log = open_states.get(user.id)
        state = log.state if log else AgentStateLog.State.OFFLINE
        people.append(
            {
                "name": person_name(user),
                "state": state,
                "label": labels[state],
                "since": log.started_at if log else None,
                "minutes": int((now - log.started_at).total_seconds() // 60) if log else None,
            }
        )
    people.sort(key=lambda p: (STATE_ORDER.index(p["state"]), -(p["minutes"] or 0), p["name"]))
    counts = [{"state": s, "label": labels[s], "count": sum(1 for p in people if p["state"] == s)} for s in STATE_ORDER]
    return {"people": people, "working": [p for p in people if p["since"] is not None], "counts": counts}
