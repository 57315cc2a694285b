"""Demo talk scripts: a dormant-customer reactivation script (disclosure → question → branch → end),
a satisfaction survey, and a heavy-user variant, each published with rebuttals. Idempotent: a
script that already exists (by name) is left as it is."""

from django.db import transaction

from . import services
from .models import Script

DORMANT = "休眠顧客掘り起こし（標準）"
SURVEY = "お客様満足度アンケート"
HEAVY = "ヘビーユーザー向け 定期便ご案内"
DEMO_SCRIPT_NAMES = (DORMANT, SURVEY, HEAVY)

COMMON_REBUTTALS = [
    (
        "今忙しい",
        "大変失礼いたしました。1分ほどで終わるご案内ですが、改めてお電話するならいつ頃がご都合よろしいでしょうか。",
        "忙しい 時間 後で",
    ),
    (
        "どこで電話番号を知ったのか",
        "以前弊社の通信販売をご利用いただいた際にご登録いただいたお電話番号でございます。ご不要でしたら今後のお電話を停止いたします。",
        "番号 個人情報 どこで",
    ),
    (
        "もう電話しないでほしい",
        "承知いたしました。今後お電話を差し上げないよう、ただちに登録いたします。ご迷惑をおかけし申し訳ございませんでした。（結果は「架電拒否」で記録）",
        "拒否 迷惑 不要 停止",
    ),
    (
        "家族に相談したい",
        "もちろんでございます。資料をお送りしますので、ご家族様とご覧いただけますか。"
        "改めて{{ operator.last_name }}からご連絡いたします。",
        "相談 家族 検討",
    ),
]


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


def _choices(*pairs):
    return [{"value": value, "label": label, "next": nxt} for value, label, nxt in pairs]


DISCLOSURE_TEXT = (
    "{{ customer.name }}様のお電話でよろしいでしょうか。\n"
    "わたくし、株式会社ひかり通販の{{ operator.last_name }}と申します。\n"
    "本日は「{{ campaign.name }}」として、弊社の健康食品のご案内でお電話いたしました。"
    "お時間1分ほどよろしいでしょうか。"
)


def _dormant():
    return {
        "description": "最終購入から時間が経ったお客様への再購入のご案内。特定商取引法の開示から入ります。",
        "start": "opening",
        "steps": [
            _step("opening", "say", "冒頭の開示（特商法第16条）", DISCLOSURE_TEXT, is_disclosure=True, next="recall"),
            _step(
                "recall",
                "question",
                "以前のご購入の記憶",
                "前回は{{ customer.last_purchase_at }}にご購入いただきました。その後、お変わりなくお過ごしでしょうか。"
                "商品はお役に立ちましたでしょうか。",
                answer_type="single",
                required=True,
                next="dormancy",
                choices=_choices(
                    ("good", "役に立った", None), ("so_so", "まあまあ", None), ("forgot", "覚えていない", None)
                ),
            ),
            _step(
                "dormancy",
                "branch",
                "休眠期間で分岐",
                branch_rules=[
                    {"source": "customer:last_purchase_days", "op": "gte", "value": "365", "next": "offer_comeback"}
                ],
                next="offer_regular",
            ),
            _step(
                "offer_comeback",
                "say",
                "お久しぶり特典のご案内",
                "1年以上ご利用のないお客様限定で、初回と同じ半額でお試しいただける特典をご用意しております。",
                next="interest",
            ),
            _step(
                "offer_regular",
                "say",
                "新商品のご案内",
                "前回ご購入の商品に加えて、この春に新しい商品が出ました。今回は送料無料でお届けできます。",
                next="interest",
            ),
            _step(
                "interest",
                "question",
                "ご興味",
                "いかがでしょうか。",
                answer_type="single",
                required=True,
                choices=_choices(
                    ("yes", "申し込む", "confirm"),
                    ("later", "検討したい", "end_callback"),
                    ("no", "不要", "end_refused"),
                ),
            ),
            _step(
                "confirm",
                "question",
                "お届け希望日",
                "ありがとうございます。お届けのご希望日はございますか。",
                answer_type="date",
                next="end_success",
            ),
            _step(
                "end_success",
                "end",
                "成約",
                "ご注文ありがとうございました。{{ operator.last_name }}が承りました。",
                suggested_disposition="success",
            ),
            _step(
                "end_callback",
                "end",
                "再架電",
                "承知いたしました。改めてご連絡いたします。ご都合のよい日時をお伺いできますか。",
                suggested_disposition="callback",
            ),
            _step(
                "end_refused",
                "end",
                "お断り",
                "承知いたしました。お時間をいただきありがとうございました。",
                suggested_disposition="refused",
            ),
        ],
        "rebuttals": COMMON_REBUTTALS
        + [
            (
                "高い",
                "ご負担に感じられますよね。今回は特典価格で、1日あたりに直すと約50円でございます。まずは1袋だけでも試されませんか。",
                "価格 値段 高い",
            ),
            (
                "前に買ったけど効果がなかった",
                "貴重なご意見ありがとうございます。飲み方のタイミングで実感が変わることもございますので、よろしければコツをご案内いたします。",
                "効果 効かない",
            ),
        ],
    }


def _survey():
    return {
        "description": "ご購入者様への満足度調査（3〜4問）。販売を目的としない電話調査です。",
        "start": "intro",
        "steps": [
            _step(
                "intro",
                "say",
                "ご挨拶",
                "{{ customer.name }}様、いつもご利用ありがとうございます。"
                "株式会社ひかり通販の{{ operator.last_name }}でございます。"
                "商品についてのアンケートにご協力いただけますでしょうか。2分ほどで終わります。",
                next="satisfaction",
            ),
            _step(
                "satisfaction",
                "question",
                "満足度",
                "商品の満足度を5段階で教えてください。",
                answer_type="single",
                required=True,
                next="frequency",
                choices=_choices(
                    ("5", "とても満足", None),
                    ("4", "満足", None),
                    ("3", "ふつう", None),
                    ("2", "不満", None),
                    ("1", "とても不満", None),
                ),
            ),
            _step(
                "frequency",
                "question",
                "ご利用頻度（週）",
                "1週間に何回くらいお使いですか。",
                answer_type="number",
                required=True,
                next="channels",
            ),
            _step(
                "channels",
                "question",
                "購入チャネル",
                "普段どちらでお買い求めですか（複数可）。",
                answer_type="multiple",
                next="comment",
                choices=_choices(
                    ("web", "ウェブサイト", None),
                    ("phone", "電話注文", None),
                    ("catalog", "カタログはがき", None),
                    ("store", "店舗", None),
                ),
            ),
            _step(
                "comment",
                "question",
                "ご意見・ご要望",
                "その他、ご意見やご要望がございましたらお聞かせください。",
                answer_type="text",
                next="end_done",
            ),
            _step(
                "end_done",
                "end",
                "終了",
                "ご協力ありがとうございました。今後の商品づくりに活かしてまいります。",
                suggested_disposition="success",
            ),
        ],
        "rebuttals": COMMON_REBUTTALS[:3]
        + [
            (
                "アンケートは面倒",
                "お手数をおかけします。3問だけですので、答えにくいものは飛ばしていただいて結構です。",
                "面倒 アンケート",
            ),
        ],
    }


def _heavy():
    return {
        "description": "購入回数の多いお客様向け。定期便（定期購入）の切り替えと上位コースのご案内。",
        "start": "opening",
        "steps": [
            _step(
                "opening",
                "say",
                "冒頭の開示（特商法第16条）",
                DISCLOSURE_TEXT + "\nいつもたくさんご利用いただき、ありがとうございます。",
                is_disclosure=True,
                next="usage",
            ),
            _step(
                "usage",
                "question",
                "お使いの商品",
                "現在お使いの商品を教えていただけますか（複数可）。",
                answer_type="multiple",
                required=True,
                next="plan",
                choices=_choices(
                    ("aojiru", "青汁", None), ("collagen", "コラーゲン", None), ("vitamin", "マルチビタミン", None)
                ),
            ),
            _step(
                "plan",
                "branch",
                "定期便の有無で分岐",
                branch_rules=[
                    {"source": "customer:subscription_status", "op": "eq", "value": "active", "next": "upsell"}
                ],
                next="subscribe",
            ),
            _step(
                "upsell",
                "say",
                "上位コースのご案内",
                "定期便をご利用中の{{ customer.name }}様には、"
                "2種類セットで15%お得になるプレミアムコースをご案内しております。",
                next="decision",
            ),
            _step(
                "subscribe",
                "say",
                "定期便のご案内",
                "これまで{{ customer.purchase_count }}回ご購入いただいております。定期便に切り替えると毎回10%オフ、"
                "送料無料、いつでも休止できます。",
                next="decision",
            ),
            _step(
                "decision",
                "question",
                "ご意向",
                "いかがでしょうか。",
                answer_type="single",
                required=True,
                choices=_choices(
                    ("yes", "申し込む", "end_success"),
                    ("later", "検討したい", "end_callback"),
                    ("no", "不要", "end_refused"),
                ),
            ),
            _step(
                "end_success",
                "end",
                "成約",
                "お申し込みありがとうございます。次回のお届けから切り替わります。",
                suggested_disposition="success",
            ),
            _step(
                "end_callback",
                "end",
                "再架電",
                "承知いたしました。ご検討の頃に改めてご連絡いたします。",
                suggested_disposition="callback",
            ),
            _step(
                "end_refused",
                "end",
                "お断り",
                "承知いたしました。引き続きよろしくお願いいたします。",
                suggested_disposition="refused",
            ),
        ],
        "rebuttals": COMMON_REBUTTALS
        + [
            (
                "定期便は解約しにくそう",
                "いつでもお電話一本、またはマイページから休止・解約いただけます。回数のお約束もございません。",
                "解約 縛り 定期",
            ),
        ],
    }


def _export(name, spec):
    return {
        "format": services.transfer.FORMAT,
        "format_version": services.transfer.FORMAT_VERSION,
        "script": {"name": name, "description": spec["description"]},
        "version": {"number": 1, "status": "draft", "notes": "初版", "start": spec["start"]},
        "steps": spec["steps"],
        "rebuttals": [{"objection": o, "answer": a, "tags": t} for o, a, t in spec["rebuttals"]],
    }


def seed(users=None, stdout=None):
    """Create and publish the demo scripts that do not exist yet."""
    by = (users or {}).get("supervisor")
    created = 0
    for name, build in ((DORMANT, _dormant), (SURVEY, _survey), (HEAVY, _heavy)):
        if Script.objects.filter(name=name).exists():
            continue
        with transaction.atomic():
            version = services.import_script(data=_export(name, build()), by=by)
            services.publish_version(version=version, by=by)
        created += 1
    if stdout is not None:
        stdout.write(f"scripts: {created} demo script(s) created, {len(DEMO_SCRIPT_NAMES) - created} already there")
