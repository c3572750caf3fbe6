"""Every URL of the inbox and thread pages, GET and POST, by role: anonymous, the SDR whose thread
it is, another SDR, a manager (who acts for the SDR). Buttons aside: each request is made directly."""

import pytest
from django.urls import reverse

from campaigns.models import AuditEvent, Operation
from campaigns.services import operations as engine
from campaigns.services import sdr_inbox as inbox
from tests.inbox_helpers import draft, followup, link, thread

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "owner", "other_sdr", "manager"]

# name -> (args from the world, method allowed, POST data); the thread, draft and follow-up are the owner's.
URLS = {
    "sdr_inbox": (lambda w: [], "GET", {}),
    "sdr_inbox_refresh": (lambda w: [], "POST", {"sdr": "sdr"}),
    "sdr_thread": (lambda w: ["thr_1"], "GET", {}),
    "sdr_drafts_generate": (lambda w: ["thr_1"], "POST", {"variants": "2"}),
    "sdr_draft_edit": (lambda w: ["thr_1", w["draft"].pk], "POST", {"text": "Hi Pat, edited."}),
    "sdr_draft_send": (lambda w: ["thr_1", w["draft"].pk], "POST", {"text": "Hi Pat, sent."}),
    "sdr_followup_schedule": (lambda w: ["thr_1"], "POST", {"due_date": "2026-12-24"}),
    "sdr_followup_complete": (lambda w: ["fu_1"], "POST", {}),
    "sdr_followup_skip": (lambda w: ["fu_1"], "POST", {"reason": "Booked already"}),
    "sdr_followup_reschedule": (lambda w: ["fu_1"], "POST", {"due_date": "2026-12-24"}),
}


@pytest.fixture
def world(sdr, sdr2, manager, settings, monkeypatch):
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    link(sdr, sdr2, actor=manager)
    thread(sdr, "thr_1")
    followup(sdr, "fu_1")
    return {"owner": sdr, "other_sdr": sdr2, "manager": manager, "draft": draft(sdr)}


def traces():
    return Operation.objects.count(), AuditEvent.objects.exclude(action__startswith="sdr_").count()


def expected(name: str, role: str) -> str:
    if role == "anonymous":
        return "login"
    if role == "other_sdr" and name not in ("sdr_inbox",):
        return "forbidden"  # sdr_inbox_refresh carries sdr=sdr: another SDR may not refresh it
    return "allowed"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(URLS))
def test_each_url_answers_by_role_and_method(client, world, name, role, method):
    args, allowed_method, data = URLS[name]
    if role != "anonymous":
        client.force_login(world[role])
    target = reverse(name, args=args(world))
    before = traces()
    response = client.post(target, data) if method == "POST" else client.get(target)
    outcome = expected(name, role)
    if outcome == "login":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    elif method != allowed_method:
        assert response.status_code == 405
    elif outcome == "forbidden":
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302), (response.status_code, response.content[:300])
    if outcome != "allowed" or method != allowed_method:
        assert traces() == before, "a refused request changes nothing"
    elif method == "POST" and name != "sdr_inbox_refresh":
        assert traces() != before, "an allowed action leaves a trace"


def test_an_sdr_sees_only_their_own_inbox_and_a_manager_anyones(client, world):
    client.force_login(world["other_sdr"])
    assert client.get(reverse("sdr_inbox"), {"sdr": "sdr"}).status_code == 403
    assert client.get(reverse("sdr_inbox")).status_code == 200  # their own
    client.force_login(world["manager"])
    assert client.get(reverse("sdr_inbox"), {"sdr": "sdr"}).status_code == 200


def test_a_manager_acting_for_an_sdr_is_the_actor_on_the_record(client, world):
    client.force_login(world["manager"])
    client.post(reverse("sdr_draft_send", args=["thr_1", world["draft"].pk]), {"text": "Hi Pat"})
    event = AuditEvent.objects.get(action="draft.send_requested")
    assert (event.actor, event.details["sdr"]) == (world["manager"], "sdr")
