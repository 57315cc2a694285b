"""Two-factor sign-in: a TOTP authenticator app, with recovery codes for a lost phone.

Built on django-otp (TOTPDevice, StaticDevice); this module holds our rules: who must use it,
what counts as enrolled, how a code is checked, and who may reset it. Recovery codes are stored
as digests (like API tokens), so a reader of the database cannot use them."""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import roles
from ..audit import record_event

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"

ENROLLED = "auth.two_factor_enrolled"  # audit action
RESET = "auth.two_factor_reset"  # audit action
RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed"  # audit action
RECOVERY_CODE_USED = "auth.recovery_code_used"  # audit action


def required_role_slugs() -> set[str]:
    """TWO_FACTOR_REQUIRED_ROLES as role slugs. Group names ("Client viewer") and slugs
    ("client_viewer") are both accepted; an unknown name stops the app from starting, as a typo
    would otherwise switch two-factor sign-in off without a word."""
    known = set(roles.GROUP_NAMES.values()) | {roles.ADMIN}
    slugs = set()
    for name in settings.TWO_FACTOR_REQUIRED_ROLES:
        slug = roles.GROUP_NAMES.get(name, name.strip().lower().replace(" ", "_"))
        if slug not in known:
            raise ImproperlyConfigured(
                f"TWO_FACTOR_REQUIRED_ROLES: unknown role {name!r}; known: {', '.join(sorted(known))}"
            )
        slugs.add(slug)
    return slugs


def is_required(user) -> bool:
    return bool(required_role_slugs() & set(roles.roles_of(user)))


def is_enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_verify(user) -> bool:
    """Whether a signed-in browser session of this user needs a code before anything else:
    everyone who enrolled (required or not), and those who must enrol (they are sent to do so)."""
    return is_enrolled(user) or is_required(user)


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being set up: the same key until it is confirmed, so reloading the
    page does not invalidate a QR code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


@transaction.atomic
def confirm_enrolment(user, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with a code it shows. Returns the device and the new
    recovery codes (to show once), or None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    if device is None or not device.verify_token(_digits(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    record_event(actor=user, action=ENROLLED, target=user, summary=user.get_username())
    return device, codes


@transaction.atomic
def renew_recovery_codes(user) -> list[str]:
    codes = _new_recovery_codes(user)
    record_event(actor=user, action=RECOVERY_CODES_RENEWED, target=user, summary=user.get_username())
    return codes


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(user, code: str):
    """The device that accepts this code (authenticator code or recovery code), or None.

    django-otp throttles each device: after a wrong code the next try waits 1, 2, 4... seconds,
    and a TOTP code is accepted once."""
    code = (code or "").strip()
    digits = _digits(code)
    if digits.isdigit() and len(digits) == 6:
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if verify_token(user, device.persistent_id, digits):
                return device
        return None
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if verify_token(user, device.persistent_id, recovery_digest(code)):
            record_event(
                actor=user,
                action=RECOVERY_CODE_USED,
                target=user,
                summary=user.get_username(),
                remaining=remaining_recovery_codes(user),
            )
            return device
    return None


@transaction.atomic
def reset(user, *, by, via: str = "") -> None:
    """Remove the user's authenticator and recovery codes (lost phone): they set it up again at
    their next sign-in, and their sessions verified with the old device ask again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record_event(actor=by, action=RESET, target=user, summary=user.get_username(), via=via)


def recovery_digest(code: str) -> str:
    """What is stored for a recovery code (django-otp keeps up to 16 characters): typed with or
    without the dash, in either case."""
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()[:16]


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
    StaticToken.objects.bulk_create(StaticToken(device=device, token=recovery_digest(code)) for code in codes)
    return codes


def _digits(code: str) -> str:
    return (code or "").replace(" ", "").strip()
