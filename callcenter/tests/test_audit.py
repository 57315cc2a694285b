"""The audit trail page speaks the reader's language: every action the code records has a label."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from callcenter.audit import ACTION_LABELS, record_event
from campaigns.services.campaigns import TRANSITIONS
from campaigns.services.lists import LIST_TRANSITIONS
from contacts.tests.factories import DoNotCallFactory

ROOT = Path(__file__).resolve().parents[2]
QUOTED_CODE = re.compile(r'"([a-z]+\.[a-z_]+)"')


def recorded_actions() -> set[str]:
    """Every action code written in the application code (lines that set an audit action), plus
    the state changes recorded as "campaign.<transition>" and "list.<transition>"."""
    codes = set()
    for app in ("callcenter", "contacts", "campaigns", "scripts"):
        for path in (ROOT / app).rglob("*.py"):
            # Parts inside the project only: a clone may itself sit under a "tests" directory.
            if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if "action" in line and "ACTION_LABELS" not in line:
                    codes.update(QUOTED_CODE.findall(line))
    codes.update(f"campaign.{name}" for name in TRANSITIONS)
    codes.update(f"list.{name}" for name in LIST_TRANSITIONS)
    return codes


def test_every_recorded_action_has_a_label():
    codes = recorded_actions()
    assert {"dnc.create", "script.rebuttal_added", "list.close", "campaign.pause"} <= codes
    assert codes - set(ACTION_LABELS) == set()


@pytest.mark.django_db
def test_the_audit_page_names_actions_and_objects_in_japanese(login, supervisor):
    entry = DoNotCallFactory()
    record_event(actor=supervisor, action="dnc.create", target=entry, summary="test")
    record_event(actor=supervisor, action="something.new", summary="unknown code")
    page = login(supervisor).get(reverse("audit_list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "架電禁止の登録" in page and "dnc.create" in page
    assert "something.new" in page  # an action without a label is shown by its code
    assert f"contacts.donotcall {entry.pk}" not in page
