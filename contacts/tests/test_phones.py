"""Phone normalization: every way a Japanese number is written gives the same E.164 form."""

import pytest
from django.test import override_settings

from contacts.phones import format_national, looks_like_phone, normalize_phone, phone_kind

MOBILE = "+819012345678"


@pytest.mark.parametrize(
    "raw",
    [
        "09012345678",
        "090-1234-5678",
        "090 1234 5678",
        "(090)1234-5678",
        "（０９０）１２３４－５６７８",
        "０９０－１２３４－５６７８",
        "０９０１２３４５６７８",
        "090ー1234ー5678",  # katakana prolonged sound mark typed in kana mode
        "090‐1234‐5678",  # U+2010 hyphen
        "090―1234―5678",  # U+2015 horizontal bar
        "090－1234－5678",  # full-width hyphen-minus
        "090−1234−5678",  # U+2212 minus sign
        "+81 90 1234 5678",
        "+81-90-1234-5678",
        "+81 (0)90-1234-5678",
        "＋８１　９０　１２３４　５６７８",
        " 090-1234-5678 ",
    ],
)
def test_mobile_number_in_any_format_normalizes_to_e164(raw):
    assert normalize_phone(raw) == (MOBILE, True)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("03-1234-5678", "+81312345678"),
        ("(03) 1234-5678", "+81312345678"),
        ("06-6123-4567", "+81661234567"),
        ("045-123-4567", "+81451234567"),
        ("0120-123-456", "+81120123456"),
        ("070-2345-6789", "+817023456789"),
        ("080-2345-6789", "+818023456789"),
    ],
)
def test_landlines_toll_free_and_other_mobile_prefixes(raw, expected):
    assert normalize_phone(raw) == (expected, True)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("090-123-45", "09012345"),  # too short: kept as digits, invalid
        ("12345", "12345"),
        ("０９０－１２３", "090123"),
        ("+81 12", "+8112"),
    ],
)
def test_invalid_numbers_are_kept_in_a_stable_form_and_marked_invalid(raw, expected):
    assert normalize_phone(raw) == (expected, False)


@pytest.mark.parametrize("raw", ["", "   ", "abc", "ー－", None])
def test_input_without_digits_gives_empty_invalid(raw):
    assert normalize_phone(raw) == ("", False)


def test_foreign_numbers_with_plus_keep_their_country():
    assert normalize_phone("+1 212-555-0100") == ("+12125550100", True)


def test_region_argument_and_setting_change_how_national_numbers_are_read():
    assert normalize_phone("(212) 555-0100", "US") == ("+12125550100", True)
    with override_settings(PHONE_DEFAULT_REGION="US"):
        assert normalize_phone("(212) 555-0100") == ("+12125550100", True)
    assert normalize_phone("(212) 555-0100")[1] is False  # back to JP


def test_fast_national_path_agrees_with_phonenumbers_for_many_numbers():
    """The fast path for national JP numbers must give exactly phonenumbers' verdict."""
    import random

    import phonenumbers

    from contacts.phones import _normalize

    rng = random.Random(3)
    for _ in range(3000):
        raw = "0" + "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 10])))
        try:
            parsed = phonenumbers.parse(raw, "JP")
        except phonenumbers.NumberParseException:
            parsed = None
        valid = parsed is not None and phonenumbers.is_valid_number(parsed)
        number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if valid else raw
        expected = (number, valid, phone_kind(number) if valid else "other")
        assert _normalize.__wrapped__(raw, "JP") == expected, raw


def test_normalize_phone_kind_is_normalize_phone_plus_the_kind_in_every_writing():
    """One function answers for imports (with the kind) and for everything else: a number
    written with dashes, brackets, tabs, full-width digits or +81 gives the plain digits' answer."""
    import random

    from contacts.phones import _normalize, normalize_phone_kind

    rng = random.Random(5)
    for _ in range(1000):
        prefix = rng.choice(["90", "80", "70", "50", "3", "6", "45", "120", "11"])
        digits = "0" + prefix + "".join(rng.choice("0123456789") for _ in range(10 - len(prefix)))
        plain = _normalize.__wrapped__(digits, "JP")
        for written in (
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
            f"({digits[:3]}) {digits[3:7]} {digits[7:]}",
            f"{digits[:3]}\t{digits[3:]}",
            digits.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f" {digits[:3]}ー{digits[3:]} ",
        ):
            assert normalize_phone_kind(written, "JP") == plain, written
            assert normalize_phone(written, "JP") == plain[:2], written
        if plain[1]:
            assert normalize_phone_kind(f"+81 {digits[1:]}", "JP") == plain
            assert plain[2] == phone_kind(plain[0])
        else:
            assert plain[2] == "other"


def test_looks_like_phone_tells_numbers_from_names():
    assert looks_like_phone("090-1234-5678")
    assert looks_like_phone("０９０１２３４５６７８")
    assert looks_like_phone("+81 90 1234 5678")
    assert not looks_like_phone("山田")
    assert not looks_like_phone("C0001")
    assert not looks_like_phone("1234")  # too short to be a number (an id or a fragment)


def test_kind_and_display_helpers():
    assert phone_kind("+819012345678") == "mobile"
    assert phone_kind("+81312345678") == "home"
    assert phone_kind("12345") == "other"
    assert format_national("+819012345678") == "090-1234-5678"
    assert format_national("+81312345678") == "03-1234-5678"
    assert format_national("+12125550100") == "+1 212-555-0100"
    assert format_national("12345") == "12345"
