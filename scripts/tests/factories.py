"""Factories for talk scripts, and `branching_script()`: one script that exercises every step kind.

version = branching_script(publish=True)      # disclosure → question → branch → ends
ScriptFactory(), ScriptVersionFactory(script=s), StepFactory(version=v, kind="say")
"""

import factory

from scripts import services
from scripts.models import Choice, Rebuttal, Script, ScriptVersion, Step


class ScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Script

    name = factory.Sequence(lambda n: f"トークスクリプト {n}")
    description = "テスト用"


class ScriptVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScriptVersion

    script = factory.SubFactory(ScriptFactory)
    number = factory.Sequence(lambda n: n + 1)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    version = factory.SubFactory(ScriptVersionFactory)
    key = factory.Sequence(lambda n: f"step{n}")
    position = factory.Sequence(lambda n: n)
    kind = Step.Kind.SAY
    title = factory.Sequence(lambda n: f"ステップ {n}")
    text = "こんにちは"


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    step = factory.SubFactory(StepFactory, kind=Step.Kind.QUESTION, answer_type=Step.AnswerType.SINGLE)
    value = factory.Sequence(lambda n: f"c{n}")
    label = factory.Sequence(lambda n: f"選択肢 {n}")


class RebuttalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rebuttal

    script = factory.SubFactory(ScriptFactory)
    objection = "高い"
    answer = "1日あたり約50円です。"
    tags = "価格"


def _step(key, kind, title, text="", **extra):
    step = {
        "key": key,
        "kind": kind,
        "title": title,
        "text": text,
        "is_disclosure": False,
        "answer_type": "",
        "required": False,
        "next": None,
        "branch_rules": [],
        "suggested_disposition": "",
        "choices": [],
    }
    step.update(extra)
    return step


def branching_export(name="分岐テスト") -> dict:
    """opening (disclosure) → interest (single, required: yes → budget, no → end_refused)
    → budget (number, required) → split (branch: budget ≥ 10000 or purchase_count ≥ 5 → premium,
    otherwise basic) → premium → end_success; basic → visit (date) → end_success."""
    return {
        "format": "callcenter-script",
        "format_version": 1,
        "script": {"name": name, "description": ""},
        "version": {"number": 1, "status": "draft", "notes": "", "start": "opening"},
        "steps": [
            _step(
                "opening",
                "say",
                "開示",
                "株式会社テストの{{ operator.last_name }}です。{{ customer.name }}様、販売のお電話です。",
                is_disclosure=True,
                next="interest",
            ),
            _step(
                "interest",
                "question",
                "ご興味",
                "ご興味はありますか。",
                answer_type="single",
                required=True,
                choices=[
                    {"value": "yes", "label": "はい", "next": "budget"},
                    {"value": "no", "label": "いいえ", "next": "end_refused"},
                ],
            ),
            _step(
                "budget",
                "question",
                "ご予算",
                "ご予算はいくらですか。",
                answer_type="number",
                required=True,
                next="split",
            ),
            _step(
                "split",
                "branch",
                "予算で分岐",
                branch_rules=[
                    {"source": "answer:budget", "op": "gte", "value": "10000", "next": "premium"},
                    {"source": "customer:purchase_count", "op": "gte", "value": "5", "next": "premium"},
                ],
                next="basic",
            ),
            _step("premium", "say", "上位プラン", "プレミアムプランをご案内します。", next="end_success"),
            _step("basic", "say", "基本プラン", "ベーシックプランをご案内します。", next="visit"),
            _step(
                "visit",
                "question",
                "訪問希望日",
                "ご訪問のご希望日はいつですか。",
                answer_type="date",
                next="end_success",
            ),
            _step("end_success", "end", "成約", "ありがとうございました。", suggested_disposition="success"),
            _step("end_refused", "end", "お断り", "失礼いたしました。", suggested_disposition="refused"),
        ],
        "rebuttals": [
            {"objection": "高い", "answer": "{{ customer.name }}様、1日あたり約50円です。", "tags": "価格"},
            {"objection": "忙しい", "answer": "1分で終わります。", "tags": "時間"},
        ],
    }


def branching_script(*, by=None, publish=True, name="分岐テスト") -> ScriptVersion:
    from campaigns.dispositions import ensure_default_dispositions

    ensure_default_dispositions()  # its end steps suggest default outcomes (a flushed test may lack them)
    version = services.import_script(data=branching_export(name), by=by)
    if publish:
        version = services.publish_version(version=version, by=by)
    return version
