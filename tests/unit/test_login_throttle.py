"""Login throttling (django-axes): lockout per username and per address, the message, the audit
trail, the unlock command, and that tests' own logins (force_login) are untouched."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests"  # the factories' password


def attempt(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post(reverse("login"), {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("landing")


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(sdr):
    for _ in range(4):
        assert attempt("sdr", "wrong").status_code == 200  # the form again, with the usual error
    locked = attempt("sdr", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins for this account or address; try again in 15 minutes" in locked.content.decode()
    right = attempt("sdr", PASSWORD)
    assert right.status_code == 429 and not signed_in(right)
    # Another person on another address is not affected.
    UserFactory(username="sdr2", role="SDR")
    assert signed_in(attempt("sdr2", PASSWORD, ip="10.0.0.2"))


def test_the_username_is_locked_from_every_address(sdr):
    for n in range(5):
        attempt("sdr", "wrong", ip=f"10.0.1.{n}")
    assert attempt("sdr", PASSWORD, ip="10.0.1.99").status_code == 429


def test_one_address_trying_many_usernames_is_locked_for_all_of_them(sdr, manager):
    for name in ["alice", "bob", "carol", "dave", "erin"]:
        attempt(name, "guess", ip="10.0.2.1")
    assert attempt("manager", PASSWORD, ip="10.0.2.1").status_code == 429
    assert signed_in(attempt("manager", PASSWORD, ip="10.0.2.2"))


def test_the_limit_and_cool_off_come_from_settings(sdr, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=3)
    attempt("sdr", "wrong")
    locked = attempt("sdr", "wrong")
    assert locked.status_code == 429
    assert "try again in 3 minutes" in locked.content.decode()


def test_the_lockout_ends_after_the_cool_off(sdr):
    for _ in range(5):
        attempt("sdr", "wrong")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert signed_in(attempt("sdr", PASSWORD))


def test_a_success_before_the_limit_starts_the_count_again(sdr):
    for _ in range(4):
        attempt("sdr", "wrong")
    assert signed_in(attempt("sdr", PASSWORD))
    for _ in range(4):
        attempt("sdr", "wrong")
    assert signed_in(attempt("sdr", PASSWORD))


def test_failures_and_the_lockout_are_audited_without_the_password(sdr):
    for _ in range(5):
        attempt("sdr", "s3cret-guess", ip="10.0.3.7")
    failed = AuditEvent.objects.filter(action="login.failed")
    assert failed.count() == 5
    assert {(e.details["username"], e.details["ip"]) for e in failed} == {("sdr", "10.0.3.7")}
    locked = AuditEvent.objects.filter(action="login.locked_out")  # the fifth failure locked it
    assert list(locked.values_list("details", flat=True)) == [{"username": "sdr", "ip": "10.0.3.7"}]
    attempt("sdr", PASSWORD, ip="10.0.3.7")  # refused while locked: recorded too
    assert locked.count() == 2
    everything = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "s3cret-guess" not in everything


def test_unlock_login_lifts_the_lockout_for_that_user_only(sdr, manager):
    for _ in range(5):
        attempt("sdr", "wrong", ip="10.0.4.1")
        attempt("manager", "wrong", ip="10.0.4.2")
    call_command("unlock_login", "sdr")
    assert signed_in(attempt("sdr", PASSWORD, ip="10.0.4.1"))
    assert attempt("manager", PASSWORD, ip="10.0.4.2").status_code == 429
    assert AuditEvent.objects.filter(action="login.unlocked", details__username="sdr").exists()


def test_unlock_login_by_address(sdr, manager):
    for name in ["a", "b", "c", "d", "e"]:
        attempt(name, "guess", ip="10.0.5.1")
    call_command("unlock_login", "--ip", "10.0.5.1")
    assert signed_in(attempt("manager", PASSWORD, ip="10.0.5.1"))


def test_unlock_login_needs_someone_to_unlock():
    with pytest.raises(CommandError, match="at least one username or --ip"):
        call_command("unlock_login")


def test_behind_the_proxy_the_client_is_the_last_forwarded_address(sdr, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(5):  # five clients behind one proxy; the first forged its own header
        proxy.post(
            reverse("login"),
            {"username": f"user{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, 198.51.100.{n}",
        )
    ok = proxy.post(reverse("login"), {"username": "sdr", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.50")
    assert signed_in(ok)  # the proxy's own address was never locked


def test_force_login_ignores_the_throttle(sdr, client):
    for _ in range(6):
        attempt("sdr", "wrong", ip="127.0.0.1")
    client.force_login(sdr)
    assert client.get(reverse("campaign_list")).status_code == 200
