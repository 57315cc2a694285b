"""For tests and benchmarks: a Django test client signed in as a user, second factor included."""

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor


def authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator, set up if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=two_factor.AUTHENTICATOR_NAME, confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the phone would show: the current one, or the next one if the current one was
    used already (a code is accepted once; django-otp accepts the next step too)."""
    device.refresh_from_db()
    now_step = int((time.time() - device.t0) // device.step)
    ahead = max(0, device.last_t + 1 - now_step)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):0{device.digits}d}"


def sign_in(client, user):
    """force_login, plus the second factor for a user who signs in with one."""
    client.force_login(user)
    if two_factor.must_verify(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
        session.save()
    return client
