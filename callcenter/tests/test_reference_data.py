"""The data migrations carry their own copies of the reference rows (role groups, default
dispositions, calling-policy presets) so that they never import live code. A database they build
holds what the code defines: each migration, run on empty tables, writes the same rows as the
function that test fixtures and demo data call."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict
from django.utils import translation

from callcenter.roles import sync_role_groups
from campaigns.dispositions import ensure_default_dispositions
from campaigns.models import CallingPolicy, Disposition
from campaigns.services.policies import ensure_preset_policies

pytestmark = pytest.mark.django_db


def _rows(model, *, leave_out=("id",)):
    rows = [model_to_dict(row, exclude=leave_out) for row in model.objects.all()]
    return sorted(rows, key=repr)


def _written_by_both(migration: str | list[tuple[str, str]], function: str, live, read, clear):
    """`migration` and `function`, or a list of (migration, function) run in order when later
    migrations add rows."""
    steps = [(migration, function)] if isinstance(migration, str) else migration
    clear()
    for module, name in steps:
        getattr(import_module(module), name)(apps, None)
    from_migration = read()
    clear()
    live()
    return from_migration, read()


def _clear_roles():
    Group.objects.all().delete()
    Permission.objects.filter(content_type__app_label="callcenter", content_type__model="access").delete()


def _roles():
    return {
        group.name: sorted((p.content_type.app_label, p.codename, p.name) for p in group.permissions.all())
        for group in Group.objects.all()
    }


def test_role_groups():
    with translation.override("en"):  # the permission names the code defines, in the source language
        from_migration, from_code = _written_by_both(
            [
                ("callcenter.migrations.0002_role_groups", "create_role_groups"),
                ("callcenter.migrations.0004_sales_role", "create_sales_role"),
            ],
            "",
            lambda: sync_role_groups(Group, Permission, ContentType),
            _roles,
            _clear_roles,
        )
    assert len(from_migration) == 5
    assert from_migration == from_code


def test_default_dispositions():
    """0003 writes the outcomes, 0006 adds the appointment, 0009 the promise to pay, 0010 gives the
    default ones their keys (the default set; the promise to pay is added to collections campaigns
    by hand)."""
    from_migration, from_code = _written_by_both(
        [
            ("campaigns.migrations.0003_reference_data", "create_dispositions"),
            ("campaigns.migrations.0006_appointments", "create_appointment_disposition"),
            ("campaigns.migrations.0009_presets_blackouts_disclosure_debts", "create_promise_to_pay"),
            ("campaigns.migrations.0010_campaign_outcome_sets", "give_campaigns_their_outcome_sets"),
        ],
        "",
        ensure_default_dispositions,
        lambda: _rows(Disposition),
        lambda: Disposition.objects.all().delete(),
    )
    assert len(from_migration) == 12
    assert sorted(row["default_key"] for row in from_migration if row["default_key"]) == sorted("1234567890A")
    assert from_migration == from_code


def test_calling_policy_presets():
    from_migration, from_code = _written_by_both(
        [
            ("campaigns.migrations.0003_reference_data", "create_policy_presets"),
            ("campaigns.migrations.0009_presets_blackouts_disclosure_debts", "update_presets"),
        ],
        "",
        ensure_preset_policies,
        lambda: _rows(CallingPolicy, leave_out=("id", "created_at", "updated_at")),
        lambda: CallingPolicy.objects.all().delete(),
    )
    assert {row["name"] for row in from_migration} == {
        "Japan standard",
        "Japan collections (督促, 貸金業法 Art. 21)",
        "US collections (Reg F 7-in-7)",
    }
    assert from_migration == from_code
