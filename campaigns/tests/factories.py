"""factory_boy factories for campaign setup: policies, campaigns, call lists and entries.
Shared by the setup, dispatch and KPI tests."""

import datetime

import factory
from django.utils import timezone

from campaigns.models import CallingPolicy, CallList, CallListEntry, Campaign, Disposition, PreNotice

try:  # the contacts area owns customer factories; fall back to a minimal one until they exist
    from contacts.tests.factories import CustomerFactory
except ImportError:  # pragma: no cover - only while contacts' factories are missing
    from contacts.models import Customer, PhoneNumber

    class CustomerFactory(factory.django.DjangoModelFactory):
        class Meta:
            model = Customer
            skip_postgeneration_save = True

        external_id = factory.Sequence(lambda n: f"C{n:07d}")
        name = factory.Sequence(lambda n: f"顧客{n}")
        time_zone = "Asia/Tokyo"

        @factory.post_generation
        def phone(obj, create, extracted, **kwargs):
            if create and extracted is not False:
                number = extracted or f"+8190{obj.pk:08d}"
                PhoneNumber.objects.create(customer=obj, number=number, raw=number, is_primary=True)


class CallingPolicyFactory(factory.django.DjangoModelFactory):
    """A permissive policy by default (every day, all day, no cap, no cool-off) so a test
    switches on exactly the rule it is about."""

    class Meta:
        model = CallingPolicy
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Policy {n}")
    call_window_start = datetime.time(0, 0)
    call_window_end = datetime.time(23, 59)
    weekdays = factory.LazyFunction(lambda: [0, 1, 2, 3, 4, 5, 6])
    skip_holidays = False
    max_attempts = 6
    max_attempts_per_day = 6
    min_gap_minutes = 0
    cap_attempts = None
    cap_days = None
    cooloff_days_after_contact = None
    no_resolicit_after_refusal = True


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"キャンペーン {n}")
    purpose = Campaign.Purpose.SALES
    status = Campaign.Status.DRAFT
    policy = factory.SubFactory(CallingPolicyFactory)
    cost_per_hour = 1800
    cost_per_minute = 3

    @factory.post_generation
    def operators(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.operators.add(*extracted)

    @factory.post_generation
    def outcomes(obj, create, extracted, **kwargs):
        """The default set, as save_campaign gives a new campaign (outcomes=False: none)."""
        if create and extracted is not False:
            from campaigns.services.outcome_sets import copy_default_set

            copy_default_set(campaign=obj)


class CallListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallList

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"リスト {n}")
    status = CallList.Status.READY
    progress = 100
    built_at = factory.LazyFunction(timezone.now)
    counts = factory.LazyFunction(lambda: {"included": 0, "excluded": {}})


class CallListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallListEntry

    call_list = factory.SubFactory(CallListFactory)
    campaign = factory.LazyAttribute(lambda e: e.call_list.campaign)
    customer = factory.SubFactory(CustomerFactory)
    phone = factory.LazyAttribute(
        lambda e: (
            e.customer.phones.filter(is_valid=True)
            .order_by("-is_primary", "id")
            .values_list("number", flat=True)
            .first()
            or f"+8180{e.customer.pk:08d}"
        )
    )
    rank = factory.Sequence(lambda n: n + 1)
    status = CallListEntry.Status.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)


class DispositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disposition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"custom_{n}")
    label = factory.LazyAttribute(lambda d: d.code.replace("_", " ").title())
    label_ja = factory.LazyAttribute(lambda d: d.code)


class PreNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreNotice

    customer = factory.SubFactory(CustomerFactory)
    campaign = factory.SubFactory(CampaignFactory)
    channel = PreNotice.Channel.DM
    sent_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=14))


def published_script():
    """A talk script with a published version opening with the mandatory disclosure (what the
    readiness checklist asks for)."""
    from scripts.models import ScriptVersion
    from scripts.tests.factories import ScriptVersionFactory, StepFactory

    version = ScriptVersionFactory()
    StepFactory(version=version, is_disclosure=True, title="ご挨拶と事業者名")
    ScriptVersion.objects.filter(pk=version.pk).update(status=ScriptVersion.Status.PUBLISHED)
    return version.script


def make_ready_to_go(campaign, **list_fields):
    """What activation needs beyond a policy and operators: a published talk script and a built
    list holding someone to call. Returns the list."""
    if campaign.script_id is None or campaign.script.latest_published() is None:
        campaign.script = published_script()
        campaign.save(update_fields=["script"])
    if campaign.policy is not None and campaign.policy.disclosure_required:
        # The factory's opening says none of 特定商取引法 Art. 16's items by placeholder: a
        # supervisor confirms the wording covers them.
        from campaigns.services.disclosure import ITEMS, confirm_wording

        confirm_wording(version=campaign.script.latest_published(), items=list(ITEMS), by=None)
    call_list = CallListFactory(campaign=campaign, **list_fields)
    CallListEntryFactory(call_list=call_list)
    return call_list
