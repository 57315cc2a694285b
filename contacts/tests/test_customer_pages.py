"""Customer list (search, filters, sorting, paging, count) and the customer page."""

import datetime

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from contacts.models import DoNotCall
from contacts.services.dnc import register_dnc, revoke_dnc
from contacts.tests.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db
LIST = reverse("contacts:customer_list")


def found(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {c.external_id for c in response.context["page"].object_list}


@pytest.fixture
def sv(login, supervisor):
    return login(supervisor)


@pytest.mark.parametrize(
    "query",
    [
        "090-1234-5678",
        "09012345678",
        "０９０－１２３４－５６７８",
        "090 1234 5678",
        "(090)1234-5678",
        "+81 90 1234 5678",
        "+81-90-1234-5678",
        "090ー1234ー5678",
    ],
)
def test_search_by_phone_in_any_format(sv, query):
    CustomerFactory(external_id="HIT", phones=["03-9999-8888", "＋８１ ９０－１２３４－５６７８"])
    CustomerFactory(external_id="MISS", phone="090-1234-5679")
    assert found(sv, q=query) == {"HIT"}


def test_search_by_name_kana_hiragana_spaces_and_external_id(sv):
    CustomerFactory(external_id="C-100", name="山田 太郎", name_kana="ヤマダ タロウ")
    CustomerFactory(external_id="C-200", name="佐藤 花子", name_kana="サトウ ハナコ")
    CustomerFactory(external_id="C-300", name="John Smith", name_kana="ジョン スミス")
    assert found(sv, q="山田") == {"C-100"}
    assert found(sv, q="山田太郎") == {"C-100"}, "spaces in the stored name are ignored"
    assert found(sv, q="山田　太郎") == {"C-100"}, "a full-width space in the query too"
    assert found(sv, q="タロウ") == {"C-100"}
    assert found(sv, q="さとう") == {"C-200"}, "hiragana finds the katakana reading"
    assert found(sv, q="ﾊﾅｺ") == {"C-200"}, "half-width kana is folded"
    assert found(sv, q="花") == {"C-200"}, "a single character works (no trigram)"
    assert found(sv, q="smith") == {"C-300"}, "case is ignored"
    assert found(sv, q="C-200") == {"C-200"}
    assert found(sv, q="鈴木") == set()


def test_filters_combine_and_unknown_values_are_ignored(sv, supervisor):
    tokyo = CustomerFactory(
        external_id="T", prefecture="東京都", gender="female", subscription_status="active", tags=["vip"]
    )
    osaka = CustomerFactory(external_id="O", prefecture="大阪府", gender="male", subscription_status="", tags=[])
    unknown = CustomerFactory(external_id="U", prefecture="", gender="", subscription_status="cancelled", tags=["dm"])
    assert found(sv, prefecture="東京都") == {"T"}
    assert found(sv, gender="unknown") == {"U"}
    assert found(sv, subscription="none") == {"O"}
    assert found(sv, subscription="active", gender="female") == {"T"}
    assert found(sv, tag="dm") == {"U"}
    segment = SegmentFactory(criteria={"match": "all", "rules": [{"field": "tag", "op": "exists", "value": True}]})
    assert found(sv, segment=segment.pk) == {"T", "U"}
    register_dnc(by=supervisor, customer=osaka, reason="customer_request", source="supervisor")
    assert found(sv, dnc="blocked") == {"O"}
    assert found(sv, dnc="clear") == {"T", "U"}
    # Nonsense in the query string: ignored, never a 500.
    assert found(sv, gender="robot", sort="; DROP TABLE", page="x", segment="999999", dnc="maybe") == {"T", "O", "U"}
    assert tokyo and unknown


def test_sorting_and_paging_with_a_count(sv):
    for n in range(60):
        CustomerFactory(external_id=f"S{n:03d}", total_spent=n * 1000)
    response = sv.get(LIST, {"sort": "-total_spent", "q": "", "prefecture": "東京都"})
    page = response.context["page"]
    assert [c.external_id for c in page.object_list][:3] == ["S059", "S058", "S057"]
    assert page.has_next and page.total == 60 and page.total_exact
    second = sv.get(LIST, {"sort": "-total_spent", "prefecture": "東京都", "page": 2}).context["page"]
    assert [c.external_id for c in second.object_list] == [f"S{n:03d}" for n in range(9, -1, -1)]
    assert not second.has_next
    ascending = sv.get(LIST, {"sort": "total_spent"}).context["page"]
    assert ascending.object_list[0].external_id == "S000"
    body = response.content.decode()
    with translation.override("ja"):
        assert "60" in body and 'data-testid="customer-count"' in body


def test_a_broad_filter_shows_a_capped_count(sv, monkeypatch):
    from contacts.views import customers as views

    monkeypatch.setattr(views, "COUNT_LIMIT", 5)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    for _ in range(8):
        CustomerFactory(prefecture="東京都")
    page = sv.get(LIST, {"prefecture": "東京都"}).context["page"]
    assert page.total == 5 and not page.total_exact and page.num_pages is None
    assert "5" in sv.get(LIST, {"prefecture": "東京都"}).content.decode()


def test_htmx_search_returns_only_the_results(sv):
    CustomerFactory(name="山田 太郎")
    response = sv.get(LIST, {"q": "山田"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results")
    body = response.content.decode()
    assert "山田 太郎" in body and "<html" not in body


def test_customer_page_shows_details_phones_dnc_history_tags_attributes_and_calls(sv, supervisor, operator):
    customer = CustomerFactory(
        name="田中 一郎",
        name_kana="タナカ イチロウ",
        phones=["090-1234-5678", "03-1234-5678", "090-12"],
        tags=["VIP", "DM送付済"],
        attributes={"churn_score": 0.82, "favourite_product": "青汁"},
        purchase_count=12,
        total_spent=123456,
    )
    old = register_dnc(by=supervisor, phone="03-1234-5678", reason=DoNotCall.Reason.WRONG_NUMBER, source="supervisor")
    revoke_dnc(entry=old, by=supervisor, reason="番号が正しいと確認")
    register_dnc(
        by=supervisor, customer=customer, reason=DoNotCall.Reason.CUSTOMER_REQUEST, source="inbound", note="電話不要"
    )
    Campaign = apps.get_model("campaigns", "Campaign")
    Disposition = apps.get_model("campaigns", "Disposition")
    CallAttempt = apps.get_model("campaigns", "CallAttempt")
    campaign = Campaign.objects.create(name="休眠掘り起こし 2026春", purpose="reactivation")
    started = timezone.now() - datetime.timedelta(days=3)
    CallAttempt.objects.create(
        campaign=campaign,
        customer=customer,
        operator=operator,
        phone="+819012345678",
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=3),
        talk_seconds=170,
        disposition=Disposition.objects.get(code="refused"),
        reaction="irritated",
        notes="今は不要とのこと",
    )
    with translation.override("ja"):
        response = sv.get(reverse("contacts:customer_detail", args=[customer.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in [
        "田中 一郎",
        "タナカ イチロウ",
        "090-1234-5678",
        "03-1234-5678",
        "VIP",
        "DM送付済",
        "churn_score",
        "青汁",
        "休眠掘り起こし 2026春",
        "今は不要とのこと",
        "電話不要",
        "番号が正しいと確認",
        "170s",
    ]:
        assert text in body, text
    # A known attribute key is shown by its label (with the key), another one as it is stored.
    assert response.context["attributes"] == [
        ("churn_score", "解約スコア", "0.82"),
        ("favourite_product", "お気に入り商品", "青汁"),
    ]
    assert "解約スコア" in body and "お気に入り商品" in body
    english = sv.get(reverse("contacts:customer_detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert [label for _key, label, _value in english.context["attributes"]] == ["Churn score", "Favourite product"]
    history = response.context["dnc_history"]
    assert len(history) == 2 and {e.revoked_at is None for e in history} == {True, False}
    assert response.context["dnc_active_global"]
    assert [p.is_valid for p in response.context["phones"]] == [True, True, False]
    assert len(response.context["attempts"]) == 1


def test_missing_customer_is_a_404(sv):
    assert sv.get(reverse("contacts:customer_detail", args=[987654])).status_code == 404
