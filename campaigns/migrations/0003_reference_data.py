"""The default dispositions and the two shipped calling-policy presets.

Self-contained: the rows are copied here as they were when the first database was created (the live
definitions are campaigns.dispositions.DEFAULTS and campaigns.services.policies.PRESETS, which
demo data and tests use; a later change to them comes with a migration of its own). Existing rows
are left as they are: supervisors may have edited them."""

import datetime

from django.db import migrations

# code, English, Japanese, contact, success, final, refusal, adds_dnc, callback, retry minutes
DISPOSITIONS = [
    ("no_answer", "No answer", "不在・応答なし", False, False, False, False, False, False, 240),
    ("busy", "Busy", "話し中", False, False, False, False, False, False, 30),
    ("voicemail", "Voicemail", "留守番電話", False, False, False, False, False, False, 240),
    ("invalid_number", "Invalid number", "番号不正・不通", False, False, True, False, False, False, None),
    ("wrong_person", "Wrong person", "本人以外・番号違い", True, False, True, False, False, False, None),
    ("callback", "Callback requested", "再架電希望", True, False, False, False, False, True, None),
    ("refused", "Refused", "断り", True, False, True, True, False, False, None),
    ("success", "Success", "成約・承諾", True, True, True, False, False, False, None),
    ("dnc_request", "Do-not-call request", "架電拒否", True, False, True, True, True, False, None),
    ("hung_up", "Hung up", "途中切断", True, False, False, False, False, False, 1440),
]

POLICY_PRESETS = [
    {
        "name": "Japan standard",
        "description": (
            "特定商取引法に沿った標準設定: 9:00-20:00、月〜土、祝日休み。1件あたり最大6回・1日2回・"
            "間隔120分。全キャンペーン合計で7日に3回まで、会話後7日は架電しない。断られた顧客には"
            "同じキャンペーンで再勧誘しない。"
        ),
        "call_window_start": datetime.time(9, 0),
        "call_window_end": datetime.time(20, 0),
        "weekdays": [0, 1, 2, 3, 4, 5],
        "skip_holidays": True,
        "holiday_country": "JP",
        "max_attempts": 6,
        "max_attempts_per_day": 2,
        "min_gap_minutes": 120,
        "retry_delays": {},
        "cap_attempts": 3,
        "cap_days": 7,
        "cooloff_days_after_contact": 7,
        "no_resolicit_after_refusal": True,
    },
    {
        "name": "US collections (Reg F 7-in-7)",
        "description": (
            "Regulation F 1006.14 and TCPA: 08:00-21:00 customer local time, every day. At most 7 "
            "attempts per entry, 2 per day, 60 minutes apart; at most 7 calls in 7 days per debt "
            "and none within 7 days after a conversation (the conversation day counts as day 1)."
        ),
        "call_window_start": datetime.time(8, 0),
        "call_window_end": datetime.time(21, 0),
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "skip_holidays": False,
        "holiday_country": "US",
        "max_attempts": 7,
        "max_attempts_per_day": 2,
        "min_gap_minutes": 60,
        "retry_delays": {},
        "cap_attempts": 7,
        "cap_days": 7,
        "cooloff_days_after_contact": 7,
        "no_resolicit_after_refusal": False,
    },
]


def create_dispositions(apps, schema_editor):
    Disposition = apps.get_model("campaigns", "Disposition")
    for position, row in enumerate(DISPOSITIONS):
        code, label, label_ja, contact, success, final, refusal, dnc, callback, delay = row
        Disposition.objects.get_or_create(
            code=code,
            defaults=dict(
                label=label,
                label_ja=label_ja,
                is_contact=contact,
                is_success=success,
                is_final=final,
                is_refusal=refusal,
                adds_dnc=dnc,
                is_callback=callback,
                retry_delay_minutes=delay,
                position=position * 10,
            ),
        )


def create_policy_presets(apps, schema_editor):
    CallingPolicy = apps.get_model("campaigns", "CallingPolicy")
    for preset in POLICY_PRESETS:
        values = dict(preset)
        CallingPolicy.objects.get_or_create(name=values.pop("name"), defaults=values)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_initial")]

    operations = [
        migrations.RunPython(create_dispositions, migrations.RunPython.noop),
        migrations.RunPython(create_policy_presets, migrations.RunPython.noop),
    ]
