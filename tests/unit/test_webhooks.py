"""The webhook receiver: signature, freshness, replays, and what each event changes at once."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Operation, Reply, SuppressedEmail, WebhookEvent
from campaigns.services.webhooks import signature_valid
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
SECRET = "whsec_test"
URL = "/webhooks/leadterra"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client, payload: dict, signature: str | None = "auto", **headers):
    body = json.dumps(payload).encode()
    if signature == "auto":
        signature = sign(body)
    if signature is not None:
        headers["HTTP_X_LEADTERRA_SIGNATURE"] = signature
    return client.post(URL, body, content_type="application/json", **headers)


def stamp(moment: datetime | None = None) -> str:
    """An envelope timestamp as Leadterra writes it: the time of this delivery attempt."""
    return (moment or timezone.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reply_event(reply_id="rpl_01", classification="interested", campaign_id="camp_A", email="lead@example.com"):
    return {
        "event": "reply.received",
        "timestamp": stamp(),
        "data": {
            "reply": {
                "id": reply_id,
                "email": email,
                "campaignId": campaign_id,
                "classification": classification,
                "receivedAt": "2026-11-26T09:59:58Z",
                "threadSnippet": "Let's talk next week",
            }
        },
    }


def sent_event(message_id="msg_1", campaign_id="camp_A"):
    return {"event": "message.sent", "timestamp": stamp(),
            "data": {"campaignId": campaign_id, "messageId": message_id, "sequenceStep": 1}}  # fmt: skip


@pytest.fixture
def campaign(db):
    # 10 sent, and all 10 already seen by webhook: the next one is a message the poll has not counted
    return CampaignFactory(status=Campaign.Status.RUNNING, remote_id="camp_A", sent=10, sent_events=10, queued=5)


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_a_good_signature_is_accepted_without_a_csrf_token(csrf_client, campaign):
    response = deliver(csrf_client, sent_event())
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}


def test_a_sha256_prefix_is_accepted():
    body = b'{"event": "x"}'
    assert signature_valid(body=body, header="sha256=" + sign(body), secret=SECRET)
    assert signature_valid(body=body, header=sign(body).upper(), secret=SECRET)


def test_a_bad_signature_is_refused_and_nothing_is_stored(csrf_client, campaign):
    assert deliver(csrf_client, sent_event(), signature=sign(b"something else")).status_code == 403
    assert (
        deliver(csrf_client, sent_event(), signature=sign(json.dumps(sent_event()).encode(), "wrong")).status_code
        == 403
    )
    assert WebhookEvent.objects.count() == 0
    campaign.refresh_from_db()
    assert campaign.sent == 10


def test_a_missing_signature_is_refused(csrf_client, campaign):
    assert deliver(csrf_client, sent_event(), signature=None).status_code == 403
    assert deliver(csrf_client, sent_event(), signature="").status_code == 403


@override_settings(LEADTERRA_WEBHOOK_SECRET="")
def test_without_a_configured_secret_everything_is_refused(csrf_client, campaign):
    body = json.dumps(sent_event()).encode()
    assert deliver(csrf_client, sent_event(), signature=sign(body, "")).status_code == 403


def test_the_receiver_only_takes_posts(client):
    assert client.get(URL).status_code == 405


def test_a_signed_body_that_is_not_json_is_a_bad_request(client):
    body = b"not json"
    response = client.post(URL, body, content_type="application/json", HTTP_X_LEADTERRA_SIGNATURE=sign(body))
    assert response.status_code == 400


def test_a_sent_message_moves_the_counters_at_once(client, campaign):
    deliver(client, sent_event("msg_1"))
    deliver(client, sent_event("msg_2"))
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.queued) == (12, 3)


def test_a_replayed_delivery_is_stored_and_applied_once(client, campaign):
    first = deliver(client, sent_event("msg_1"))
    again = deliver(client, sent_event("msg_1"))
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert again.status_code == 200  # Leadterra must stop retrying
    campaign.refresh_from_db()
    assert campaign.sent == 11
    assert WebhookEvent.objects.count() == 1


def test_a_reply_is_stored_once_linked_to_its_campaign_and_counted(client, campaign):
    deliver(client, reply_event("rpl_01"))
    payload = reply_event("rpl_01")
    payload["timestamp"] = stamp(timezone.now() + timedelta(minutes=1))  # a redelivery: new envelope, same id
    assert deliver(client, payload).json()["duplicate"] is True
    reply = Reply.objects.get()
    assert (reply.remote_id, reply.campaign, reply.classification) == ("rpl_01", campaign, "interested")
    campaign.refresh_from_db()
    assert campaign.replied == 1


def test_an_unsubscribe_reply_is_suppressed_and_pushed(client, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        deliver(client, reply_event("rpl_02", classification="unsubscribe", email="gone@example.com"))
    assert SuppressedEmail.objects.get().source == "reply"
    assert Operation.objects.get(kind="suppress").payload == {}, "the one pending push of every unpushed address"
    assert SuppressedEmail.objects.get(email="gone@example.com").pushed_at is None


def test_a_hard_bounce_counts_and_suppresses(client, campaign):
    payload = {"event": "message.bounced", "timestamp": stamp(),
               "data": {"campaignId": "camp_A", "messageId": "msg_9", "email": "bad@example.com",
                        "bounceType": "hard", "bounceReason": "mailbox does not exist"}}  # fmt: skip
    deliver(client, payload)
    campaign.refresh_from_db()
    assert campaign.bounced == 1
    assert SuppressedEmail.objects.get().source == "bounce"


def test_a_reply_for_an_unknown_campaign_is_kept_unlinked(client):
    deliver(client, reply_event("rpl_03", campaign_id="camp_elsewhere"))
    reply = Reply.objects.get()
    assert reply.campaign is None and reply.remote_campaign_id == "camp_elsewhere"


def test_a_manager_registers_the_webhook_through_an_operation(manager_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        response = manager_client.post(
            reverse("webhook_register"),
            {"url": "https://ops.example.com/webhooks/leadterra", "events": ["reply.received", "message.sent"]},
        )
    assert response.status_code == 302
    op = Operation.objects.get(kind="register_webhook")
    assert op.payload == {
        "url": "https://ops.example.com/webhooks/leadterra",
        "events": ["reply.received", "message.sent"],
    }


def test_an_sdr_cannot_register_the_webhook(sdr_client):
    response = sdr_client.post(
        reverse("webhook_register"), {"url": "https://x.example.com/h", "events": ["message.sent"]}
    )
    assert response.status_code == 403
    assert not Operation.objects.exists()


@override_settings(SANDBOX_ENABLED=False)
def test_plain_http_receivers_are_refused_with_a_reason(manager_client):
    response = manager_client.post(
        reverse("webhook_register"), {"url": "http://ops.example.com/h", "events": ["message.sent"]}
    )
    assert response.status_code == 400
    assert "https://" in response.content.decode()


def test_old_deliveries_are_pruned_at_most_once_an_hour(client, campaign):
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.services.webhooks import webhook_prune

    deliver(client, sent_event("old"))
    deliver(client, sent_event("new"))
    WebhookEvent.objects.filter(dedupe_key__endswith=":old").update(received_at=timezone.now() - timedelta(days=4))
    assert webhook_prune() == 1
    assert list(WebhookEvent.objects.values_list("dedupe_key", flat=True)) == ["message.sent:new"]
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(days=4))
    assert webhook_prune() == 0  # pruned less than an hour ago


# --- one transaction: an event is stored only if it was applied -------------------------


def bounce_event(message_id="msg_9", email="bad@example.com"):
    return {"event": "message.bounced", "timestamp": stamp(),
            "data": {"campaignId": "camp_A", "messageId": message_id, "email": email,
                     "bounceType": "hard", "bounceReason": "mailbox does not exist"}}  # fmt: skip


def test_an_apply_failure_stores_nothing_and_the_redelivery_is_applied(campaign, monkeypatch):
    # The bounce is counted first, then suppressing the address fails (a locked table, say):
    # the count must be rolled back with the dedupe row, or the redelivery would count it twice.
    from django.db import OperationalError

    import campaigns.services.webhooks as service

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(service, "suppression_add", locked)
    leadterra = Client(raise_request_exception=False)
    assert deliver(leadterra, bounce_event()).status_code == 500  # Leadterra redelivers a 5xx
    assert WebhookEvent.objects.count() == 0
    campaign.refresh_from_db()
    assert campaign.bounced == 0

    monkeypatch.undo()
    again = deliver(leadterra, bounce_event())
    assert (again.status_code, again.json()["duplicate"]) == (200, False)
    campaign.refresh_from_db()
    assert campaign.bounced == 1
    assert SuppressedEmail.objects.get().email == "bad@example.com"
    assert deliver(leadterra, bounce_event()).json()["duplicate"] is True


def test_a_signed_reply_with_an_impossible_date_is_refused_kept_and_shown(client, manager_client, campaign):
    payload = reply_event("rpl_07")
    payload["data"]["reply"]["receivedAt"] = "2026-02-30T09:59:58Z"
    response = deliver(client, payload)
    assert response.status_code == 422
    assert "receivedAt" in response.content.decode() and "not a real date" in response.content.decode()
    assert not Reply.objects.exists()
    campaign.refresh_from_db()
    assert campaign.replied == 0
    refused = WebhookEvent.objects.get()
    assert refused.dedupe_key == "refused:reply:rpl_07" and refused.processed_at is None
    assert "2026-02-30" in refused.error

    assert deliver(client, payload).status_code == 422  # a retry is refused again, never "duplicate"
    assert WebhookEvent.objects.count() == 1
    page = manager_client.get(reverse("integration_health")).content.decode()
    assert "Refused deliveries" in page and "2026-02-30" in page

    fixed = reply_event("rpl_07")  # the same event, now well-formed, still applies
    assert deliver(client, fixed).json() == {"received": True, "duplicate": False}
    assert Reply.objects.get().remote_id == "rpl_07"


@pytest.mark.parametrize(
    "reply, reason",
    [(None, "data.reply.id"), ({"email": "x@example.com"}, "data.reply.id"), ("rpl_1", "data.reply.id")],
)
def test_a_reply_event_without_a_reply_id_is_refused(client, reply, reason):
    payload = {"event": "reply.received", "timestamp": stamp(), "data": {"reply": reply}}
    response = deliver(client, payload)
    assert response.status_code == 422 and reason in response.content.decode()
    assert not Reply.objects.exists()


def test_data_that_is_not_an_object_is_refused(client):
    response = deliver(client, {"event": "message.sent", "timestamp": stamp(), "data": ["msg_1"]})
    assert response.status_code == 422 and "`data`" in response.content.decode()


# --- freshness: the envelope's timestamp is when this attempt was sent -------------------

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "sent_at, accepted",
    [
        (NOW - timedelta(days=1), True),  # the last moment of the retry horizon
        (NOW - timedelta(days=1, seconds=1), False),
        (NOW - timedelta(days=3), False),
        (NOW + timedelta(minutes=5), True),  # clock skew allowed
        (NOW + timedelta(minutes=5, seconds=1), False),
        (NOW + timedelta(hours=2), False),
    ],
)
def test_deliveries_outside_the_retry_horizon_or_clock_skew_are_refused(client, campaign, sent_at, accepted):
    import time_machine

    payload = sent_event("msg_t")
    payload["timestamp"] = stamp(sent_at)
    with time_machine.travel(NOW, tick=False):
        response = deliver(client, payload)
    campaign.refresh_from_db()
    if accepted:
        assert response.status_code == 200 and campaign.sent == 11
        return
    body = response.content.decode()
    assert response.status_code == 400
    assert ("too old" in body) if sent_at < NOW else ("from the future" in body)
    assert payload["timestamp"] in body
    assert campaign.sent == 10 and not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "timestamp, reason",
    [(None, "no timestamp"), ("", "no timestamp"), ("yesterday", "not an ISO 8601"),
     ("2026-13-01T00:00:00Z", "not an ISO 8601"), (1764151200, "not an ISO 8601")],
)  # fmt: skip
def test_a_missing_or_unreadable_timestamp_is_a_bad_request(client, campaign, timestamp, reason):
    payload = sent_event("msg_u")
    if timestamp is None:
        del payload["timestamp"]
    else:
        payload["timestamp"] = timestamp
    response = deliver(client, payload)
    assert response.status_code == 400 and reason in response.content.decode()
    assert not WebhookEvent.objects.exists()


def test_a_replay_is_still_a_duplicate_with_a_fresh_envelope(client, campaign):
    assert deliver(client, sent_event("msg_r")).json()["duplicate"] is False
    later = sent_event("msg_r")
    later["timestamp"] = stamp(timezone.now() + timedelta(minutes=2))
    assert deliver(client, later).json() == {"received": True, "duplicate": True}
    campaign.refresh_from_db()
    assert campaign.sent == 11


def test_an_event_without_an_id_is_deduplicated_by_its_data_not_its_envelope(client, campaign):
    started = {"event": "campaign.started", "timestamp": stamp(), "data": {"campaignId": "camp_A", "status": "running"}}
    assert deliver(client, started).json()["duplicate"] is False
    retry = {**started, "timestamp": stamp(timezone.now() + timedelta(minutes=1))}  # each attempt is stamped anew
    assert deliver(client, retry).json()["duplicate"] is True
    other = {**started, "data": {"campaignId": "camp_B", "status": "running"}}
    assert deliver(client, other).json()["duplicate"] is False
