import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from callcenter.i18n import untranslated


def test_every_marked_string_has_a_japanese_translation():
    missing = untranslated(settings.BASE_DIR)
    listing = "\n".join(f"{where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]))
    assert not missing, f"{len(missing)} strings without Japanese (add them to a locale/ja .po fragment):\n{listing}"


def test_compiled_catalog_is_used_at_run_time():
    with translation.override("ja"):
        assert translation.gettext("Do-not-call") == "架電禁止"
    with translation.override("en"):
        assert translation.gettext("Do-not-call") == "Do-not-call"


@pytest.mark.django_db
def test_language_switch_changes_the_page(login, supervisor):
    client = login(supervisor)
    page = client.get(reverse("audit_list"))
    assert "監査ログ" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("audit_list")})
    page = client.get(reverse("audit_list"))
    assert "Audit trail" in page.content.decode()
    assert "監査ログ" not in page.content.decode()
