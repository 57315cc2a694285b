"""The flow of one script version as a graph: where each step leads, what a publish must refuse,
the outline shown in the editor, and the path a call takes given the answers so far.

Pure functions over loaded rows (no writes). The console's script_walk.js follows the same rules
for moving forward (`next_key`, `rule_matches`); keep the two in step."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter import call_outcomes
from contacts.attributes import is_attribute_key

from .models import Step
from .placeholders import unknown_placeholders

RULE_OPS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "lt": gettext_lazy("is less than"),
    "lte": gettext_lazy("is at most"),
    "gt": gettext_lazy("is more than"),
    "gte": gettext_lazy("is at least"),
    "in": gettext_lazy("is one of (comma separated)"),
    "contains": gettext_lazy("contains"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
}
OPS_WITHOUT_VALUE = {"empty", "not_empty"}

# Customer facts a branch may test (source "customer:<name>", or "customer:attributes.<key>").
CUSTOMER_FIELDS = {
    "purchase_count": gettext_lazy("Number of purchases"),
    "total_spent": gettext_lazy("Total spent"),
    "last_purchase_days": gettext_lazy("Days since last purchase"),
    "registered_days": gettext_lazy("Days since registration"),
    "age": gettext_lazy("Age"),
    "gender": gettext_lazy("Gender"),
    "prefecture": gettext_lazy("Prefecture"),
    "subscription_status": gettext_lazy("Subscription status"),
    "tags": gettext_lazy("Tags"),
    "mail_open_rate": gettext_lazy("Mail open rate"),
    "attempt_count": gettext_lazy("Calls so far"),
    "consecutive_no_contact": gettext_lazy("No contact in a row"),
    "last_disposition": gettext_lazy("Last outcome"),
    "last_reaction": gettext_lazy("Last reaction"),
}
ATTRIBUTE_PREFIX = "attributes."

UNKNOWN = object()  # a branch on a customer fact when no customer is known


@dataclass
class Edge:
    label: str
    target: Step | None  # None: the link points outside this version (dangling) or nowhere
    target_key: str = ""
    kind: str = "next"  # next | choice | rule | otherwise


@dataclass
class Problem:
    message: str
    step_key: str = ""


@dataclass
class OutlineNode:
    step: Step
    edges: list = field(default_factory=list)  # [(label, OutlineNode | "seen" key | None)]
    repeat: bool = False


def customer_facts(customer) -> dict:
    """The whitelisted customer facts branches may test, computed once per call."""
    if customer is None:
        return {}
    now = timezone.now()

    def days_since(value):
        return (now - value).days if value else None

    return {
        "purchase_count": customer.purchase_count,
        "total_spent": float(customer.total_spent or 0),
        "last_purchase_days": days_since(customer.last_purchase_at),
        "registered_days": days_since(customer.registered_at),
        "age": customer.age(),
        "gender": customer.gender,
        "prefecture": customer.prefecture,
        "subscription_status": customer.subscription_status,
        "tags": list(customer.tags or []),
        "mail_open_rate": customer.mail_open_rate,
        "attempt_count": customer.attempt_count,
        "consecutive_no_contact": customer.consecutive_no_contact,
        "last_disposition": customer.last_disposition,
        "last_reaction": customer.last_reaction,
        "attributes": dict(customer.attributes or {}),
    }


def customer_value(facts: dict, name: str):
    if name.startswith(ATTRIBUTE_PREFIX):
        return (facts.get("attributes") or {}).get(name[len(ATTRIBUTE_PREFIX) :])
    return facts.get(name)


def is_valid_customer_field(name: str) -> bool:
    return name in CUSTOMER_FIELDS or (
        name.startswith(ATTRIBUTE_PREFIX) and is_attribute_key(name[len(ATTRIBUTE_PREFIX) :])
    )


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value is False


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def _equals(value, target) -> bool:
    left, right = _number(value), _number(target)
    if left is not None and right is not None:
        return left == right
    return str(value).strip() == str(target).strip()


def compare(op: str, value, target) -> bool:
    """One branch condition. Lists (multiple choice, tags) match when any element matches."""
    if op == "empty":
        return is_empty(value)
    if op == "not_empty":
        return not is_empty(value)
    if op == "ne":
        return not compare("eq", value, target)
    if is_empty(value):
        return False
    if isinstance(value, list):
        if op in ("eq", "contains"):
            return any(_equals(item, target) for item in value)
        if op == "in":
            return any(compare("in", item, target) for item in value)
        return False
    if op == "eq":
        return _equals(value, target)
    if op == "in":
        return any(_equals(value, item) for item in str(target).split(",") if item.strip())
    if op == "contains":
        return str(target).strip().lower() in str(value).lower()
    if op in ("lt", "lte", "gt", "gte"):
        left, right = _number(value), _number(target)
        if left is None or right is None:
            if isinstance(value, (date, datetime)):
                value = value.isoformat()
            left, right = str(value), str(target).strip()  # ISO dates compare as text
        return {"lt": left < right, "lte": left <= right, "gt": left > right, "gte": left >= right}[op]
    return False


def rule_matches(rule: dict, answers: dict, facts: dict | None):
    """True/False, or UNKNOWN when the rule tests the customer and no customer is known."""
    source = str(rule.get("source", ""))
    kind, _sep, name = source.partition(":")
    if kind == "answer":
        value = answers.get(name)
    elif kind == "customer":
        if facts is None:
            return UNKNOWN
        value = customer_value(facts, name)
    else:
        return False
    return compare(str(rule.get("op", "")), value, rule.get("value", ""))


def rule_label(rule: dict, flow: "Flow | None" = None) -> str:
    source = str(rule.get("source", ""))
    kind, _sep, name = source.partition(":")
    if kind == "answer":
        step = flow.by_key.get(name) if flow else None
        subject = _("answer to %(step)s") % {"step": step.title or name if step else name}
    elif kind == "customer":
        label = CUSTOMER_FIELDS.get(name)
        subject = str(label) if label else name
    else:
        subject = source
    op = str(RULE_OPS.get(rule.get("op"), rule.get("op", "")))
    value = "" if rule.get("op") in OPS_WITHOUT_VALUE else f" {rule.get('value', '')}"
    return f"{subject} {op}{value}"


class Flow:
    """A version's steps with their links, loaded once."""

    def __init__(self, version, steps=None):
        self.version = version
        if steps is None:
            steps = list(version.steps.prefetch_related("choices").order_by("position", "id"))
        self.steps = steps
        self.by_id = {step.id: step for step in steps}
        self.by_key = {step.key: step for step in steps}
        self.start = self.by_id.get(version.start_step_id)

    # ------------------------------------------------------------ links
    def _target(self, step_id):
        return self.by_id.get(step_id) if step_id else None

    def edges(self, step: Step) -> list[Edge]:
        edges = []
        if step.kind == Step.Kind.END:
            return edges
        if step.kind == Step.Kind.BRANCH:
            for rule in step.branch_rules or []:
                key = str(rule.get("next", ""))
                edges.append(Edge(rule_label(rule, self), self.by_key.get(key), key, "rule"))
            if step.next_step_id:
                edges.append(Edge(_("otherwise"), self._target(step.next_step_id), kind="otherwise"))
            return edges
        if step.kind == Step.Kind.QUESTION and step.answer_type == Step.AnswerType.SINGLE:
            for choice in step.choices.all():
                if choice.next_step_id:
                    edges.append(Edge(choice.label, self._target(choice.next_step_id), kind="choice"))
        if step.next_step_id:
            edges.append(Edge(_("next"), self._target(step.next_step_id)))
        return edges

    def successors(self, step: Step) -> list[Step]:
        return [edge.target for edge in self.edges(step) if edge.target is not None]

    def reachable_from(self, start: Step | None) -> set[int]:
        seen: set[int] = set()
        stack = [start] if start else []
        while stack:
            step = stack.pop()
            if step.id in seen:
                continue
            seen.add(step.id)
            stack.extend(self.successors(step))
        return seen

    def reachable(self) -> set[int]:
        return self.reachable_from(self.start)

    def can_finish(self) -> set[int]:
        """Ids of steps from which some end step can be reached."""
        predecessors: dict[int, list[Step]] = {step.id: [] for step in self.steps}
        for step in self.steps:
            for target in self.successors(step):
                predecessors[target.id].append(step)
        finished = {step.id for step in self.steps if step.kind == Step.Kind.END}
        stack = [self.by_id[i] for i in finished]
        while stack:
            for previous in predecessors[stack.pop().id]:
                if previous.id not in finished:
                    finished.add(previous.id)
                    stack.append(previous)
        return finished

    # ------------------------------------------------------------ validation
    def problems(self) -> list[Problem]:
        """Everything that makes this version unfit to publish; empty when it may be published."""
        problems: list[Problem] = []
        if not self.steps:
            return [Problem(_("The script has no steps yet."))]
        if self.version.start_step_id is None:
            problems.append(Problem(_("Choose the opening step (the step the call starts with).")))
        elif self.start is None:
            problems.append(Problem(_("The opening step belongs to another version.")))

        disclosures = [step for step in self.steps if step.is_disclosure]
        if len(disclosures) > 1:
            problems.append(Problem(_("Only one step can be the mandatory disclosure.")))
        for step in disclosures:
            if self.start is not None and step.id != self.start.id:
                problems.append(
                    Problem(_("The mandatory disclosure must be the opening step, before any pitch."), step.key)
                )
            if step.kind != Step.Kind.SAY:
                problems.append(Problem(_("The mandatory disclosure must be a “say” step."), step.key))

        for step in self.steps:
            problems.extend(self._step_problems(step))
        problems.extend(self._suggestion_problems())

        reachable = self.reachable()
        if self.start is not None:
            for step in self.steps:
                if step.id not in reachable:
                    problems.append(Problem(_("No path from the opening step leads to this step."), step.key))
        finishing = self.can_finish()
        for step in self.steps:
            if step.id in reachable and step.id not in finishing and step.kind != Step.Kind.END:
                problems.append(Problem(_("From this step the call can never reach an end step."), step.key))
        return problems

    def _suggestion_problems(self) -> list[Problem]:
        """End steps must suggest an outcome operators can pick. The editor offers only those, but
        an imported file may name any code (or one retired since)."""
        suggested = {step.suggested_disposition for step in self.steps if step.suggested_disposition}
        if not suggested:
            return []
        in_use = call_outcomes.dispositions()  # outcomes belong to campaigns, above scripts
        return [
            Problem(
                _("The suggested outcome “%(code)s” is not an outcome in use.") % {"code": step.suggested_disposition},
                step.key,
            )
            for step in self.steps
            if step.suggested_disposition and step.suggested_disposition not in in_use
        ]

    def _step_problems(self, step: Step) -> list[Problem]:
        out = []

        def add(message):
            out.append(Problem(message, step.key))

        texts = [step.title, step.text]
        for link_id in [step.next_step_id] + [c.next_step_id for c in step.choices.all()]:
            if link_id and link_id not in self.by_id:
                add(_("A link points to a step that is not in this version."))
        if step.kind == Step.Kind.SAY and not step.next_step_id:
            add(_("This step leads nowhere: choose the next step or make it an end step."))
        if step.kind == Step.Kind.QUESTION:
            choices = list(step.choices.all())
            texts.extend(choice.label for choice in choices)
            if not step.answer_type:
                add(_("Choose the answer type of this question."))
            if step.answer_type in (Step.AnswerType.SINGLE, Step.AnswerType.MULTIPLE):
                if len(choices) < 2:
                    add(_("A choice question needs at least two choices."))
                values = [choice.value for choice in choices]
                if len(set(values)) != len(values):
                    add(_("Two choices have the same value."))
            elif choices:
                add(_("Only single and multiple choice questions have choices."))
            if step.answer_type == Step.AnswerType.SINGLE:
                if not step.next_step_id and any(not choice.next_step_id for choice in choices):
                    add(_("A choice leads nowhere: link every choice or set the next step."))
            else:
                if not step.next_step_id:
                    add(_("This step leads nowhere: choose the next step or make it an end step."))
                for choice in choices if step.answer_type == Step.AnswerType.MULTIPLE else []:
                    if choice.next_step_id:  # the walk follows only the step's next step here
                        add(
                            _(
                                "Only single choice answers lead to a step of their own: remove the link from "
                                "“%(choice)s”, or add a branch step after this question."
                            )
                            % {"choice": choice.label}
                        )
        if step.kind == Step.Kind.BRANCH:
            rules = step.branch_rules or []
            if not rules:
                add(_("A branch needs at least one rule."))
            if not step.next_step_id:
                add(_("A branch needs an “otherwise” step for when no rule matches."))
            for rule in rules:
                out.extend(Problem(message, step.key) for message in self._rule_problems(step, rule))
        for text in texts:
            for name in unknown_placeholders(text):
                add(_("Unknown placeholder {{ %(name)s }}.") % {"name": name})
        return out

    def _rule_problems(self, step: Step, rule) -> list[str]:
        if not isinstance(rule, dict):
            return [_("A branch rule is malformed.")]
        problems = []
        kind, _sep, name = str(rule.get("source", "")).partition(":")
        if kind == "answer":
            question = self.by_key.get(name)
            if question is None or question.kind != Step.Kind.QUESTION:
                problems.append(_("A rule tests “%(name)s”, which is not a question of this version.") % {"name": name})
            elif step.id not in self.reachable_from(question) or question.id == step.id:
                problems.append(
                    _("A rule tests the answer to “%(name)s”, which is never asked before this branch.")
                    % {"name": name}
                )
        elif kind == "customer":
            if not is_valid_customer_field(name):
                problems.append(_("A rule tests an unknown customer field “%(name)s”.") % {"name": name})
        else:
            problems.append(_("A rule has no source."))
        op = rule.get("op")
        if op not in RULE_OPS:
            problems.append(_("A rule has an unknown comparison."))
        elif op not in OPS_WITHOUT_VALUE and str(rule.get("value", "")).strip() == "":
            problems.append(_("A rule needs a value to compare with."))
        target = str(rule.get("next", ""))
        if not target:
            problems.append(_("A rule does not say which step comes next."))
        elif target not in self.by_key:
            problems.append(_("A rule leads to “%(key)s”, which is not a step of this version.") % {"key": target})
        return problems

    # ------------------------------------------------------------ outline
    def outline(self) -> OutlineNode | None:
        """A tree from the opening step; a step met again is shown as a reference, not repeated."""
        if self.start is None:
            return None
        seen: set[int] = set()

        def build(step):
            seen.add(step.id)
            node = OutlineNode(step)
            for edge in self.edges(step):
                if edge.target is None:
                    node.edges.append((edge, None))
                elif edge.target.id in seen:
                    node.edges.append((edge, OutlineNode(edge.target, repeat=True)))
                else:
                    node.edges.append((edge, build(edge.target)))
            return node

        return build(self.start)

    def unreachable_steps(self) -> list[Step]:
        reachable = self.reachable()
        return [step for step in self.steps if step.id not in reachable]

    # ------------------------------------------------------------ walking
    def next_step(self, step: Step, answers: dict, facts: dict | None):
        """The step after `step` given the answers: a Step, None (the end) or UNKNOWN."""
        if step.kind == Step.Kind.END:
            return None
        if step.kind == Step.Kind.BRANCH:
            for rule in step.branch_rules or []:
                result = rule_matches(rule, answers, facts)
                if result is UNKNOWN:
                    return UNKNOWN
                if result:
                    return self.by_key.get(str(rule.get("next", "")))
            return self._target(step.next_step_id)
        if step.kind == Step.Kind.QUESTION and step.answer_type == Step.AnswerType.SINGLE:
            answer = answers.get(step.key)
            for choice in step.choices.all():
                if not is_empty(answer) and str(answer) == choice.value and choice.next_step_id:
                    return self._target(choice.next_step_id)
        return self._target(step.next_step_id)

    def path(self, answers: dict, facts: dict | None) -> list[Step]:
        """The steps a call passes given its answers, from the opening step until the end, a loop,
        or a branch that cannot be decided without the customer."""
        path = []
        seen = set()
        step = self.start
        while isinstance(step, Step) and step.id not in seen:
            seen.add(step.id)
            path.append(step)
            step = self.next_step(step, answers, facts)
        return path

    def walk_config(self, facts: dict) -> dict:
        """What script_walk.js needs to move through the steps. Customer rules are decided here,
        so no customer data is sent to the browser beyond what the text shows."""
        steps = {}
        for step in self.steps:
            rules = []
            for rule in step.branch_rules or []:
                rule = dict(rule)
                if str(rule.get("source", "")).startswith("customer:"):
                    rules.append({"fixed": bool(rule_matches(rule, {}, facts)), "next": rule.get("next", "")})
                else:
                    rules.append({k: rule.get(k, "") for k in ("source", "op", "value", "next")})
            steps[step.key] = {
                "kind": step.kind,
                "answer_type": step.answer_type,
                "required": step.required,
                "disclosure": step.is_disclosure,
                "next": self.by_id[step.next_step_id].key if step.next_step_id in self.by_id else None,
                "choices": [
                    {
                        "value": choice.value,
                        "next": self.by_id[choice.next_step_id].key if choice.next_step_id in self.by_id else None,
                    }
                    for choice in step.choices.all()
                ],
                "rules": rules,
                "suggested": step.suggested_disposition,
            }
        return {
            "version": self.version.id,
            "start": self.start.key if self.start else None,
            "steps": steps,
        }
