"""Webhook signatures (prefixes, truncations, case) and delivery freshness at the edges."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import WebhookEvent
from campaigns.services.webhooks import (
    DeliveryRefused,
    PayloadInvalid,
    dedupe_key,
    delivery_fresh,
    signature_valid,
    webhook_receive,
)

BODY = b'{"event":"message.sent","data":{"messageId":"msg_1"}}'
SECRET = "whsec_other"  # not the test settings' secret: the argument must win


def hexsig(body: bytes = BODY, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "header",
    [
        hexsig(),
        hexsig().upper(),
        "sha256=" + hexsig(),
        "SHA256=" + hexsig(),
        "  sha256=" + hexsig() + "\n",
    ],
    ids=["hex", "upper-hex", "prefixed", "upper-prefix", "padded"],
)
def test_a_right_signature_is_accepted_in_every_spelling(header):
    assert signature_valid(body=BODY, header=header, secret=SECRET)


@pytest.mark.parametrize(
    "header",
    [
        hexsig()[:-1],  # truncated by one character
        hexsig()[:32],  # only the first half
        hexsig() + "0",  # one character too many
        "sha256=" + hexsig()[:-1],
        "sha256=",
        "sha256=sha256=" + hexsig(),
        "sha1=" + hexsig(),
        hexsig()[1:] + hexsig()[0],  # the right characters in the wrong order
        hexsig(secret="whsec_test"),  # signed with another secret
        hexsig(body=BODY + b" "),  # signed over another body
        "",
        None,
    ],
    ids=[
        "truncated",
        "half",
        "too-long",
        "prefixed-truncated",
        "prefix-only",
        "double-prefix",
        "other-algorithm",
        "rotated",
        "other-secret",
        "other-body",
        "empty",
        "missing",
    ],
)
def test_a_wrong_signature_is_refused(header):
    assert not signature_valid(body=BODY, header=header, secret=SECRET)


def test_the_configured_secret_is_used_when_none_is_given(settings):
    settings.LEADTERRA_WEBHOOK_SECRET = "whsec_configured"
    assert signature_valid(body=BODY, header=hexsig(secret="whsec_configured"))
    assert not signature_valid(body=BODY, header=hexsig())


def test_an_empty_secret_trusts_nobody_not_even_a_signature_made_with_it(settings):
    settings.LEADTERRA_WEBHOOK_SECRET = ""
    assert not signature_valid(body=BODY, header=hexsig(secret=""))
    assert not signature_valid(body=BODY, header=hexsig(secret=""), secret="")


NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


def test_a_timestamp_without_a_zone_is_read_as_utc_whatever_the_servers_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    delivery_fresh({"timestamp": "2026-11-26T10:04:59"}, now=NOW)  # within the 5 minutes of skew
    with pytest.raises(DeliveryRefused, match="from the future"):
        delivery_fresh({"timestamp": "2026-11-26T10:05:01"}, now=NOW)
    delivery_fresh({"timestamp": "2026-11-25T10:00:00"}, now=NOW)
    with pytest.raises(DeliveryRefused, match="too old"):
        delivery_fresh({"timestamp": "2026-11-25T09:59:59"}, now=NOW)


def test_a_timestamp_in_another_zone_is_compared_as_the_same_instant():
    delivery_fresh({"timestamp": "2026-11-26T12:04:00+02:00"}, now=NOW)
    with pytest.raises(DeliveryRefused, match="from the future"):
        delivery_fresh({"timestamp": "2026-11-26T10:06:00-00:00"}, now=NOW)


def test_a_refusal_quotes_at_most_sixty_characters_of_a_bad_timestamp():
    raw = "x" * 100
    with pytest.raises(DeliveryRefused) as refused:
        delivery_fresh({"timestamp": raw}, now=NOW)
    assert repr("x" * 60) in str(refused.value) and "x" * 61 not in str(refused.value)
    assert refused.value.status == 400


def test_a_reply_id_outranks_the_message_id_and_the_event_names_the_message_key():
    both = {"event": "reply.received", "data": {"reply": {"id": "rpl_9"}, "messageId": "msg_9"}}
    assert dedupe_key(both) == "reply:rpl_9"
    sent = {"event": "message.sent", "data": {"messageId": "msg_9"}}
    bounced = {"event": "message.bounced", "data": {"messageId": "msg_9"}}
    assert (dedupe_key(sent), dedupe_key(bounced)) == ("message.sent:msg_9", "message.bounced:msg_9")


def test_a_reply_that_is_not_an_object_falls_back_to_the_message_id():
    assert dedupe_key({"event": "reply.received", "data": {"reply": "rpl_9", "messageId": "m"}}) == "reply.received:m"


def test_data_keys_in_another_order_give_the_same_key_and_other_data_another():
    one = {"event": "campaign.started", "data": {"campaignId": "c1", "status": "running"}}
    same = {"event": "campaign.started", "data": {"status": "running", "campaignId": "c1"}}
    other = {"event": "campaign.started", "data": {"status": "running", "campaignId": "c2"}}
    assert dedupe_key(one) == dedupe_key(same) != dedupe_key(other)
    assert dedupe_key(one).startswith("campaign.started:sha256:")
    assert dedupe_key({"data": "not an object"}).startswith("unknown:sha256:")


@pytest.mark.django_db
def test_a_very_long_message_id_is_stored_under_a_cut_key_and_still_deduplicated():
    payload = {
        "event": "message.sent",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"messageId": "m" * 400},
    }
    event, created = webhook_receive(payload=payload)
    assert created and len(event.dedupe_key) == 200
    assert webhook_receive(payload=payload) == (None, False)


@pytest.mark.django_db
def test_a_refused_delivery_is_kept_under_its_own_key_with_its_reason():
    payload = {
        "event": "reply.received" + "!" * 80,
        "timestamp": datetime.now(UTC).isoformat(),
        "data": "not an object",
    }
    with pytest.raises(PayloadInvalid):
        webhook_receive(payload=payload)
    kept = WebhookEvent.objects.get()
    assert kept.dedupe_key.startswith("refused:") and len(kept.event) == 60
    assert kept.error == "`data` is not a JSON object." and kept.processed_at is None


@pytest.mark.django_db
def test_a_delivery_just_inside_the_skew_is_accepted(time_machine):
    time_machine.move_to(NOW, tick=False)
    payload = {"event": "message.sent", "timestamp": (NOW + timedelta(minutes=5)).isoformat(), "data": {}}
    _, created = webhook_receive(payload=payload)
    assert created


# --- what each event changes, with values other than the happy path --------------------------


def receive(event: str, data: dict):
    return webhook_receive(payload={"event": event, "timestamp": datetime.now(UTC).isoformat(), "data": data})


@pytest.fixture
def two_campaigns(db):
    from tests.factories import CampaignFactory

    # Counted by webhooks so far as well as polled: each delivery below adds to what was counted.
    counted = {"sent": 10, "sent_events": 10, "queued": 1, "bounced": 2, "bounced_events": 2}
    return (
        CampaignFactory(status="running", remote_id="camp_A", **counted),
        CampaignFactory(status="running", remote_id="camp_B", **counted),
    )


def counters(campaign):
    campaign.refresh_from_db()
    return campaign.sent, campaign.queued, campaign.bounced


def test_sent_messages_move_only_their_campaign_and_never_below_zero_queued(two_campaigns):
    a, b = two_campaigns
    receive("message.sent", {"campaignId": "camp_A", "messageId": "m1"})
    receive("message.sent", {"campaignId": "camp_A", "messageId": "m2"})
    assert counters(a) == (12, 0, 2) and counters(b) == (10, 1, 2)
    receive("message.sent", {"messageId": "m3"})  # no campaign named: nothing moves
    assert counters(a) == (12, 0, 2) and counters(b) == (10, 1, 2)


@pytest.mark.django_db
def test_a_soft_bounce_counts_but_does_not_suppress(two_campaigns):
    from campaigns.models import SuppressedEmail

    a, _ = two_campaigns
    receive(
        "message.bounced", {"campaignId": "camp_A", "messageId": "b1", "email": "x@example.com", "bounceType": "soft"}
    )
    assert counters(a) == (10, 1, 3) and not SuppressedEmail.objects.exists()


def test_a_hard_bounce_without_a_type_suppresses_the_to_address_with_its_reason(two_campaigns):
    from campaigns.models import SuppressedEmail

    reason = "r" * 600
    receive(
        "message.bounced",
        {"campaignId": "camp_B", "messageId": "b2", "to": " Bad@Example.com ", "bounceReason": reason},
    )
    kept = SuppressedEmail.objects.get()
    assert kept.email == "bad@example.com" and kept.source == SuppressedEmail.Source.BOUNCE
    assert kept.note == ("hard bounce: " + reason)[:500]


def test_a_hard_bounce_to_an_unreadable_address_still_counts(two_campaigns):
    from campaigns.models import SuppressedEmail

    a, _ = two_campaigns
    receive("message.bounced", {"campaignId": "camp_A", "messageId": "b3", "email": "not an address"})
    assert counters(a) == (10, 1, 3) and not SuppressedEmail.objects.exists()


def test_campaign_started_only_touches_its_campaign(two_campaigns):
    a, b = two_campaigns
    before_b = b.updated_at
    receive("campaign.started", {"campaignId": "camp_A"})
    b.refresh_from_db()
    a_before = a.updated_at
    a.refresh_from_db()
    assert a.updated_at > a_before and b.updated_at == before_b


@pytest.mark.django_db
def test_an_unknown_event_is_stored_and_marked_processed():
    event, created = receive("message.opened", {"messageId": "o1"})
    event.refresh_from_db()
    assert created and event.processed_at is not None and event.event == "message.opened"


@pytest.mark.django_db
@pytest.mark.parametrize(("when", "ok"), [("", True), ("2026-11-26T10:00:00Z", True), ("2026-02-30T10:00:00Z", False)])
def test_a_reply_date_may_be_missing_but_not_impossible(when, ok):
    data = {"reply": {"id": f"r-{when}", "email": "a@example.com", "receivedAt": when}}
    if ok:
        assert receive("reply.received", data)[1]
        return
    with pytest.raises(PayloadInvalid, match=r"`data.reply.receivedAt` is '2026-02-30T10:00:00Z'"):
        receive("reply.received", data)


@pytest.mark.django_db
def test_pruning_keeps_three_days_and_waits_an_hour_between_runs():
    from django.utils import timezone

    from campaigns.services.webhooks import webhook_prune

    now = timezone.now()
    old = WebhookEvent.objects.create(dedupe_key="old", event="x", payload={})
    kept = WebhookEvent.objects.create(dedupe_key="kept", event="x", payload={})
    WebhookEvent.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=3, seconds=1))
    WebhookEvent.objects.filter(pk=kept.pk).update(received_at=now - timedelta(days=3) + timedelta(seconds=1))
    assert webhook_prune(now=now) == 1
    WebhookEvent.objects.filter(pk=kept.pk).update(received_at=now - timedelta(days=10))
    assert webhook_prune(now=now + timedelta(minutes=59)) == 0
    assert webhook_prune(now=now + timedelta(minutes=61)) == 1


def test_a_hard_bounce_without_a_reason_is_noted_plainly_and_stamps_its_campaign(two_campaigns):
    from campaigns.models import SuppressedEmail

    a, _ = two_campaigns
    before = a.updated_at
    receive("message.bounced", {"campaignId": "camp_A", "messageId": "b4", "email": "gone@example.com"})
    assert SuppressedEmail.objects.get().note == "hard bounce: "
    a.refresh_from_db()
    assert a.updated_at > before


def test_a_reply_with_only_an_id_is_stored_with_empty_fields(db):
    from campaigns.models import Reply
    from tests.factories import CampaignFactory

    CampaignFactory(status="draft")  # a local campaign with no remote id must not be linked
    receive("reply.received", {"reply": {"id": "rpl_bare"}})
    reply = Reply.objects.get()
    assert (reply.email, reply.remote_campaign_id, reply.classification, reply.snippet) == ("", "", "unknown", "")
    assert reply.campaign is None


def test_a_reply_keeps_its_thread_snippet(db):
    from campaigns.models import Reply

    receive("reply.received", {"reply": {"id": "rpl_s", "threadSnippet": "See you Tuesday", "classification": "ooo"}})
    assert Reply.objects.values_list("snippet", "classification").get() == ("See you Tuesday", "ooo")


def test_a_reply_without_an_id_is_refused_with_the_exact_reason(db):
    with pytest.raises(PayloadInvalid) as refused:
        receive("reply.received", {"reply": {"email": "a@example.com"}})
    assert str(refused.value) == "A reply.received delivery without `data.reply.id`: there is no reply to store."


def test_a_sent_message_without_a_campaign_id_moves_no_campaign_even_one_without_remote_id(db):
    from tests.factories import CampaignFactory

    local = CampaignFactory(status="draft", sent=0)
    receive("message.sent", {"messageId": "m-none"})
    local.refresh_from_db()
    assert local.sent == 0


def test_a_sent_message_stamps_its_campaign(two_campaigns):
    a, _ = two_campaigns
    before = a.updated_at
    receive("message.sent", {"campaignId": "camp_A", "messageId": "m-stamp"})
    a.refresh_from_db()
    assert a.updated_at > before


@pytest.mark.django_db
def test_a_refused_delivery_without_an_event_name_is_kept_with_an_empty_one():
    with pytest.raises(PayloadInvalid):
        webhook_receive(payload={"timestamp": datetime.now(UTC).isoformat(), "data": "text"})
    assert WebhookEvent.objects.get().event == ""


@pytest.mark.django_db
def test_a_refused_reply_with_a_long_id_is_kept_under_a_cut_key():
    reply = {"id": "r" * 300, "receivedAt": "2026-02-30T10:00:00Z"}
    with pytest.raises(PayloadInvalid):
        receive("reply.received", {"reply": reply})
    assert len(WebhookEvent.objects.get().dedupe_key) == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", [12345, "9" * 100])
def test_a_reply_date_that_is_not_a_string_or_is_long_is_refused_readably(value):
    with pytest.raises(PayloadInvalid) as refused:
        receive("reply.received", {"reply": {"id": f"r{str(value)[:5]}", "receivedAt": value}})
    shown = str(value)[:60]
    assert f"is {shown!r}, which is not a real date and time." in str(refused.value)


@pytest.mark.django_db
def test_pruning_runs_again_exactly_an_hour_later():
    from django.utils import timezone

    from campaigns.services.webhooks import webhook_prune

    now = timezone.now()
    webhook_prune(now=now)
    old = WebhookEvent.objects.create(dedupe_key="old", event="x", payload={})
    WebhookEvent.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=10))
    assert webhook_prune(now=now + timedelta(hours=1)) == 1


def test_refusals_say_why_in_full():
    with pytest.raises(DeliveryRefused) as missing:
        delivery_fresh({}, now=NOW)
    assert str(missing.value) == "The delivery has no timestamp; it is needed to refuse replays."
    with pytest.raises(DeliveryRefused) as old:
        delivery_fresh({"timestamp": "2026-11-20T10:00:00Z"}, now=NOW)
    assert str(old.value) == (
        "The delivery is too old: sent 2026-11-20T10:00:00Z, more than a day ago; Leadterra's retries end sooner, "
        "so it is refused as a replay."
    )


@pytest.mark.django_db
def test_a_stored_event_name_is_empty_when_missing_and_cut_at_sixty():
    nameless, _ = webhook_receive(payload={"timestamp": datetime.now(UTC).isoformat(), "data": {"messageId": "n1"}})
    long, _ = receive("e" * 80, {"messageId": "n2"})
    assert (nameless.event, long.event) == ("", "e" * 60)
