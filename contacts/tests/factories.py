"""factory_boy factories for customers, phone numbers, DNC entries and segments. Used by every
area's tests.

    CustomerFactory()                                   # one valid primary mobile number
    CustomerFactory(phone="03-1234-5678")               # that number (any format), primary
    CustomerFactory(phone=False)                        # no number
    CustomerFactory(phones=["090-1111-2222", "03-1234-5678"])  # several; the first is primary
    DoNotCallFactory(phone_number="+819012345678")      # by number, global, active
    DoNotCallFactory(customer=c, campaign=camp)         # by customer, one campaign
    SegmentFactory(criteria={"match": "all", "rules": [...]})
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from contacts.models import Customer, DoNotCall, PhoneNumber, Segment
from contacts.phones import normalize_phone, phone_kind


def _add_phone(customer, raw, *, primary):
    number, valid = normalize_phone(raw)
    return PhoneNumber.objects.create(
        customer=customer,
        number=number or str(raw),
        raw=str(raw),
        is_primary=primary,
        is_valid=valid,
        kind=phone_kind(number) if valid else PhoneNumber.Kind.OTHER,
    )


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    external_id = factory.Sequence(lambda n: f"C{n:07d}")
    name = factory.Faker("name", locale="ja_JP")
    name_kana = factory.Faker("kana_name", locale="ja_JP")
    gender = Customer.Gender.FEMALE
    birth_date = factory.LazyFunction(lambda: datetime.date(1980, 5, 17))
    prefecture = "東京都"
    time_zone = "Asia/Tokyo"
    registered_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=400))
    purchase_count = 0
    total_spent = Decimal(0)

    @factory.post_generation
    def phones(obj, create, extracted, **kwargs):
        """Several numbers in any format; the first is primary. Declared before `phone` (hooks run
        in declaration order) so that it replaces the default number."""
        if not create or not extracted:
            return
        obj._phones_given = True
        for index, raw in enumerate(extracted):
            _add_phone(obj, raw, primary=index == 0)

    @factory.post_generation
    def phone(obj, create, extracted, **kwargs):
        """One primary number: the given one (any format), none with phone=False, else a unique
        mobile number derived from the id."""
        if not create or extracted is False or getattr(obj, "_phones_given", False):
            return
        _add_phone(obj, extracted or f"090{10_000_000 + obj.pk % 89_999_999:08d}", primary=True)


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneNumber

    customer = factory.SubFactory(CustomerFactory, phone=False)
    number = factory.Sequence(lambda n: f"+8180{10_000_000 + n:08d}")
    raw = factory.SelfAttribute("number")
    kind = PhoneNumber.Kind.MOBILE
    is_primary = True
    is_valid = True


class DoNotCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoNotCall

    phone_number = factory.Sequence(lambda n: f"+8170{10_000_000 + n:08d}")
    customer = None
    campaign = None
    reason = DoNotCall.Reason.CUSTOMER_REQUEST
    source = DoNotCall.Source.SUPERVISOR
    note = ""


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"セグメント {n}")
    criteria = factory.LazyFunction(
        lambda: {"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]}
    )
