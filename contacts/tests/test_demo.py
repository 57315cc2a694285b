"""Demo data: realistic, consistent with the rules, and a second run creates nothing."""

import re

import pytest

from contacts import demo
from contacts.models import Customer, DoNotCall, PhoneNumber, Segment
from contacts.segments import customers_matching

pytestmark = pytest.mark.django_db


class Out:
    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.append(text)


def test_demo_seed_is_realistic_and_idempotent(monkeypatch, supervisor):
    monkeypatch.setattr(demo, "CUSTOMERS", 400)  # the shape, not the volume, is under test
    demo.seed(users={"supervisor": supervisor}, stdout=Out())
    counts = (Customer.objects.count(), PhoneNumber.objects.count(), DoNotCall.objects.count(), Segment.objects.count())
    demo.seed(users={"supervisor": supervisor}, stdout=Out())
    assert (
        Customer.objects.count(),
        PhoneNumber.objects.count(),
        DoNotCall.objects.count(),
        Segment.objects.count(),
    ) == counts

    assert counts[0] == 400 and counts[1] >= 400 and counts[3] == len(demo.SEGMENTS)
    katakana = re.compile(r"^[\u30a0-\u30ff ]+$")
    assert all(katakana.match(kana) for kana in Customer.objects.values_list("name_kana", flat=True))
    numbers = list(PhoneNumber.objects.values_list("number", "is_valid"))
    assert all(number.startswith("+81") for number, valid in numbers if valid)
    assert any(number.startswith(("+8170", "+8180", "+8190")) for number, _v in numbers), "mobiles"
    assert any(number.startswith("+813") for number, _v in numbers), "Tokyo landlines"
    assert PhoneNumber.objects.filter(raw__regex=r"[０-９]").exists(), "some were typed in full-width digits"
    assert (
        DoNotCall.objects.filter(revoked_at__isnull=False).exists()
        and DoNotCall.objects.filter(revoked_at__isnull=True).exists()
    )
    for segment in Segment.objects.all():
        assert customers_matching(segment.criteria).exists(), segment.name
    assert Customer.objects.filter(attributes__has_key="churn_score").count() == 400
