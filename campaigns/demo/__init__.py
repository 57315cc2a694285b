"""Demo data of the campaigns app for `manage.py seed_demo`, in five parts, each needing the one
before: campaigns (policies, campaigns, call lists, operators), history (six weeks of calls),
scripts (script variants and the answers given in those calls), appointments (salespeople and the
appointments the calls set), kpis (the rollups of it all)."""

from . import appointments, campaigns, history, kpis, scripts


def seed(*, users: dict, stdout) -> None:
    for part in (campaigns, history, scripts, appointments, kpis):
        part.seed(users=users, stdout=stdout)
