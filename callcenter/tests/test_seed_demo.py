import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from callcenter.demo import DEMO_USERS


def _counts():
    from django.apps import apps

    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.managed}


@pytest.mark.django_db
@pytest.mark.slow
def test_seed_demo_creates_one_user_per_role_and_twice_changes_nothing(reference_data, capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    second = _counts()
    first.pop("axes.AccessLog", None), second.pop("axes.AccessLog", None)
    assert first == second
    User = get_user_model()
    for username, password, _role, _, _ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(password)
    assert User.objects.get(username="operator1").has_perm("callcenter.use_console")
    assert User.objects.get(username="manager").has_perm("callcenter.view_dashboard")
    out = capsys.readouterr().out
    assert "supervisor-demo-2026" in out
