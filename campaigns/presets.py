"""The shipped calling-policy presets: the one place their values live, with the law each value
comes from. Plain data (no models): the policy page shows them side by side, the "start from a
preset" form copies them, and ensure_preset_policies (demo data, tests) creates them. A new database
gets them from campaigns migrations 0003_reference_data and 0009_presets_blackouts_disclosure_debts,
which carry copies (a later change to a preset bumps its version and comes with a migration).

A policy created from a preset records the preset's key and version (CallingPolicy.preset_key,
preset_version), so an auditor sees which rule set it started from even after edits."""

import datetime

from django.utils.translation import gettext_lazy as _

# Every field a preset sets, in the order the comparison table shows them.
POLICY_FIELDS = [
    "call_window_start",
    "call_window_end",
    "weekdays",
    "skip_holidays",
    "holiday_country",
    "blackout_dates",
    "max_attempts",
    "max_attempts_per_day",
    "min_gap_minutes",
    "retry_delays",
    "cap_attempts",
    "cap_days",
    "cooloff_days_after_contact",
    "no_resolicit_after_refusal",
    "refusal_scope",
    "disclosure_required",
    "no_workplace_calls_rule",
]

# The year-end closing most Japanese companies keep (年末年始), written as a yearly range.
YEAR_END = {"from": "12-29", "to": "01-03", "label": "年末年始"}

PRESETS = {
    "japan_standard": {
        "version": 2,
        "name": "Japan standard",
        "label": _("Japan sales standard (特定商取引法)"),
        "description": (
            "特定商取引法に沿った標準設定: 9:00-20:00、月〜土、祝日・年末年始休み。1件あたり最大6回・1日2回・"
            "間隔120分。全キャンペーン合計で7日に3回まで、会話後7日は架電しない。断られた顧客には"
            "同じキャンペーンで再勧誘しない。通話の冒頭で事業者名・担当者名・商品・勧誘目的を告げる。"
        ),
        "values": {
            "call_window_start": datetime.time(9, 0),
            "call_window_end": datetime.time(20, 0),
            "weekdays": [0, 1, 2, 3, 4, 5],
            "skip_holidays": True,
            "holiday_country": "JP",
            "blackout_dates": [YEAR_END],
            "max_attempts": 6,
            "max_attempts_per_day": 2,
            "min_gap_minutes": 120,
            "retry_delays": {},
            "cap_attempts": 3,
            "cap_days": 7,
            "cooloff_days_after_contact": 7,
            "no_resolicit_after_refusal": True,
            "refusal_scope": "product",
            "disclosure_required": True,
            "no_workplace_calls_rule": False,
        },
        "sources": {
            "call_window_start": _("Industry guideline (日本コールセンター協会) for consumer calls"),
            "call_window_end": _("Industry guideline (日本コールセンター協会) for consumer calls"),
            "weekdays": _("Industry practice: no sales calls on Sundays"),
            "skip_holidays": _("Industry practice: no sales calls on public holidays"),
            "blackout_dates": _("Industry practice: year-end closing (年末年始)"),
            "cap_attempts": _("特定商取引法 Art. 17 spirit: no pressing repeat solicitation"),
            "cooloff_days_after_contact": _("特定商取引法 Art. 17 spirit: no pressing repeat solicitation"),
            "no_resolicit_after_refusal": _("特定商取引法 Art. 17 (再勧誘の禁止)"),
            "refusal_scope": _("特定商取引法 Art. 17: the ban covers the same product, whichever campaign sells it"),
            "disclosure_required": _("特定商取引法 Art. 16 (氏名等の明示)"),
        },
    },
    "japan_collections": {
        "version": 1,
        "name": "Japan collections (督促, 貸金業法 Art. 21)",
        "label": _("Japan collections (督促, 貸金業法 Art. 21)"),
        "description": (
            "貸金業法第21条に沿った督促の設定: 顧客の現地時間で8:00-21:00、月〜土、祝日休み。1件あたり最大6回・"
            "1日3回・間隔120分。キャンペーン横断の上限なし、会話後の冷却期間なし。顧客が勤務先への電話を"
            "断った場合、勤務先の番号には架電しない。支払約束の日の翌日までは再架電しない。"
        ),
        "values": {
            "call_window_start": datetime.time(8, 0),
            "call_window_end": datetime.time(21, 0),
            "weekdays": [0, 1, 2, 3, 4, 5],
            "skip_holidays": True,
            "holiday_country": "JP",
            "blackout_dates": [],
            "max_attempts": 6,
            "max_attempts_per_day": 3,
            "min_gap_minutes": 120,
            "retry_delays": {},
            "cap_attempts": None,
            "cap_days": None,
            "cooloff_days_after_contact": None,
            "no_resolicit_after_refusal": False,
            "refusal_scope": "product",
            "disclosure_required": False,
            "no_workplace_calls_rule": True,
        },
        "sources": {
            "call_window_start": _("貸金業法 Art. 21 (1)(i), 施行規則 Art. 19: no calls 21:00-08:00"),
            "call_window_end": _("貸金業法 Art. 21 (1)(i), 施行規則 Art. 19: no calls 21:00-08:00"),
            "weekdays": _("金融庁 事務ガイドライン (harassing collection): Sundays off"),
            "skip_holidays": _("金融庁 事務ガイドライン (harassing collection): holidays off"),
            "max_attempts_per_day": _("金融庁 事務ガイドライン: repeated calls in one day count as harassment"),
            "min_gap_minutes": _("金融庁 事務ガイドライン: repeated calls in one day count as harassment"),
            "no_workplace_calls_rule": _("貸金業法 Art. 21 (1)(iii): no calls to the workplace without good reason"),
        },
    },
    "us_collections_reg_f": {
        "version": 1,
        "name": "US collections (Reg F 7-in-7)",
        "label": _("US collections (Reg F 7-in-7)"),
        "description": (
            "Regulation F 1006.14 and TCPA: 08:00-21:00 customer local time, every day. At most 7 "
            "attempts per entry, 2 per day, 60 minutes apart; at most 7 calls in 7 days per debt "
            "and none within 7 days after a conversation (the conversation day counts as day 1)."
        ),
        "values": {
            "call_window_start": datetime.time(8, 0),
            "call_window_end": datetime.time(21, 0),
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "skip_holidays": False,
            "holiday_country": "US",
            "blackout_dates": [],
            "max_attempts": 7,
            "max_attempts_per_day": 2,
            "min_gap_minutes": 60,
            "retry_delays": {},
            "cap_attempts": 7,
            "cap_days": 7,
            "cooloff_days_after_contact": 7,
            "no_resolicit_after_refusal": False,
            "refusal_scope": "product",
            "disclosure_required": False,
            "no_workplace_calls_rule": False,
        },
        "sources": {
            "call_window_start": _("FDCPA 805(a)(1): 08:00-21:00 at the consumer's location"),
            "call_window_end": _("FDCPA 805(a)(1): 08:00-21:00 at the consumer's location"),
            "cap_attempts": _("Regulation F 1006.14(b)(2)(i): at most 7 calls in 7 days"),
            "cap_days": _("Regulation F 1006.14(b)(2)(i): at most 7 calls in 7 days"),
            "cooloff_days_after_contact": _("Regulation F 1006.14(b)(2)(ii): none within 7 days after a conversation"),
        },
    },
}


def preset_values(key: str) -> dict:
    """Field values of a preset, with its name, description and origin (for a new policy)."""
    preset = PRESETS[key]
    return {
        "name": preset["name"],
        "description": preset["description"],
        "preset_key": key,
        "preset_version": preset["version"],
        **{field: _copy(preset["values"][field]) for field in POLICY_FIELDS},
    }


def _copy(value):
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):
        return dict(value)
    return value
