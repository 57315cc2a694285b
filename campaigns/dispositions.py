"""The default disposition set (docs/api.md#policies-dispositions-campaigns-lists). A new database
gets it from campaigns migration 0003_reference_data, which has a copy; demo data and test fixtures
(after a flush) call ensure_default_dispositions."""

# code, English, Japanese, contact, success, final, refusal, adds_dnc, callback, retry minutes
DEFAULTS = [
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
    # Last, so the number keys of the outcomes above stay as they were; the console's A key picks it.
    ("appointment", "Appointment set", "アポイント獲得", True, True, True, False, False, False, None),
]
# The key of each default outcome in a new campaign's set (the keys the console has always used
# for them, so operators' habits carry over). The console's D picks the do-not-call outcome too.
DEFAULT_KEYS = {
    "no_answer": "1",
    "busy": "2",
    "voicemail": "3",
    "invalid_number": "4",
    "wrong_person": "5",
    "callback": "6",
    "refused": "7",
    "success": "8",
    "dnc_request": "9",
    "hung_up": "0",
    "appointment": "A",
}
# What a campaign of a purpose starts with on top of the default set, on these keys.
PURPOSE_KEYS = {"collections": {"promise_to_pay": "P"}}

# Added later, with a flag of its own (campaigns migration 0006 has a copy).
PROMISE_TO_PAY = {
    "code": "promise_to_pay",
    "label": "Promise to pay",
    "label_ja": "支払約束",
    "is_contact": True,
    "is_success": True,
    "is_promise_to_pay": True,
    "position": 100,
}


def ensure_default_dispositions() -> None:
    """Create the default dispositions that do not exist yet; supervisors' edits are kept."""
    from .models import Disposition

    for position, row in enumerate(DEFAULTS):
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
                default_key=DEFAULT_KEYS.get(code, ""),
            ),
        )
    values = dict(PROMISE_TO_PAY)
    Disposition.objects.get_or_create(code=values.pop("code"), defaults=values)


def labels(*, active_only: bool = True) -> dict[str, str]:
    """code -> label of the dispositions (only those in use unless active_only=False), for the
    apps below campaigns through callcenter.call_outcomes."""
    from .models import Disposition

    dispositions = Disposition.objects.all()
    if active_only:
        dispositions = dispositions.filter(active=True)
    return {d.code: d.display_label for d in dispositions}


def reaction_labels() -> dict[str, str]:
    from .models import CallAttempt

    return {value: str(label) for value, label in CallAttempt.Reaction.choices if value}
