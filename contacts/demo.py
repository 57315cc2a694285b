"""Demo customers (about 3,000, Japanese names with kana, phones, purchase histories), a few
dozen do-not-call entries and useful segments. Deterministic and idempotent: a second run
creates nothing. Bulk inserts keep it to a couple of seconds."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from faker import Faker

from .models import Customer, DoNotCall, PhoneNumber, Segment
from .phones import normalize_phone, phone_kind
from .services.dnc import register_dnc, revoke_dnc
from .services.segments import create_segment

CUSTOMERS = 3000
ID_PREFIX = "CU-"

# (prefecture, weight ~ population share, landline area codes)
PREFECTURES = [
    ("東京都", 14, ["03", "042"]),
    ("神奈川県", 9, ["045", "044", "046"]),
    ("大阪府", 9, ["06", "072"]),
    ("愛知県", 6, ["052", "0564"]),
    ("埼玉県", 6, ["048", "049"]),
    ("千葉県", 5, ["043", "047"]),
    ("兵庫県", 4, ["078", "079"]),
    ("北海道", 4, ["011", "0166"]),
    ("福岡県", 4, ["092", "093"]),
    ("静岡県", 3, ["054", "053"]),
    ("茨城県", 2, ["029"]),
    ("広島県", 2, ["082"]),
    ("京都府", 2, ["075"]),
    ("宮城県", 2, ["022"]),
    ("新潟県", 2, ["025"]),
    ("長野県", 2, ["026"]),
    ("岐阜県", 2, ["058"]),
    ("群馬県", 1, ["027"]),
    ("栃木県", 1, ["028"]),
    ("岡山県", 1, ["086"]),
    ("熊本県", 1, ["096"]),
    ("鹿児島県", 1, ["099"]),
    ("沖縄県", 1, ["098"]),
    ("三重県", 1, ["059"]),
    ("滋賀県", 1, ["077"]),
    ("奈良県", 1, ["0742"]),
    ("愛媛県", 1, ["089"]),
    ("長崎県", 1, ["095"]),
    ("青森県", 1, ["017"]),
    ("岩手県", 1, ["019"]),
    ("石川県", 1, ["076"]),
    ("山口県", 1, ["083"]),
    ("大分県", 1, ["097"]),
]
TAGS = ["VIP", "DM送付済", "メルマガ購読", "初回購入", "定期便", "紹介", "アンケート回答済", "クレーム履歴", "休眠"]
PRODUCTS = ["青汁", "黒酢", "コラーゲン", "グルコサミン", "酵素ドリンク", "乳酸菌サプリ", "スキンケアセット"]
CHANNELS = ["通販カタログ", "Web", "テレビショッピング", "新聞広告", "紹介"]

SEGMENTS = [
    (
        "休眠顧客（180日以上購入なし）",
        "購入経験があり、最終購入から180日以上経った顧客。掘り起こしコール用。",
        {
            "match": "all",
            "rules": [
                {"field": "last_purchase_days", "op": "gte", "value": 180},
                {"field": "purchase_count", "op": "gte", "value": 1},
            ],
        },
    ),
    (
        "定期購入中",
        "定期便を継続中の顧客。解約防止・アップセル用。",
        {"match": "all", "rules": [{"field": "subscription_status", "op": "eq", "value": "active"}]},
    ),
    (
        "高額購入者（累計10万円以上）",
        "累計購入金額が10万円以上の優良顧客。",
        {"match": "all", "rules": [{"field": "total_spent", "op": "gte", "value": 100000}]},
    ),
    (
        "解約リスク高（定期・churn_score 0.7以上）",
        "定期購入中または休止中で、解約予測スコアが高い顧客。",
        {
            "match": "all",
            "rules": [
                {"field": "subscription_status", "op": "in", "value": ["active", "paused"]},
                {"field": "attributes.churn_score", "op": "gte", "value": 0.7},
            ],
        },
    ),
    (
        "首都圏 30〜40代女性",
        "DMフォローコールの主要ターゲット。",
        {
            "match": "all",
            "rules": [
                {"field": "gender", "op": "eq", "value": "female"},
                {"field": "age", "op": "between", "value": [30, 49]},
                {"field": "prefecture", "op": "in", "value": ["東京都", "神奈川県", "埼玉県", "千葉県"]},
            ],
        },
    ),
    (
        "未接触の新規顧客（登録90日以内）",
        "登録から90日以内で、まだ電話で話せていない顧客。",
        {
            "match": "all",
            "rules": [
                {"field": "registered_days", "op": "lte", "value": 90},
                {"field": "never_contacted", "op": "eq", "value": True},
            ],
        },
    ),
]


def _mobile(rng: random.Random) -> str:
    return f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"


def _landline(rng: random.Random, codes: list[str]) -> str:
    """A valid landline of the prefecture (Japanese landlines have 10 digits in all; not every
    exchange exists, so draw again until phonenumbers accepts it)."""
    for _attempt in range(20):
        code = rng.choice(codes)
        first = 10 - len(code) - 4
        number = f"{code}-{rng.randint(2 * 10 ** (first - 1), 10**first - 1)}-{rng.randint(1000, 9999)}"
        if normalize_phone(number)[1]:
            return number
    return number


def _customer_rows(fake: Faker, rng: random.Random, now):
    weights = [w for _p, w, _c in PREFECTURES]
    for n in range(1, CUSTOMERS + 1):
        female = rng.random() < 0.58
        last, last_kana, last_roman = fake.last_name_pair()
        first, first_kana, first_roman = fake.first_name_female_pair() if female else fake.first_name_male_pair()
        prefecture, _w, codes = rng.choices(PREFECTURES, weights=weights)[0]
        registered = now - datetime.timedelta(days=rng.randint(1, 6 * 365), minutes=rng.randint(0, 1440))
        purchases = 0 if rng.random() < 0.12 else min(80, int(rng.expovariate(1 / 6)) + 1)
        first_purchase = last_purchase = None
        if purchases:
            first_purchase = registered + datetime.timedelta(days=rng.randint(0, 30))
            span = max(0, (now - first_purchase).days)
            last_purchase = first_purchase + datetime.timedelta(days=rng.randint(0, span) if purchases > 1 else 0)
            last_purchase = min(last_purchase, now)
        average_price = rng.choice([1980, 2980, 3980, 4980, 6800, 9800, 12800])
        subscription = rng.choices(["", "active", "paused", "cancelled"], weights=[50, 25, 10, 15])[0]
        if not purchases:
            subscription = ""
        tags = sorted(set(rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 2, 3]))))
        if purchases and purchases * average_price >= 150000 and "VIP" not in tags:
            tags.append("VIP")
        attributes = {
            "churn_score": round(rng.betavariate(2, 4) if subscription != "paused" else rng.betavariate(4, 2), 2),
            "favourite_product": rng.choice(PRODUCTS),
            "acquisition_channel": rng.choice(CHANNELS),
        }
        if rng.random() < 0.35:
            attributes["survey_satisfaction"] = rng.randint(1, 5)
        birth = datetime.date(rng.randint(1942, 2004), rng.randint(1, 12), rng.randint(1, 28))
        customer = Customer(
            external_id=f"{ID_PREFIX}{n:06d}",
            name=f"{last} {first}",
            name_kana=f"{last_kana} {first_kana}",
            gender=Customer.Gender.FEMALE if female else Customer.Gender.MALE,
            birth_date=birth if rng.random() < 0.93 else None,
            email=f"{first_roman.lower()}.{last_roman.lower()}{rng.randint(1, 999)}@{fake.free_email_domain()}"
            if rng.random() < 0.7
            else "",
            postal_code=fake.zipcode(),
            prefecture=prefecture,
            address=f"{fake.city()}{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}",
            time_zone="Asia/Tokyo",
            registered_at=registered,
            first_purchase_at=first_purchase,
            last_purchase_at=last_purchase,
            purchase_count=purchases,
            total_spent=Decimal(purchases * average_price),
            subscription_status=subscription,
            mail_open_rate=round(rng.betavariate(2, 5), 2) if rng.random() < 0.85 else None,
            last_web_visit_at=now - datetime.timedelta(days=rng.randint(0, 400)) if rng.random() < 0.6 else None,
            tags=tags,
            attributes=attributes,
        )
        phones = []
        if rng.random() < 0.8:
            phones.append(_mobile(rng))
        if rng.random() < 0.4 or not phones:
            phones.append(_landline(rng, codes))
        if rng.random() < 0.015:  # a typo kept as entered: shown as invalid, never dialed
            phones.append(f"090-{rng.randint(100, 999)}-{rng.randint(10, 99)}")
        if rng.random() < 0.3:  # written the way people type them in Japan
            phones[0] = phones[0].translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
        yield customer, phones


def _seed_customers(stdout) -> int:
    fake = Faker("ja_JP")
    fake.seed_instance(20260401)
    rng = random.Random(20260401)
    now = timezone.now().replace(second=0, microsecond=0)
    existing = set(Customer.objects.filter(external_id__startswith=ID_PREFIX).values_list("external_id", flat=True))
    new_customers, new_phones = [], {}
    for customer, phones in _customer_rows(fake, rng, now):
        if customer.external_id in existing:
            continue
        new_customers.append(customer)
        new_phones[customer.external_id] = phones
    if not new_customers:
        return 0
    with transaction.atomic():
        Customer.objects.bulk_create(new_customers, batch_size=1000)
        ids = dict(Customer.objects.filter(external_id__in=new_phones).values_list("external_id", "id"))
        rows = []
        for external_id, phones in new_phones.items():
            seen = set()
            for index, raw in enumerate(phones):
                number, valid = normalize_phone(raw)
                if number in seen:
                    continue
                seen.add(number)
                rows.append(
                    PhoneNumber(
                        customer_id=ids[external_id],
                        number=number,
                        raw=raw,
                        is_valid=valid,
                        is_primary=index == 0,
                        kind=phone_kind(number) if valid else PhoneNumber.Kind.OTHER,
                    )
                )
        PhoneNumber.objects.bulk_create(rows, batch_size=2000)
    stdout.write(f"contacts: {len(new_customers)} customers, {len(rows)} phone numbers")
    return len(new_customers)


def _seed_dnc(users, stdout) -> None:
    if DoNotCall.objects.exists():
        return
    supervisor = users.get("supervisor")
    rng = random.Random(7)
    customers = list(Customer.objects.filter(external_id__startswith=ID_PREFIX).order_by("id")[:CUSTOMERS])
    picked = rng.sample(customers, k=min(40, len(customers)))
    reasons = [DoNotCall.Reason.CUSTOMER_REQUEST] * 6 + [
        DoNotCall.Reason.COMPLAINT,
        DoNotCall.Reason.WRONG_NUMBER,
        DoNotCall.Reason.DECEASED,
        DoNotCall.Reason.LEGAL,
    ]
    notes = [
        "電話での案内は不要とのこと",
        "「二度とかけてこないで」と強い口調",
        "家族から本人死亡の連絡",
        "別人の番号",
        "消費生活センター経由の申し出",
        "メールのみ希望",
        "",
    ]
    entries = []
    for index, customer in enumerate(picked):
        reason = rng.choice(reasons)
        by_number = index % 3 != 0
        phone = customer.phones.order_by("-is_primary", "id").first() if by_number else None
        expires = timezone.now() + datetime.timedelta(days=rng.choice([30, 90, 180])) if index % 9 == 4 else None
        entries.append(
            register_dnc(
                by=supervisor,
                phone=phone.number if phone else "",
                customer=None if phone else customer,
                reason=reason,
                source=rng.choice([DoNotCall.Source.OPERATOR, DoNotCall.Source.INBOUND, DoNotCall.Source.SUPERVISOR]),
                note=rng.choice(notes),
                expires_at=expires,
            )
        )
    for entry in entries[::8]:
        revoke_dnc(entry=entry, by=supervisor, reason="本人より再度の案内希望があったため解除")
    stdout.write(f"contacts: {len(entries)} do-not-call entries")


def _seed_segments(users, stdout) -> None:
    created = 0
    for name, description, criteria in SEGMENTS:
        if Segment.objects.filter(name=name).exists():
            continue
        create_segment(by=users.get("supervisor"), name=name, criteria=criteria, description=description)
        created += 1
    if created:
        stdout.write(f"contacts: {created} segments")


def seed(*, users: dict, stdout) -> None:
    _seed_customers(stdout)
    _seed_dnc(users, stdout)
    _seed_segments(users, stdout)
