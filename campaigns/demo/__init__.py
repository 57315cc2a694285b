"""Demo data of the campaigns app for `manage.py seed_demo`, in four parts, each needing the one
before: campaigns (policies, campaigns, call lists, operators), history (six weeks of calls),
scripts (script variants and the answers given in those calls), kpis (the rollups of it all)."""

from . import campaigns, history, kpis, scripts


def seed(*, users: dict, stdout) -> None:
    for part in (campaigns, history, scripts, kpis):
        part.seed(users=users, stdout=stdout)
