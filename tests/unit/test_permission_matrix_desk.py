"""The desk's URLs x roles, GET and POST: anonymous, an SDR on a free reply, on their own and on
another SDR's, and a manager. Adversaries: assigning a reply someone else claimed, snoozing
someone else's, replaying a stale form. Each request is made directly (buttons aside)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditEvent, Operation, Reply
from campaigns.services import operations as engine
from tests.desk_helpers import a_reply, link_sdrs

pytestmark = pytest.mark.django_db

PAGES = ["landing", "desk", "desk_queue", "desk_speed"]
ACTIONS = {
    "desk_claim": ({}, "reply.claimed"),
    "desk_forward": ({"sdr": "SDR2", "seniority": "vp", "employee_count": "250"}, "reply.assign_requested"),
    "desk_snooze": ({"for": "1h"}, "reply.snoozed"),
    "desk_lost": ({"reason": "timing"}, "reply.lost"),
}
HOLDERS = ["free", "own", "other"]  # who holds the reply before the request, from the SDR's side


@pytest.fixture(autouse=True)
def quiet(settings, monkeypatch):
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)


@pytest.fixture
def people(sdr, sdr2, manager):
    link_sdrs(manager, sdr, sdr2)
    return {"sdr": sdr, "sdr2": sdr2, "manager": manager}


def held_reply(holder: str, people) -> Reply:
    claimed = {"free": None, "own": people["sdr"], "other": people["sdr2"]}[holder]
    extra = {"claimed_by": claimed, "claimed_at": timezone.now()} if claimed else {}
    return a_reply(1, minutes_ago=3, **extra)


def post(client, name, reply, people, data=None, version=None):
    body = dict(ACTIONS[name][0] if data is None else data)
    if body.get("sdr") == "SDR2":
        body["sdr"] = people["sdr2"].pk
    body.setdefault("version", reply.desk_version if version is None else version)
    return client.post(reverse(name, args=[reply.pk]), body)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login_on_every_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login_on_every_action(client, people, name, method):
    reply = held_reply("free", people)
    response = getattr(client, method)(reverse(name, args=[reply.pk]), {"version": 0})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not AuditEvent.objects.filter(action__startswith="reply.").exists()


@pytest.mark.parametrize(
    ("who", "name", "status"),
    [
        ("sdr", "desk", 200),
        ("manager", "desk", 200),
        ("sdr", "desk_queue", 200),
        ("manager", "desk_queue", 200),
        ("sdr", "desk_speed", 403),
        ("manager", "desk_speed", 200),
    ],
)
def test_pages_by_role(client, people, who, name, status):
    client.force_login(people[who])
    assert client.get(reverse(name)).status_code == status


@pytest.mark.parametrize(("who", "lands"), [("sdr", "desk"), ("manager", "campaign_list")])
def test_after_login_sdrs_land_on_the_desk_and_managers_on_campaigns(client, people, who, lands):
    client.force_login(people[who])
    assert client.get(reverse("landing"))["Location"] == reverse(lands)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_actions_refuse_get(client, people, name):
    client.force_login(people["manager"])
    assert client.get(reverse(name, args=[held_reply("free", people).pk])).status_code == 405


def expected(who: str, holder: str, name: str) -> str:
    if who == "sdr" and holder == "other":
        return "forbidden"
    if name == "desk_claim" and ((who == "sdr" and holder == "own") or (who == "manager" and holder == "free")):
        return "allowed" if holder == "free" else "refused"  # claiming what you already hold
    return "allowed"


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize("who", ["sdr", "manager"])
def test_every_action_by_role_and_holder(client, people, who, holder, name):
    reply = held_reply(holder, people)
    client.force_login(people[who])
    response = post(client, name, reply, people)
    outcome = expected(who, holder, name)
    audited = AuditEvent.objects.filter(action=ACTIONS[name][1], actor=people[who]).exists()
    if outcome == "forbidden":
        assert response.status_code == 403 and not audited
        assert "sdr2 already has this reply" in response.content.decode()
    elif outcome == "refused":
        assert response.status_code == 302 and not audited
    else:
        assert response.status_code == 302 and response["Location"] == reverse("desk"), response
        assert audited, [str(m) for m in get_messages(response.wsgi_request)]
        assert Reply.objects.get(pk=reply.pk).desk_version == reply.desk_version + 1


def test_an_sdr_assigning_a_reply_claimed_by_someone_else_is_refused_and_nothing_is_queued(client, people):
    reply = held_reply("other", people)
    client.force_login(people["sdr"])
    assert post(client, "desk_forward", reply, people).status_code == 403
    assert not Operation.objects.filter(kind=Operation.Kind.ASSIGN_REPLY).exists()


def test_an_sdr_snoozing_someone_elses_reply_changes_nothing(client, people):
    reply = held_reply("other", people)
    client.force_login(people["sdr"])
    assert post(client, "desk_snooze", reply, people).status_code == 403
    assert Reply.objects.get(pk=reply.pk).snoozed_until is None


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_replayed_stale_form_is_refused_with_who_has_it(client, people, name):
    reply = held_reply("free", people)
    client.force_login(people["sdr2"])
    post(client, "desk_claim", reply, people)  # sdr2 takes it first
    client.force_login(people["manager"])
    response = post(client, name, reply, people, version=0)  # the manager's page was older
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert response.status_code == 302 and any("changed since your page was loaded. sdr2 has it now" in m for m in said)
    assert not AuditEvent.objects.filter(actor=people["manager"], action__startswith="reply.").exists()


def test_two_replays_of_one_claim_form_claim_once(client, people):
    reply = held_reply("free", people)
    client.force_login(people["sdr"])
    post(client, "desk_claim", reply, people, version=0)
    post(client, "desk_claim", reply, people, version=0)
    assert AuditEvent.objects.filter(action="reply.claimed").count() == 1


def test_a_snooze_by_the_holder_sets_a_time_in_the_future(client, people):
    reply = held_reply("own", people)
    client.force_login(people["sdr"])
    post(client, "desk_snooze", reply, people)
    assert Reply.objects.get(pk=reply.pk).snoozed_until > timezone.now() + timedelta(minutes=59)


def test_only_a_manager_may_force_a_second_forward(client, people):
    reply = held_reply("free", people)
    forced = {**ACTIONS["desk_forward"][0], "force_forward": "on"}
    client.force_login(people["sdr"])
    assert post(client, "desk_forward", reply, people, forced).status_code == 403
    assert not Operation.objects.exists()
    client.force_login(people["manager"])
    post(client, "desk_forward", reply, people, forced)
    assert Operation.objects.get(kind=Operation.Kind.ASSIGN_REPLY).payload["force_forward"] is True
