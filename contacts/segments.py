"""Segment criteria: validation and compilation to a plain Customer queryset.

Criteria (docs/api.md#segments):

    {"match": "all" | "any", "rules": [{"field": "...", "op": "...", "value": ...}, ...]}

A rule may also be a nested group {"match": ..., "rules": [...]} (up to MAX_DEPTH levels), so
"subscribers AND (Tokyo OR Osaka)" can be said. No rules means every customer.

Compilation is pure SQL (no Python-side filtering), so call list builds can use the queryset
inside an INSERT … SELECT. Relative fields ("…_days", "age") are turned into comparisons on the
stored timestamp/date columns, evaluated at `at`, so they can use the indexes on those columns.

Semantics worth knowing:
- "days since X" is whole days: 0 = within the last 24 hours.
- "age" is the age in full years on the local date of `at`.
- Comparisons (eq, lt, between, ne, ...) only match customers where the value is known: a customer
  without a birth date matches neither "age lt 30" nor "age ne 30". Use "exists" for unknowns.
- tag: eq = has the tag, ne = does not have it, in = has any of them, contains = has all of the
  given tag(s), exists = has at least one tag.
- never_contacted: no call ever reached the customer (a contact disposition); never_called: no
  call attempt at all.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from .attributes import attribute_number_sql, clean_attribute_key
from .models import Customer

ALL_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "between", "contains", "exists")
NUMERIC_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "between")
MATCH_MODES = ("all", "any")
MAX_DEPTH = 3
MAX_RULES = 100
MAX_IN_VALUES = 1000
MAX_TEXT = 200
ATTRIBUTE_PREFIX = "attributes."
# "days since" and "age" values become dates (now minus N days / years): beyond these the date
# arithmetic overflows, and no customer record is that old anyway.
ELAPSED_LIMITS = {"days": 100_000, "age": 200}

# Short operator names for the builder's menus.
OP_LABELS = {
    "eq": pgettext_lazy("segment operator", "is"),
    "ne": pgettext_lazy("segment operator", "is not"),
    "lt": pgettext_lazy("segment operator", "less than"),
    "lte": pgettext_lazy("segment operator", "at most"),
    "gt": pgettext_lazy("segment operator", "more than"),
    "gte": pgettext_lazy("segment operator", "at least"),
    "in": pgettext_lazy("segment operator", "is one of"),
    "between": pgettext_lazy("segment operator", "between"),
    "contains": pgettext_lazy("segment operator", "contains"),
    "exists": pgettext_lazy("segment operator", "is known / unknown"),
}
# Whole sentences for descriptions, so each language can order field, operator and value.
RULE_SENTENCES = {
    "eq": gettext_lazy("%(field)s is %(value)s"),
    "ne": gettext_lazy("%(field)s is not %(value)s"),
    "lt": gettext_lazy("%(field)s is less than %(value)s"),
    "lte": gettext_lazy("%(field)s is at most %(value)s"),
    "gt": gettext_lazy("%(field)s is more than %(value)s"),
    "gte": gettext_lazy("%(field)s is at least %(value)s"),
    "in": gettext_lazy("%(field)s is one of %(value)s"),
    "between": gettext_lazy("%(field)s is between %(low)s and %(high)s"),
    "contains": gettext_lazy("%(field)s contains %(value)s"),
    "exists": gettext_lazy("%(field)s is known"),
    "not_exists": gettext_lazy("%(field)s is unknown"),
}


@dataclass(frozen=True)
class SegmentField:
    name: str
    label: object
    # days: whole days since a timestamp column; age: full years from birth_date; integer/number:
    # a numeric column; choice: one of fixed values; text: free text; tags: the tags array;
    # flag: true/false computed from a nullable column; attribute: a key of the attributes JSON.
    kind: str
    column: str
    ops: tuple
    nullable: bool = True
    choices: tuple = field(default=())
    group: object = ""


_DEMOGRAPHICS = gettext_lazy("Demographics")
_PURCHASES = gettext_lazy("Purchases")
_ENGAGEMENT = gettext_lazy("Engagement")
_CALLS = gettext_lazy("Call history")
_OTHER = gettext_lazy("Tags and attributes")

_TEXT_OPS = ("eq", "ne", "in", "contains", "exists")
_CHOICE_OPS = ("eq", "ne", "in", "exists")

FIELDS: dict[str, SegmentField] = {
    f.name: f
    for f in [
        SegmentField(
            "gender",
            gettext_lazy("Gender"),
            "choice",
            "gender",
            _CHOICE_OPS,
            nullable=False,
            choices=tuple(Customer.Gender.choices),
            group=_DEMOGRAPHICS,
        ),
        SegmentField("age", gettext_lazy("Age"), "age", "birth_date", (*NUMERIC_OPS, "exists"), group=_DEMOGRAPHICS),
        SegmentField(
            "prefecture",
            gettext_lazy("Prefecture"),
            "text",
            "prefecture",
            _TEXT_OPS,
            nullable=False,
            group=_DEMOGRAPHICS,
        ),
        SegmentField(
            "registered_days",
            gettext_lazy("Days since registration"),
            "days",
            "registered_at",
            (*NUMERIC_OPS, "exists"),
            group=_PURCHASES,
        ),
        SegmentField(
            "first_purchase_days",
            gettext_lazy("Days since first purchase"),
            "days",
            "first_purchase_at",
            (*NUMERIC_OPS, "exists"),
            group=_PURCHASES,
        ),
        SegmentField(
            "last_purchase_days",
            gettext_lazy("Days since last purchase"),
            "days",
            "last_purchase_at",
            (*NUMERIC_OPS, "exists"),
            group=_PURCHASES,
        ),
        SegmentField(
            "purchase_count",
            gettext_lazy("Number of purchases"),
            "integer",
            "purchase_count",
            NUMERIC_OPS,
            nullable=False,
            group=_PURCHASES,
        ),
        SegmentField(
            "total_spent",
            gettext_lazy("Total spent (yen)"),
            "number",
            "total_spent",
            NUMERIC_OPS,
            nullable=False,
            group=_PURCHASES,
        ),
        SegmentField(
            "subscription_status",
            gettext_lazy("Subscription"),
            "choice",
            "subscription_status",
            _CHOICE_OPS,
            nullable=False,
            choices=tuple(Customer.Subscription.choices),
            group=_PURCHASES,
        ),
        SegmentField(
            "mail_open_rate",
            gettext_lazy("Mail open rate (0-1)"),
            "number",
            "mail_open_rate",
            (*NUMERIC_OPS, "exists"),
            group=_ENGAGEMENT,
        ),
        SegmentField(
            "last_web_visit_days",
            gettext_lazy("Days since last web visit"),
            "days",
            "last_web_visit_at",
            (*NUMERIC_OPS, "exists"),
            group=_ENGAGEMENT,
        ),
        SegmentField(
            "tag",
            gettext_lazy("Tag"),
            "tags",
            "tags",
            ("eq", "ne", "in", "contains", "exists"),
            nullable=False,
            group=_OTHER,
        ),
        SegmentField(
            "last_contact_days",
            gettext_lazy("Days since last contact"),
            "days",
            "last_contact_at",
            (*NUMERIC_OPS, "exists"),
            group=_CALLS,
        ),
        SegmentField(
            "last_attempt_days",
            gettext_lazy("Days since last call"),
            "days",
            "last_attempt_at",
            (*NUMERIC_OPS, "exists"),
            group=_CALLS,
        ),
        SegmentField(
            "last_disposition",
            gettext_lazy("Last outcome"),
            "text",
            "last_disposition",
            _TEXT_OPS,
            nullable=False,
            group=_CALLS,
        ),
        SegmentField(
            "last_reaction",
            gettext_lazy("Last reaction"),
            "text",
            "last_reaction",
            _TEXT_OPS,
            nullable=False,
            group=_CALLS,
        ),
        SegmentField(
            "consecutive_no_contact",
            gettext_lazy("Calls without contact in a row"),
            "integer",
            "consecutive_no_contact",
            NUMERIC_OPS,
            nullable=False,
            group=_CALLS,
        ),
        SegmentField(
            "attempt_count",
            gettext_lazy("Calls so far"),
            "integer",
            "attempt_count",
            NUMERIC_OPS,
            nullable=False,
            group=_CALLS,
        ),
        SegmentField(
            "never_contacted",
            gettext_lazy("Never reached by phone"),
            "flag",
            "last_contact_at",
            ("eq", "ne"),
            group=_CALLS,
        ),
        SegmentField(
            "never_called", gettext_lazy("Never called"), "flag", "last_attempt_at", ("eq", "ne"), group=_CALLS
        ),
    ]
}
ATTRIBUTE_FIELD = SegmentField(
    "attributes.", gettext_lazy("Attribute"), "attribute", "attributes", ALL_OPS, group=_OTHER
)


# ---------------------------------------------------------------- validation
#
# Each problem is kept as an untranslated message with its parameters and worded when shown: the
# API names fields, operators and values by their machine keys (clients match on them), the
# builder page by their labels in the user's language.


@dataclass(frozen=True)
class Problem:
    message: str  # a msgid, translated when worded
    params: dict = field(default_factory=dict)

    def text(self, *, labels: bool = False) -> str:
        return _(self.message) % {key: _worded(key, value, labels) for key, value in self.params.items()}


class _RuleError(Exception):
    """One problem with one rule; collected and raised together as a ValidationError."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.problem = Problem(message, params)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def field_label(name) -> str:
    """A field as people read it: its label, "Attribute: <key>" for an attribute, else as typed."""
    if isinstance(name, str) and name.startswith(ATTRIBUTE_PREFIX):
        key = name[len(ATTRIBUTE_PREFIX) :]
        return f"{ATTRIBUTE_FIELD.label}: {key}" if key else str(ATTRIBUTE_FIELD.label)
    spec = FIELDS.get(name) if isinstance(name, str) else None
    return str(spec.label) if spec else str(name)


def _op_label(op) -> str:
    return str(OP_LABELS.get(op, op))


def _worded(key: str, value, labels: bool) -> str:
    """One parameter of a problem, by machine key (API) or by label (builder page)."""
    if key == "problem":
        return value.text(labels=labels)
    if key == "field":
        return field_label(value) if labels else str(value)
    if key == "value":
        return _json(value)
    if key == "op":
        return _op_label(value) if labels else str(value)
    if key == "allowed" and all(isinstance(item, tuple) for item in value):  # (choice, label) pairs
        return ", ".join(str(label) if labels else json.dumps(choice) for choice, label in value)
    if key == "known" and all(isinstance(item, SegmentField) for item in value):
        names = [str(spec.label) if labels else spec.name for spec in value]
        return ", ".join([*names, str(ATTRIBUTE_FIELD.label) if labels else "attributes.<key>"])
    if key in ("allowed", "known"):  # operators
        return ", ".join(_op_label(op) if labels else op for op in value)
    return str(value)


def _attribute_key(name: str) -> str:
    """The key of an `attributes.<key>` field, cleaned by the one attribute-key rule."""
    try:
        return clean_attribute_key(name[len(ATTRIBUTE_PREFIX) :])
    except ValidationError as error:
        raise _RuleError(gettext_noop('"%(field)s": %(rule)s'), field=name, rule=error.messages[0]) from None


def field_for(name) -> SegmentField:
    if not isinstance(name, str) or not name:
        raise _RuleError(gettext_noop("a field is required"))
    if name.startswith(ATTRIBUTE_PREFIX):
        _attribute_key(name)
        return ATTRIBUTE_FIELD
    try:
        return FIELDS[name]
    except KeyError:
        raise _RuleError(
            gettext_noop('unknown field "%(field)s" (known fields: %(known)s)'),
            field=name,
            known=tuple(FIELDS.values()),
        ) from None


_NEEDS_VALUE = gettext_noop('"%(field)s" needs a value')
_OUT_OF_RANGE = gettext_noop('"%(field)s": %(value)s is out of range')


def _integer(value, name):
    message = gettext_noop('"%(field)s" needs a whole number, not %(value)s')
    if isinstance(value, bool):
        raise _RuleError(message, field=name, value=value)
    if isinstance(value, str):
        value = value.strip()
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise _RuleError(message, field=name, value=value)
    if abs(number) > 10**12:
        raise _RuleError(_OUT_OF_RANGE, field=name, value=value)
    return int(number)


def _number(value, name):
    message = gettext_noop('"%(field)s" needs a number, not %(value)s')
    if isinstance(value, bool):
        raise _RuleError(message, field=name, value=value)
    if isinstance(value, str):
        value = value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number):
        raise _RuleError(message, field=name, value=value)
    if abs(number) > 1e15:
        raise _RuleError(_OUT_OF_RANGE, field=name, value=value)
    return int(number) if number.is_integer() and not isinstance(value, float) else number


def _text(value, name, allow_empty=False):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _RuleError(gettext_noop('"%(field)s" needs a text value'), field=name)
    value = str(value).strip()
    if not value and not allow_empty:
        raise _RuleError(_NEEDS_VALUE, field=name)
    if len(value) > MAX_TEXT:
        raise _RuleError(
            gettext_noop('"%(field)s": the value is longer than %(max)s characters'), field=name, max=MAX_TEXT
        )
    return value


def _boolean(value, name):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _RuleError(gettext_noop('"%(field)s" needs true or false'), field=name)


def _choice(value, name, spec: SegmentField):
    if not isinstance(value, str) or value not in dict(spec.choices):
        raise _RuleError(
            gettext_noop('"%(field)s": %(value)s is not one of %(allowed)s'),
            field=name,
            value=value,
            allowed=spec.choices,
        )
    return value


def _scalar(value, name):
    """A JSON scalar for attribute equality: text, number or true/false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return _number(value, name)
    return _text(value, name)


def _single(spec: SegmentField, op: str, value, name):
    """One value of the right type for `spec` under `op` (not the list ops)."""
    kind = spec.kind
    if value is None or (kind != "choice" and isinstance(value, str) and not value.strip()):  # "" is a choice
        raise _RuleError(_NEEDS_VALUE, field=name)
    if kind in ("days", "age", "integer"):
        number = _integer(value, name)
        if kind in ELAPSED_LIMITS and abs(number) > ELAPSED_LIMITS[kind]:
            raise _RuleError(_OUT_OF_RANGE, field=name, value=value)
        return number
    if kind == "number":
        return _number(value, name)
    if kind == "choice":
        return _choice(value, name, spec)
    if kind in ("text", "tags"):
        return _text(value, name)
    if kind == "flag":
        return _boolean(value, name)
    if kind == "attribute":
        if op in ("lt", "lte", "gt", "gte", "between"):
            return _number(value, name)
        if op == "contains":
            return _text(value, name)
        return _scalar(value, name)
    raise AssertionError(kind)


def _value(spec: SegmentField, op: str, value, name):
    if op == "exists":
        return True if value is None else _boolean(value, name)
    if op == "in":
        if not isinstance(value, (list, tuple)) or not value:
            raise _RuleError(gettext_noop('"%(field)s" with "in" needs a non-empty list of values'), field=name)
        if len(value) > MAX_IN_VALUES:
            raise _RuleError(
                gettext_noop('"%(field)s": at most %(max)s values in a list'), field=name, max=MAX_IN_VALUES
            )
        return list(dict.fromkeys(_single(spec, op, item, name) for item in value))
    if op == "between":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise _RuleError(gettext_noop('"%(field)s" with "between" needs two values [low, high]'), field=name)
        low, high = (_single(spec, op, item, name) for item in value)
        if low > high:
            raise _RuleError(
                gettext_noop('"%(field)s": the low value %(low)s is above the high value %(high)s'),
                field=name,
                low=low,
                high=high,
            )
        return [low, high]
    if op == "contains" and spec.kind == "tags" and isinstance(value, (list, tuple)):
        if not value:
            raise _RuleError(_NEEDS_VALUE, field=name)
        return list(dict.fromkeys(_text(item, name) for item in value))
    return _single(spec, op, value, name)


def _validate_rule(rule) -> dict:
    if not isinstance(rule, dict):
        raise _RuleError(gettext_noop("a rule must be an object with field, op and value"))
    name = rule.get("field")
    spec = field_for(name)
    op = rule.get("op")
    if op not in ALL_OPS:
        raise _RuleError(
            gettext_noop('unknown operator %(op)s for "%(field)s" (known operators: %(known)s)'),
            op=_json(op),
            field=name,
            known=ALL_OPS,
        )
    if op not in spec.ops:
        raise _RuleError(
            gettext_noop('operator "%(op)s" cannot be used with "%(field)s" (allowed: %(allowed)s)'),
            op=op,
            field=name,
            allowed=spec.ops,
        )
    if spec.kind == "attribute":
        name = ATTRIBUTE_PREFIX + _attribute_key(name)
    return {"field": name, "op": op, "value": _value(spec, op, rule.get("value"), name)}


def _validate_group(group, problems: list, path: str, depth: int) -> dict:
    if group in (None, ""):
        group = {}
    if not isinstance(group, dict):
        problems.append(Problem(gettext_noop('criteria must be an object {"match": "all"|"any", "rules": [...]}')))
        return {"match": "all", "rules": []}
    unknown_keys = set(group) - {"match", "rules"}
    if unknown_keys:
        problems.append(
            Problem(
                gettext_noop("unknown key(s) in criteria: %(keys)s"),
                {"keys": ", ".join(sorted(map(str, unknown_keys)))},
            )
        )
    match = group.get("match", "all")
    if match not in MATCH_MODES:
        problems.append(Problem(gettext_noop('"match" must be "all" or "any", not %(value)s'), {"value": match}))
        match = "all"
    rules = group.get("rules", [])
    if not isinstance(rules, list):
        problems.append(Problem(gettext_noop('"rules" must be a list')))
        return {"match": match, "rules": []}
    if len(rules) > MAX_RULES:
        problems.append(Problem(gettext_noop("at most %(max)s rules"), {"max": MAX_RULES}))
        return {"match": match, "rules": []}
    clean = []
    for index, rule in enumerate(rules, start=1):
        label = f"{path}{index}"
        if isinstance(rule, dict) and "rules" in rule and "field" not in rule:
            if depth >= MAX_DEPTH:
                problems.append(
                    Problem(
                        gettext_noop("rule %(n)s: groups can be nested at most %(max)s levels deep"),
                        {"n": label, "max": MAX_DEPTH},
                    )
                )
                continue
            clean.append(_validate_group(rule, problems, f"{label}.", depth + 1))
            continue
        try:
            clean.append(_validate_rule(rule))
        except _RuleError as error:
            problems.append(Problem(gettext_noop("rule %(n)s: %(problem)s"), {"n": label, "problem": error.problem}))
    return {"match": match, "rules": clean}


def criteria_problems(criteria) -> list[Problem]:
    """Every problem of the criteria (none when they are valid)."""
    problems: list[Problem] = []
    _validate_group(criteria, problems, "", 1)
    return problems


def validate_criteria(criteria) -> dict:
    """The criteria, checked and normalized (values coerced to their types). Raises
    ValidationError with one message per problem, each naming the rule, field, operator or value
    by its machine key (the API's contract; pages word them with page_errors)."""
    problems: list[Problem] = []
    clean = _validate_group(criteria, problems, "", 1)
    if problems:
        raise ValidationError([problem.text() for problem in problems])
    return clean


def page_errors(criteria) -> list[str]:
    """The problems of the criteria as the builder page shows them: fields, operators and choices
    by their labels in the user's language."""
    return [problem.text(labels=True) for problem in criteria_problems(criteria)]


# ---------------------------------------------------------------- compilation


class AttributeCondition(Func):
    """A test on one key of Customer.attributes, as SQL that never fails on mixed value types:
    numeric comparisons only see JSON numbers, equality uses containment (@>, GIN-indexable)."""

    output_field = BooleanField()

    def __init__(self, key: str, op: str, value):
        super().__init__(F("attributes"))
        self.key, self.op, self.value = key, op, value

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        key, op, value = self.key, self.op, self.value

        def contains(scalar):
            return f"{column} @> %s::jsonb", [json.dumps({key: scalar}, ensure_ascii=False)]

        if op == "exists":
            sql, sql_params = f"jsonb_exists({column}, %s)", [key]
            if not value:
                sql = f"NOT {sql}"
        elif op == "eq":
            sql, sql_params = contains(value)
        elif op == "in":
            parts = [contains(item) for item in value]
            sql = "(" + " OR ".join(part for part, _params in parts) + ")"
            sql_params = [p for _part, part_params in parts for p in part_params]
        elif op == "ne":
            eq_sql, eq_params = contains(value)
            sql, sql_params = f"(jsonb_exists({column}, %s) AND NOT {eq_sql})", [key, *eq_params]
        elif op == "contains":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql, sql_params = f"({column} ->> %s) ILIKE %s", [key, f"%{escaped}%"]
        else:
            number, number_params = attribute_number_sql(column, key)
            if op == "between":
                sql = f"{number} BETWEEN %s AND %s"
                sql_params = [*number_params, Decimal(str(value[0])), Decimal(str(value[1]))]
            else:
                operator = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
                sql, sql_params = f"{number} {operator} %s", [*number_params, Decimal(str(value))]
        if params:  # a plain column reference has none; keep the parameter order simple
            raise ValueError("the attributes column compiled with parameters")
        return f"({sql})", sql_params


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def _interval(op: str, value) -> tuple:
    """(low, high) inclusive bounds on a whole-number quantity; None = unbounded."""
    if op == "eq":
        return value, value
    if op == "gte":
        return value, None
    if op == "gt":
        return value + 1, None
    if op == "lte":
        return None, value
    if op == "lt":
        return None, value - 1
    if op == "between":
        return value[0], value[1]
    raise AssertionError(op)


def _elapsed_q(spec: SegmentField, op: str, value, at) -> Q:
    """days/age rules: a whole-number quantity that decreases as the stored column increases,
    turned into bounds on the column so its index can be used."""
    column = spec.column
    if spec.kind == "days":

        def bound(n):  # quantity >= n  <=>  column <= bound(n)
            return at - timedelta(days=n)
    else:
        today = timezone.localdate(at)

        def bound(n):
            return _years_before(today, n)

    def between(low, high) -> Q:
        q = Q(**{f"{column}__isnull": False})
        if low is not None:
            q &= Q(**{f"{column}__lte": bound(low)})
        if high is not None:
            q &= Q(**{f"{column}__gt": bound(high + 1)})
        return q

    if op == "in":
        q = Q(pk__in=[])
        for item in value:
            q |= between(item, item)
        return q
    if op == "ne":
        return Q(**{f"{column}__isnull": False}) & ~between(value, value)
    return between(*_interval(op, value))


def _rule_q(rule: dict, at) -> Q:
    name, op, value = rule["field"], rule["op"], rule["value"]
    spec = field_for(name)
    column = spec.column
    if op == "exists":
        if spec.kind == "attribute":
            return Q(AttributeCondition(name[len(ATTRIBUTE_PREFIX) :], op, value))
        if spec.kind == "tags":
            present = ~Q(tags=[])
        elif spec.nullable:
            present = Q(**{f"{column}__isnull": False})
        else:
            present = ~Q(**{column: ""})
        return present if value else ~present
    if spec.kind == "attribute":
        return Q(AttributeCondition(name[len(ATTRIBUTE_PREFIX) :], op, value))
    if spec.kind in ("days", "age"):
        return _elapsed_q(spec, op, value, at)
    if spec.kind == "flag":
        is_null = Q(**{f"{column}__isnull": True})
        wanted = value if op == "eq" else not value
        return is_null if wanted else ~is_null
    if spec.kind == "tags":
        if op == "eq":
            return Q(tags__contains=[value])
        if op == "ne":
            return ~Q(tags__contains=[value])
        if op == "in":
            return Q(tags__overlap=value)
        if op == "contains":
            return Q(tags__contains=value if isinstance(value, list) else [value])
    if op == "eq":
        return Q(**{column: value})
    if op == "ne":
        q = ~Q(**{column: value})
        return Q(**{f"{column}__isnull": False}) & q if spec.nullable else q
    if op == "in":
        return Q(**{f"{column}__in": value})
    if op == "between":
        return Q(**{f"{column}__gte": value[0], f"{column}__lte": value[1]})
    if op == "contains":
        return Q(**{f"{column}__icontains": value})
    return Q(**{f"{column}__{op}": value})


def _group_q(group: dict, at) -> Q:
    parts = [_group_q(rule, at) if "rules" in rule else _rule_q(rule, at) for rule in group["rules"]]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if group["match"] == "all" else combined | part
    return combined


def criteria_q(criteria, *, at=None) -> Q:
    """The criteria as a Q over Customer (validated first; raises ValidationError)."""
    clean = validate_criteria(criteria)
    return _group_q(clean, at or timezone.now())


def customers_matching(criteria, *, at=None) -> QuerySet:
    """Customers matching the criteria at time `at` (default now): a plain queryset."""
    return Customer.objects.filter(criteria_q(criteria, at=at))


# ---------------------------------------------------------------- description (UI, exports)


def _format_value(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_format_value(item) for item in value)
    return str(value)


def describe_rule(rule: dict) -> str:
    if "rules" in rule:
        return "(" + describe_criteria(rule) + ")"
    name = rule.get("field", "")
    try:
        spec = field_for(name)
    except _RuleError:
        return str(name)
    label = f"{spec.label}: {name[len(ATTRIBUTE_PREFIX) :]}" if spec.kind == "attribute" else str(spec.label)
    op = rule.get("op", "")
    value = rule.get("value")
    if spec.kind == "choice":
        names = dict(spec.choices)
        values = value if isinstance(value, list) else [value]
        value = ", ".join(str(names.get(v, v)) for v in values)
    if op == "exists":
        return RULE_SENTENCES["exists" if value in (True, None) else "not_exists"] % {"field": label}
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return RULE_SENTENCES["between"] % {"field": label, "low": value[0], "high": value[1]}
    if op in RULE_SENTENCES:
        return RULE_SENTENCES[op] % {"field": label, "value": _format_value(value)}
    return f"{label} {op} {_format_value(value)}"


def describe_criteria(criteria) -> str:
    if not isinstance(criteria, dict) or not criteria.get("rules"):
        return _("All customers")
    joiner = _(" and ") if criteria.get("match", "all") == "all" else _(" or ")
    return joiner.join(describe_rule(rule) for rule in criteria["rules"])


def builder_schema() -> dict:
    """Field and operator metadata for the segment builder page (rendered as JSON)."""
    fields = []
    for spec in [*FIELDS.values(), ATTRIBUTE_FIELD]:
        fields.append(
            {
                "name": spec.name,
                "label": str(spec.label),
                "group": str(spec.group),
                "kind": spec.kind,
                "ops": list(spec.ops),
                "choices": [[value, str(label)] for value, label in spec.choices],
            }
        )
    return {"fields": fields, "ops": {op: str(label) for op, label in OP_LABELS.items()}}
