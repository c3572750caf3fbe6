"""Per-SDR keys: encrypted at rest, written only by managers, never shown again, every change audited."""

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse
from django.utils import timezone

from campaigns.checks import sdr_key_encryption_key_set
from campaigns.models import AuditEvent, LeadterraSdr, Operation, SdrLink
from campaigns.services.sdr_keys import (
    SdrKeyError,
    key_decrypt,
    key_encrypt,
    sdr_key_for,
    sdr_link_remove,
    sdr_link_save,
    sdrs_refresh_enqueue,
)

pytestmark = pytest.mark.django_db
KEY_A = "sk_live_sdr_personal_A1b2C3d4"
KEY_B = "sk_live_sdr_personal_Z9y8X7w6"


@pytest.fixture(autouse=True)
def encryption_key(settings):
    settings.SDR_KEY_ENCRYPTION_KEY = "a-long-random-secret-for-tests"


@pytest.fixture
def listed(db):
    now = timezone.now()
    return [
        LeadterraSdr.objects.create(sdr_id="sdr_1", name="Sam Doe", email="sam@acme.test", refreshed_at=now),
        LeadterraSdr.objects.create(sdr_id="sdr_2", name="Ria Roe", email="ria@acme.test", refreshed_at=now),
    ]


def test_a_key_survives_the_round_trip_and_the_stored_column_never_holds_it(sdr, sdr2, manager, listed):
    sdr_link_save(user=sdr, sdr_id="sdr_1", key=KEY_A, actor=manager)
    sdr_link_save(user=sdr2, sdr_id="sdr_2", key=KEY_B, actor=manager)
    stored = dict(SdrLink.objects.values_list("user__username", "key_encrypted"))
    assert KEY_A not in stored["sdr"] and KEY_A[-12:] not in stored["sdr"]
    assert stored["sdr"] != stored["sdr2"]
    assert (sdr_key_for(sdr), sdr_key_for(sdr2)) == (KEY_A, KEY_B)
    assert sdr_key_for(sdr.pk) == KEY_A, "a worker passes the user's id"


def test_two_encryptions_of_one_key_differ_but_both_decrypt():
    first, second = key_encrypt(KEY_A), key_encrypt(KEY_A)
    assert first != second and key_decrypt(first) == key_decrypt(second) == KEY_A


def test_a_changed_encryption_key_gives_a_sentence_not_a_crash_and_never_the_key(sdr, manager, listed, settings):
    sdr_link_save(user=sdr, sdr_id="sdr_1", key=KEY_A, actor=manager)
    settings.SDR_KEY_ENCRYPTION_KEY = "another-secret"
    with pytest.raises(SdrKeyError, match="cannot be decrypted.*save the key again") as caught:
        sdr_key_for(sdr)
    assert KEY_A not in str(caught.value)


def test_debug_derives_a_stable_key_from_the_secret_key_and_production_requires_one(settings):
    settings.SDR_KEY_ENCRYPTION_KEY, settings.DEBUG = "", True
    token = key_encrypt(KEY_A)
    assert key_decrypt(token) == KEY_A
    settings.SECRET_KEY = "another-secret-key-entirely"
    with pytest.raises(SdrKeyError):
        key_decrypt(token)
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="SDR_KEY_ENCRYPTION_KEY"):
        key_encrypt(KEY_A)


@pytest.mark.parametrize(
    ("secret", "debug", "expected"), [("", False, ["leadterra.E002"]), ("", True, []), ("set", False, [])]
)
def test_the_deploy_check_requires_the_encryption_key_outside_debug(settings, secret, debug, expected):
    settings.SDR_KEY_ENCRYPTION_KEY, settings.DEBUG = secret, debug
    assert [m.id for m in sdr_key_encryption_key_set(None)] == expected


def test_no_link_is_a_clear_refusal(sdr, sdr2, manager, listed):
    sdr_link_save(user=sdr2, sdr_id="sdr_2", key=KEY_B, actor=manager)
    with pytest.raises(SdrKeyError, match="sdr is not linked to a Leadterra SDR"):
        sdr_key_for(sdr)


def test_set_replace_relink_and_remove_are_audited_without_the_key(sdr, manager, manager2, listed):
    sdr_link_save(user=sdr, sdr_id="sdr_1", key=KEY_A, actor=manager)
    sdr_link_save(user=sdr, sdr_id="sdr_1", key=KEY_B, actor=manager2)
    link = SdrLink.objects.get(user=sdr)
    assert (link.key_last4, link.key_saved_by) == ("X7w6", manager2)
    sdr_link_save(user=sdr, sdr_id="sdr_1", key="", actor=manager)  # the key is kept
    assert sdr_key_for(sdr) == KEY_B and SdrLink.objects.get(user=sdr).key_saved_by == manager2
    with pytest.raises(ValueError, match="different key"):
        sdr_link_save(user=sdr, sdr_id="sdr_2", key="", actor=manager)
    sdr_link_remove(user=sdr, actor=manager2)
    assert not SdrLink.objects.filter(user=sdr).exists()
    events = list(AuditEvent.objects.filter(action__startswith="sdr_key").order_by("pk"))
    assert [(e.action, e.actor) for e in events] == [
        ("sdr_key.set", manager),
        ("sdr_key.replaced", manager2),
        ("sdr_key.removed", manager2),
    ]
    for event in events:
        assert KEY_A not in str(event.details) and KEY_B not in str(event.details)


def test_only_managers_link_keys_or_refresh_the_list(sdr, sdr2, listed):
    with pytest.raises(PermissionDenied):
        sdr_link_save(user=sdr2, sdr_id="sdr_1", key=KEY_A, actor=sdr)
    with pytest.raises(PermissionDenied):
        sdrs_refresh_enqueue(actor=sdr)
    assert not SdrLink.objects.exists() and not Operation.objects.exists()


def test_an_sdr_not_in_the_list_or_a_malformed_key_is_refused(sdr, manager, listed):
    LeadterraSdr.objects.filter(sdr_id="sdr_2").update(listed=False)
    with pytest.raises(ValueError, match="Pick an SDR from Leadterra's list"):
        sdr_link_save(user=sdr, sdr_id="sdr_2", key=KEY_A, actor=manager)
    with pytest.raises(ValueError, match="does not look like a Leadterra key"):
        sdr_link_save(user=sdr, sdr_id="sdr_1", key="sk live", actor=manager)
    assert not SdrLink.objects.exists()


# --- the page ---------------------------------------------------------------------


def test_the_page_is_for_managers_only(client, sdr, listed):
    client.force_login(sdr)
    assert client.get(reverse("sdr_keys")).status_code == 403
    response = client.post(reverse("sdr_keys"), {"user": sdr.pk, "sdr_id": "sdr_1", "key": KEY_A})
    assert response.status_code == 403 and not SdrLink.objects.exists()
    assert client.post(reverse("sdr_keys_refresh")).status_code == 403
    assert client.post(reverse("sdr_key_remove", args=[sdr.pk])).status_code == 403
    assert not Operation.objects.exists()


def test_a_manager_saves_a_key_that_is_never_shown_again(client, sdr, sdr2, manager, listed):
    client.force_login(manager)
    response = client.post(reverse("sdr_keys"), {"user": sdr2.pk, "sdr_id": "sdr_2", "key": KEY_B}, follow=True)
    assert response.status_code == 200 and KEY_B.encode() not in response.content
    page = client.get(reverse("sdr_keys")).content.decode()
    assert KEY_B not in page and SdrLink.objects.get(user=sdr2).key_encrypted not in page
    assert "key ending …X7w6" in page and "by manager" in page and "Ria Roe" in page
    refused = client.post(reverse("sdr_keys"), {"user": sdr.pk, "sdr_id": "sdr_9", "key": KEY_A})
    assert refused.status_code == 400 and KEY_A.encode() not in refused.content
    assert "Pick an SDR from Leadterra" in refused.content.decode()


def test_refresh_queues_one_operation_and_remove_deletes_the_key(client, sdr, manager, listed):
    sdr_link_save(user=sdr, sdr_id="sdr_1", key=KEY_A, actor=manager)
    client.force_login(manager)
    client.post(reverse("sdr_keys_refresh"))
    client.post(reverse("sdr_keys_refresh"))
    assert Operation.objects.filter(kind="refresh_sdrs").count() == 1, "an active refresh is reused"
    client.post(reverse("sdr_key_remove", args=[sdr.pk]))
    assert not SdrLink.objects.exists()
