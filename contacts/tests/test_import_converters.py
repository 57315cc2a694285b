"""Cell conversion of imports, and the fast phone path agreeing with contacts.phones."""

import random

import pytest
from django.utils import translation

from contacts.imports import converters as c
from contacts.phones import normalize_phone, normalize_phone_kind, phone_kind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "text, value",
    [
        ("1980-04-01", "1980-04-01"),
        ("1980/4/1", "1980-04-01"),
        ("1980/04/01", "1980-04-01"),
        ("19800401", "1980-04-01"),
        ("1980年4月1日", "1980-04-01"),
        ("１９８０年４月１日", "1980-04-01"),
        ("昭和55年5月6日", "1980-05-06"),
        ("S55.5.6", "1980-05-06"),
        ("平成元年1月8日", "1989-01-08"),
        ("令和6年2月29日", "2024-02-29"),
        ("H2/3/4", "1990-03-04"),
    ],
)
def test_dates_in_every_common_spelling(text, value):
    assert c.to_date(text) == value


@pytest.mark.parametrize("text", ["1990-02-30", "2023/2/29", "13/01/2020", "abc", "1980-04-01 10:00", "0001-01-01"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(c.Invalid, match="Not a date"):
        c.to_date(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("2024-01-02", "2024-01-02 00:00:00"),
        ("2024-01-02 10:20:30", "2024-01-02 10:20:30"),
        ("2024/1/2 9:05", "2024-01-02 09:05:00"),
        ("2024/01/02 09:05", "2024-01-02 09:05:00"),
        ("2024-01-02T10:20:30", "2024-01-02 10:20:30"),
        ("2024年1月2日 10時5分", "2024-01-02 10:05:00"),
        ("2024-01-02T01:00:00+00:00", "2024-01-02 10:00:00"),  # an explicit offset: the moment in Tokyo
    ],
)
def test_date_times(text, value, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    assert c.to_datetime(text) == value


@pytest.mark.parametrize("text", ["2024-01-02 25:00", "yesterday", "2024-13-01"])
def test_impossible_date_times_are_refused(text):
    with pytest.raises(c.Invalid):
        c.to_datetime(text)


@pytest.mark.parametrize("text, value", [("3", "3"), ("1,234", "1234"), ("１２", "12"), ("5回", "5"), ("007", "7")])
def test_integers(text, value):
    assert c.to_integer(text) == value


@pytest.mark.parametrize("text", ["-1", "1.5", "abc", "9999999999"])
def test_bad_integers(text):
    with pytest.raises(c.Invalid):
        c.to_integer(text)


@pytest.mark.parametrize(
    "text, value",
    [("12800", "12800"), ("12,800", "12800"), ("¥12,800", "12800"), ("１２８００円", "12800"), ("99.6", "100")],
)
def test_money(text, value):
    assert c.to_money(text) == value


@pytest.mark.parametrize("text", ["-5", "abc", "NaN", "Infinity"])
def test_bad_money(text):
    with pytest.raises(c.Invalid):
        c.to_money(text)


@pytest.mark.parametrize("text, value", [("35%", 0.35), ("0.35", 0.35), ("35", 0.35), ("100%", 1.0), ("0", 0.0)])
def test_rates(text, value):
    assert float(c.to_rate(text)) == pytest.approx(value)


@pytest.mark.parametrize("text", ["150%", "-1", "abc"])
def test_bad_rates(text):
    with pytest.raises(c.Invalid):
        c.to_rate(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("男性", "male"),
        ("男", "male"),
        ("M", "male"),
        ("1", "male"),
        ("女", "female"),
        ("Ｆ", "female"),
        ("不明", ""),
        ("その他", "other"),
    ],
)
def test_genders(text, value):
    assert c.to_gender(text) == value


def test_unknown_gender_is_refused():
    with pytest.raises(c.Invalid, match="gender"):
        c.to_gender("たぶん")


@pytest.mark.parametrize(
    "text, value",
    [
        ("東京", "東京都"),
        ("東京都", "東京都"),
        ("大阪", "大阪府"),
        ("北海道", "北海道"),
        ("tokyo", "東京都"),
        ("California", "California"),
    ],
)
def test_prefectures(text, value):
    assert c.to_prefecture(text) == value


def test_other_values():
    assert c.to_subscription("契約中") == "active"
    assert c.to_subscription("解約") == "cancelled"
    assert c.to_postal_code("〒1000001") == "100-0001"
    assert c.to_postal_code("１００－０００１") == "100-0001"
    assert c.to_tags("VIP、定期 , DM反応あり") == c.TAG_SEPARATOR.join(["VIP", "定期", "DM反応あり"])
    assert c.kana_converter(200)("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert c.to_email("a@example.jp") == "a@example.jp"
    assert c.to_dnc_reason("苦情") == "complaint"
    for convert, text in [
        (c.to_email, "not-an-email"),
        (c.to_tags, "x" * 51),
        (c.to_time_zone, "Mars/Base"),
        (c.text_converter(5), "123456"),
        (c.to_subscription, "maybe"),
    ]:
        with pytest.raises(c.Invalid):
            convert(text)


# ---------------------------------------------------------------- phones


def _phone_inputs(count: int):
    rng = random.Random(7)
    inputs = [
        "０９０－１２３４－５６７８",
        "(03) 1234-5678",
        "0120-123-456",
        "050-1234-5678",
        "0570-000-111",
        "+81 90 1234 5678",
        "090ー1234ー5678",
        "12345",
        "なし",
        "03-1234-567",
    ]
    for _ in range(count):
        digits = "0" + str(rng.randint(10**8, 10**10 - 1))
        style = rng.random()
        if style < 0.4:
            inputs.append(f"{digits[:3]}-{digits[3:7]}-{digits[7:]}")
        elif style < 0.8:
            inputs.append(digits)
        else:
            inputs.append(f"{digits[:2]} {digits[2:6]} {digits[6:]}")
    return inputs


def test_fast_phone_path_gives_the_phonenumbers_answer_with_its_kind():
    """The numbers of an import go through normalize_phone_kind's fast path; its verdict, number
    and kind are phonenumbers' own (is_valid_number, E.164, number_type)."""
    import phonenumbers

    from contacts.phones import _ascii  # full-width digits and Japanese dashes folded, as people mean them

    inputs = _phone_inputs(20000)
    valid = 0
    for raw in inputs:
        number, is_valid, kind = normalize_phone_kind(raw, "JP")
        try:
            parsed = phonenumbers.parse(_ascii(raw), "JP")
        except phonenumbers.NumberParseException:
            parsed = None
        assert is_valid == (parsed is not None and phonenumbers.is_valid_number(parsed)), raw
        assert (number, is_valid) == normalize_phone(raw), raw
        if is_valid:
            valid += 1
            assert number == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), raw
            assert kind == phone_kind(number), raw
        else:
            assert kind == "other"
    assert valid > 2000  # the sample covers many valid numbers, not only the fallback path


def test_phone_normalization_for_a_region_without_the_fast_path():
    assert normalize_phone_kind("(201) 555-0123", "US")[:2] == normalize_phone("(201) 555-0123", "US")
    assert normalize_phone_kind("(201) 555-0123", "US")[1] is True


def test_converters_of_repeating_kinds_remember_values_but_not_errors():
    from contacts.imports.converters import Invalid, converter_for, memoized

    to_date_once, sql_type = converter_for("date")
    assert sql_type == "date"
    assert [to_date_once(t) for t in ("2024/4/1", "2024/4/1", "昭和55年5月6日")] == [
        "2024-04-01",
        "2024-04-01",
        "1980-05-06",
    ]
    for _ in range(2):  # a bad cell fails each time it appears
        with pytest.raises(Invalid):
            to_date_once("2024/2/30")
    calls = []

    def upper(text):
        calls.append(text)
        return text.upper()

    bounded = memoized(upper, size=2)
    assert [bounded(t) for t in ("a", "b", "c", "a", "c", "c")] == ["A", "B", "C", "A", "C", "C"]
    assert calls == ["a", "b", "c", "c", "c"]  # "a" and "b" remembered; the memo is full after them
    assert converter_for("text", 10)[0]("abc") == "abc"  # unique-ish text: no memo
