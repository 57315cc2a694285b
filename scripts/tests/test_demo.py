"""Demo scripts: published, valid, idempotent."""

from scripts import demo, services
from scripts.models import Rebuttal, Script, ScriptVersion, Step


def test_demo_scripts_are_published_valid_and_seeded_once(reference_data, supervisor):
    demo.seed(users={"supervisor": supervisor})
    counts = (Script.objects.count(), ScriptVersion.objects.count(), Step.objects.count(), Rebuttal.objects.count())
    demo.seed(users={"supervisor": supervisor})
    assert (
        Script.objects.count(),
        ScriptVersion.objects.count(),
        Step.objects.count(),
        Rebuttal.objects.count(),
    ) == counts
    assert set(Script.objects.values_list("name", flat=True)) == set(demo.DEMO_SCRIPT_NAMES)
    for script in Script.objects.all():
        version = script.latest_published()
        assert version is not None and services.publish_problems(version) == []
        assert script.rebuttals.count() >= 4
    sales = [demo.DORMANT, demo.HEAVY]
    assert all(Script.objects.get(name=name).latest_published().start_step.is_disclosure for name in sales)
    survey = Script.objects.get(name=demo.SURVEY).latest_published()
    assert survey.steps.filter(kind="question").count() == 4
    assert Step.objects.filter(kind="branch", version__script__name__in=sales).count() == 2
