"""Creating and changing people's accounts with what they work on: a role, the campaigns an
operator works or a client viewer sees, an operator's skills. The users page, its CSV import and
the API (/api/v1/users/) all come here; who may do what to whom is callcenter.people's rule."""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from callcenter import people, roles
from callcenter.audit import record_event
from callcenter.uniqueness import save_keeping_unique
from campaigns.models import Campaign, OperatorProfile
from campaigns.services.campaigns import set_operator_skills

MAX_SKILL_LENGTH = 50
MAX_NAME_PART = 150
# Roles whose accounts are given campaigns: an operator works them, a client viewer sees their KPIs.
CAMPAIGN_ROLES = (roles.OPERATOR, roles.CLIENT_VIEWER)
IMPORT_MAX_ROWS = 1000


def clean_skills(raw) -> list[str]:
    """Skill tags from a list or from text separated by commas (、 too): trimmed, unique, sorted."""
    if isinstance(raw, str):
        raw = raw.replace("、", ",").split(",")
    tags = sorted({str(tag).strip() for tag in raw if str(tag).strip()})
    if any(len(tag) > MAX_SKILL_LENGTH for tag in tags):
        raise ValidationError({"skills": [_("A skill tag has at most 50 characters.")]})
    return tags


def campaigns_of(user, role: str | None = None):
    """The campaigns the account works (operator) or sees (client viewer)."""
    role = role or people.role_of(user)
    if role == roles.CLIENT_VIEWER:
        return user.client_campaigns.all()
    return user.operator_campaigns.all()


def skills_of(user) -> list[str]:
    profile = OperatorProfile.objects.filter(user=user).first()
    return list(profile.skills) if profile else []


@dataclass
class AccountChange:
    """What a request asks of an account; None means "leave as it is"."""

    username: str | None = None
    name: str | None = None
    role: str | None = None
    password: str | None = None
    campaigns: list | None = None
    skills: list[str] | None = None
    is_active: bool | None = None
    reset_password: bool = False  # a new temporary password, shown once


def _check(change: AccountChange, *, by, user) -> None:
    """Every problem of the request at once, {field: [messages]}."""
    errors: dict[str, list[str]] = {}
    User = get_user_model()
    creating = user is None
    if creating and not change.username:
        errors["username"] = [_("Give a username.")]
    if change.username is not None and change.username != (user.username if user else None):
        try:
            UnicodeUsernameValidator()(change.username)
        except ValidationError as error:
            errors.setdefault("username", []).extend(error.messages)
        if len(change.username) > 150:
            errors.setdefault("username", []).append(_("At most 150 characters."))
        taken = User.objects.filter(username__iexact=change.username)
        if user is not None:
            taken = taken.exclude(pk=user.pk)
        if taken.exists():
            errors.setdefault("username", []).append(_("This username is taken."))
    if change.name is not None and any(len(part) > MAX_NAME_PART for part in people.split_name(change.name)):
        errors["name"] = [_("At most 150 characters for the family name and for the given name.")]
    if creating and not change.role:
        errors["role"] = [_("Choose a role.")]
    if change.role is not None:
        if change.role not in people.ASSIGNABLE_ROLES:
            errors["role"] = [_("One of %(values)s.") % {"values": ", ".join(people.ASSIGNABLE_ROLES)}]
        elif not people.may_grant(by, change.role):
            errors["role"] = [_("You cannot give a role above your own.")]
        elif user is not None and user.pk == by.pk and change.role != people.role_of(user):
            errors["role"] = [_("You cannot change your own role.")]
    role = change.role if change.role is not None else (people.role_of(user) if user else None)
    if change.campaigns and role not in CAMPAIGN_ROLES:
        errors["campaigns"] = [_("Only operators and client viewers are given campaigns.")]
    if change.skills and role != roles.OPERATOR:
        errors["skills"] = [_("Only operators have skills.")]
    if change.password:
        probe = user or User(username=change.username or "")
        if change.name is not None:
            probe.last_name, probe.first_name = people.split_name(change.name)
        try:
            password_validation.validate_password(change.password, probe)
        except ValidationError as error:
            errors["password"] = error.messages
    if change.is_active is False and user is not None and user.pk == by.pk:
        errors["is_active"] = [_("You cannot deactivate your own account.")]
    if errors:
        raise ValidationError(errors)


def _apply_campaigns(user, *, role: str, campaigns) -> list[int]:
    ids = [campaign.pk for campaign in campaigns]
    if role == roles.CLIENT_VIEWER:
        user.client_campaigns.set(ids)
    else:
        user.operator_campaigns.set(ids)
    return sorted(ids)


@transaction.atomic
def create_account(*, by, change: AccountChange) -> tuple:
    """A new account; returns (user, the temporary password made for it or None). Someone else
    chose its first password either way, so its owner changes it at the first sign-in."""
    change.skills = clean_skills(change.skills or [])
    _check(change, by=by, user=None)
    User = get_user_model()
    user = User(username=change.username)
    user.last_name, user.first_name = people.split_name(change.name or "")
    temporary = None if change.password else people.temporary_password()
    user.set_password(change.password or temporary)
    save_keeping_unique(user, field="username", message=_("This username is taken."))
    people.set_role(user, change.role)
    campaign_ids = _apply_campaigns(user, role=change.role, campaigns=change.campaigns or [])
    if change.role == roles.OPERATOR:
        OperatorProfile.objects.create(user=user, skills=change.skills)
    people.require_password_change(user, by=by)
    record_event(
        actor=by,
        action=people.CREATED,
        target=user,
        summary=f"{user.username} ({change.role})",
        role=change.role,
        campaigns=campaign_ids,
        skills=change.skills,
    )
    return user, temporary


@transaction.atomic
def update_account(*, by, user, change: AccountChange) -> tuple:
    """Change what the request names; returns (user, the temporary password of a reset or None).
    The account row is locked: two supervisors editing it at once apply one after the other."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    people.check_may_change(by, user)
    if change.skills is not None:
        change.skills = clean_skills(change.skills)
    _check(change, by=by, user=user)
    changed: dict = {}
    if change.username is not None and change.username != user.username:
        changed["username"] = [user.username, change.username]
        user.username = change.username
    if change.name is not None and people.split_name(change.name) != (user.last_name, user.first_name):
        changed["name"] = [people.full_name(user), change.name.strip()]
        user.last_name, user.first_name = people.split_name(change.name)
    if changed:
        save_keeping_unique(
            user,
            field="username",
            message=_("This username is taken."),
            update_fields=["username", "last_name", "first_name"],
        )
    role = people.role_of(user)
    if change.role is not None and change.role != role:
        changed["role"] = [role, change.role]
        people.set_role(user, change.role)
        role = change.role
    if change.campaigns is not None:
        before = sorted(campaigns_of(user, role).values_list("pk", flat=True))
        after = _apply_campaigns(user, role=role, campaigns=change.campaigns)
        if before != after:
            changed["campaigns"] = [before, after]
    if change.skills is not None and change.skills != skills_of(user):
        changed["skills"] = [skills_of(user), change.skills]
        set_operator_skills(operator=user, skills=change.skills, by=by)
    if changed:
        record_event(
            actor=by,
            action=people.UPDATED,
            target=user,
            summary=f"{user.username}: {', '.join(changed)}",
            changes=changed,
        )
    temporary = None
    if change.reset_password:
        temporary = people.set_password_for(user, by=by)
    elif change.password:
        people.set_password_for(user, by=by, password=change.password)
    if change.is_active is not None:
        people.set_active(user, by=by, active=change.is_active)
    return user, temporary


# ------------------------------------------------------------------ CSV import of many accounts

IMPORT_COLUMNS = {
    "username": ("username", "ユーザー名", "ログインid", "ログイン名"),
    "name": ("name", "氏名", "名前"),
    "role": ("role", "ロール", "役割"),
    "campaigns": ("campaigns", "キャンペーン"),
    "skills": ("skills", "スキル"),
    "password": ("password", "パスワード"),
}
ROLE_WORDS = {
    roles.OPERATOR: ("operator", "オペレーター"),
    roles.SUPERVISOR: ("supervisor", "スーパーバイザー", "sv"),
    roles.MANAGER: ("manager", "マネージャー"),
    roles.CLIENT_VIEWER: ("client_viewer", "client viewer", "クライアント", "クライアント閲覧者"),
    roles.SALES: ("sales", "営業"),
}


@dataclass
class ImportResult:
    created: list = field(default_factory=list)  # (user, temporary password or None)
    errors: list = field(default_factory=list)  # (line, column, value, message)


def _decode(data: bytes) -> str:
    from contacts.imports.reading import ImportFileError, detect_encoding

    try:
        return data.decode(detect_encoding(data, complete=True))
    except (ImportFileError, UnicodeDecodeError) as error:
        raise ValidationError(_("The file is not readable text in UTF-8 or Shift_JIS.")) from error


def _column_of(header: str) -> str | None:
    key = header.strip().lstrip("\ufeff").lower()
    for column, names in IMPORT_COLUMNS.items():
        if key in names:
            return column
    return None


def _role_from(text: str) -> str | None:
    word = text.strip().lower() or roles.OPERATOR
    for role, words in ROLE_WORDS.items():
        if word in words:
            return role
    return None


def import_accounts(*, by, data: bytes) -> ImportResult:
    """Accounts from a CSV (username, name, and optionally role, campaigns separated by ";",
    skills separated by ",", password). All or nothing: a file with any bad row creates no
    account and every problem is listed with its line; else every row is created in one
    transaction, each with a temporary password unless the file gives one."""
    text = _decode(data)
    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] else "excel"
    rows = list(csv.reader(io.StringIO(text), dialect=dialect))
    if not rows:
        raise ValidationError(_("The file is empty."))
    columns = [_column_of(header) for header in rows[0]]
    if "username" not in columns:
        raise ValidationError(_("The first row must name the columns, with at least username (ユーザー名)."))
    body = [(line, cells) for line, cells in enumerate(rows[1:], start=2) if any(cell.strip() for cell in cells)]
    if len(body) > IMPORT_MAX_ROWS:
        raise ValidationError(_("At most %(max)s accounts per file.") % {"max": IMPORT_MAX_ROWS})
    campaigns_by_name = {campaign.name: campaign for campaign in Campaign.objects.all()}
    result = ImportResult()
    changes = []
    seen: set[str] = set()
    for line, cells in body:
        values = {column: cells[i].strip() for i, column in enumerate(columns) if column and i < len(cells)}
        role = _role_from(values.get("role", ""))
        if role is None:
            result.errors.append((line, "role", values.get("role", ""), _("Unknown role.")))
            continue
        names = [name.strip() for name in values.get("campaigns", "").replace("；", ";").split(";") if name.strip()]
        unknown = [name for name in names if name not in campaigns_by_name]
        if unknown:
            result.errors.append((line, "campaigns", ", ".join(unknown), _("No campaign has this name.")))
            continue
        change = AccountChange(
            username=values.get("username", ""),
            name=values.get("name", ""),
            role=role,
            password=values.get("password") or None,
            campaigns=[campaigns_by_name[name] for name in names],
            skills=values.get("skills", ""),
        )
        if change.username.lower() in seen:
            result.errors.append((line, "username", change.username, _("This username is already in the file.")))
            continue
        seen.add(change.username.lower())
        try:
            change.skills = clean_skills(change.skills)
            _check(change, by=by, user=None)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                value = "" if column == "password" else str(getattr(change, column, "") or "")
                result.errors.extend((line, column, value, message) for message in messages)
            continue
        changes.append(change)
    if result.errors:
        return result
    with transaction.atomic():
        for change in changes:
            result.created.append(create_account(by=by, change=change))
        record_event(
            actor=by,
            action=people.IMPORTED,
            summary=_("%(n)s accounts") % {"n": len(changes)},
            usernames=[user.username for user, _temporary in result.created],
        )
    return result
