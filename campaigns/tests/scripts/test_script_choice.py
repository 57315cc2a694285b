"""The console picks the script variant for the customer being called."""

import pytest

from campaigns.models import CampaignScriptVariant
from campaigns.services.script_choice import choose_script, choose_script_version
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import CustomerFactory, SegmentFactory
from scripts.tests.factories import branching_script

HEAVY = {"match": "all", "rules": [{"field": "purchase_count", "op": "gte", "value": 10}]}
NEW = {"match": "all", "rules": [{"field": "purchase_count", "op": "lte", "value": 1}]}


@pytest.fixture
def setup(reference_data):
    default = branching_script(name="標準")
    heavy = branching_script(name="ヘビーユーザー向け")
    newcomer = branching_script(name="新規購入者向け")
    campaign = CampaignFactory(script=default.script)
    CampaignScriptVariant.objects.create(
        campaign=campaign, segment=SegmentFactory(name="ヘビー", criteria=HEAVY), script=heavy.script, position=1
    )
    CampaignScriptVariant.objects.create(
        campaign=campaign, segment=SegmentFactory(name="新規", criteria=NEW), script=newcomer.script, position=2
    )
    return campaign, default, heavy, newcomer


def test_each_segment_hears_its_script(setup):
    campaign, default, heavy, newcomer = setup
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=25)) == heavy
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=1)) == newcomer
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=5)) == default
    assert choose_script(campaign=campaign, customer=CustomerFactory(purchase_count=5)) == default.script


def test_variant_order_decides_when_segments_overlap(setup):
    campaign, default, heavy, newcomer = setup
    CampaignScriptVariant.objects.filter(script=newcomer.script).update(position=0)
    newcomer_segment = CampaignScriptVariant.objects.get(script=newcomer.script).segment
    newcomer_segment.criteria = {"match": "all", "rules": [{"field": "purchase_count", "op": "gte", "value": 0}]}
    newcomer_segment.save()
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=25)) == newcomer


def test_unpublished_variant_falls_back_and_latest_version_wins(setup, supervisor):
    from scripts import services

    campaign, default, heavy, newcomer = setup
    draft_only = services.create_script(name="下書きだけ", by=supervisor)
    CampaignScriptVariant.objects.filter(script=heavy.script).update(script=draft_only)
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=25)) == default
    v2, _ = services.start_draft(script=default.script, by=supervisor)
    services.publish_version(version=v2, by=supervisor)
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=5)) == v2


def test_invalid_segment_criteria_never_break_the_console(setup):
    campaign, default, heavy, newcomer = setup
    from contacts.models import Segment

    Segment.objects.filter(name="ヘビー").update(
        criteria={"match": "all", "rules": [{"field": "nonsense", "op": "eq", "value": 1}]}
    )
    assert choose_script_version(campaign=campaign, customer=CustomerFactory(purchase_count=25)) == default


def test_no_script_at_all(reference_data):
    assert choose_script_version(campaign=CampaignFactory(script=None), customer=CustomerFactory()) is None
