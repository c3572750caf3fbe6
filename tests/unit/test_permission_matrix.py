"""Every lifecycle action x role x state, through the views: allowed, 403, or a clear refusal.

Roles: anonymous, the SDR who wrote the campaign, another SDR, a manager who wrote it, and
another manager. Buttons are not part of this: each request is made directly.
"""

import pytest
from django.contrib.messages import get_messages
from django.db.models import Q
from django.urls import reverse

from campaigns.models import AuditEvent, Campaign, Operation, WallToken
from campaigns.services import launch, lifecycle
from campaigns.services.campaigns import campaign_content_save
from campaigns.services.versions import campaign_snapshot
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db

STATES = [s.value for s in Campaign.Status]
ROLES = ["anonymous", "sdr_author", "other_sdr", "manager_author", "other_manager"]
MANAGERS = {"manager_author", "other_manager"}
AUTHORS = {"sdr_author", "manager_author"}

# action -> (url name, POST data, states it is valid in, the status it leads to or None)
ACTIONS = {
    "submit": ("campaign_submit", {}, {"draft"}, "in_review"),
    "approve": ("campaign_approve", {"comment": "ok"}, {"in_review"}, "approved"),
    "reject": ("campaign_reject", {"comment": "Fix step 2"}, {"in_review"}, "draft"),
    "refresh": ("campaign_preflight_refresh", {}, {"approved"}, None),
    "launch": ("campaign_launch", {}, {"approved"}, "launching"),
    "retry": ("campaign_launch_retry", {}, {"launch_failed"}, "launching"),
    "pause": ("campaign_pause", {"reason": "Wrong price"}, {"running"}, None),
    "resume": ("campaign_resume", {}, {"paused"}, None),
    "guard": ("campaign_guard", {"threshold_percent": "8", "min_delivered": "40"}, set(STATES), None),
}


def role_allows(action: str, role: str, state: str) -> bool:
    if action == "submit":
        return role in AUTHORS or role in MANAGERS
    return role in MANAGERS  # approve, reject, launch, refresh, retry, pause, resume, guard


def expected(action: str, role: str, state: str) -> str:
    if role == "anonymous":
        return "login"
    if not role_allows(action, role, state):
        return "forbidden"
    if state not in ACTIONS[action][2]:
        return "refused"
    if action == "approve" and role == "manager_author":
        return "four-eyes"  # they wrote (and submitted) it; a rejection stays open to them
    return "allowed"


@pytest.fixture
def world(sdr, sdr2, manager, manager2, monkeypatch):
    fresh_pools()
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())
    return {"sdr_author": sdr, "other_sdr": sdr2, "manager_author": manager, "other_manager": manager2}


def effects(campaign):
    """Audit events and operations that an action could leave (a pool refresh is workspace-wide)."""
    operations = Operation.objects.filter(Q(campaign=campaign) | Q(kind="refresh_pools"))
    return (AuditEvent.objects.filter(campaign=campaign).count(), operations.count())


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_action_answers_by_role_and_state(client, world, action, role, state):
    author = world["manager_author"] if role == "manager_author" else world["sdr_author"]
    campaign = campaign_in(state, owner=author, approver=world["other_manager"])
    if role != "anonymous":
        client.force_login(world[role])
    url_name, data, _valid, target = ACTIONS[action]
    before = effects(campaign)

    response = client.post(reverse(url_name, args=[campaign.pk]), data)
    campaign.refresh_from_db()
    outcome = expected(action, role, state)

    if outcome == "login":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    elif outcome == "forbidden":
        assert response.status_code == 403
    elif outcome in {"refused", "four-eyes"}:
        assert response.status_code == 302
        errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
        assert errors, "a refusal says why"
        assert "cannot" in errors[0] or "Only an approved" in errors[0] or "another manager" in errors[0], errors
    else:
        assert response.status_code == 302, response.content[:500]
        if target:
            assert campaign.status == target
        assert effects(campaign) != before, "an allowed action leaves a trace"
    if outcome == "four-eyes":  # refused, and the refusal itself is on the record
        assert AuditEvent.objects.filter(campaign=campaign, action="approval.refused", actor=world[role]).count() == 1
        before = (before[0] + 1, before[1])
    if outcome != "allowed":
        assert campaign.status == state
        assert effects(campaign) == before, "a refused action changes nothing"


# Four-eyes through the views: who wrote a version since the last approval, who submitted it,
# and who tries to approve. Three managers and an SDR, so the editor, the submitter and the
# approver can each be someone else.
HISTORIES = {
    # name: (editors since the last approval, submitter, approver, expected refusal or None)
    "an editor approves what they changed": (["sdr", "manager"], "sdr", "manager", "You edited this version"),
    "the submitter approves": (["sdr"], "manager2", "manager2", "You sent it for review"),
    "an editor who also submitted approves": (["manager"], "manager", "manager", "You edited this version"),
    "a third manager approves what two others wrote and sent": (["manager"], "manager2", "manager3", None),
    "an untouched reviewer approves an sdr's work": (["sdr"], "sdr", "manager2", None),
}


@pytest.fixture
def people(sdr, manager, manager2):
    from tests.factories import UserFactory

    return {
        "sdr": sdr,
        "manager": manager,
        "manager2": manager2,
        "manager3": UserFactory(username="manager3", role="Manager"),
    }


@pytest.mark.parametrize("history", list(HISTORIES))
def test_approval_answers_by_who_edited_and_who_submitted(client, people, history):
    editors, submitter, approver, refusal = HISTORIES[history]
    campaign = campaign_in("draft", owner=people["sdr"])
    for n, editor in enumerate(editors):
        save(campaign, people[editor], f"Step 1 rewritten by {editor} ({n})")
    lifecycle.campaign_submit(campaign=campaign, actor=people[submitter])
    client.force_login(people[approver])
    campaign.refresh_from_db()
    response = client.post(
        reverse("campaign_approve", args=[campaign.pk]), {"comment": "", "reviewed_version": campaign.version}
    )
    campaign.refresh_from_db()
    errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    if refusal:
        assert response.status_code == 302 and errors and errors[0].startswith(refusal), errors
        assert (campaign.status, campaign.approved_hash) == ("in_review", "")
        refused = AuditEvent.objects.get(campaign=campaign, action="approval.refused")
        assert refused.actor == people[approver] and refused.details["reason"].startswith(refusal)
    else:
        assert errors == [] and campaign.status == "approved"
        assert campaign.approved_by == people[approver]


def save(campaign, actor, subject):
    content = campaign_snapshot(campaign)
    content["steps"][0]["subject"] = subject
    campaign_content_save(campaign=campaign, actor=actor, content=content, base_version=campaign.version)


PAGES = ["campaign_review", "campaign_launch", "campaign_pause", "campaign_resume", "campaign_lifecycle"]


def page_expected(page: str, role: str, state: str) -> int:
    if role == "anonymous":
        return 302
    if page in {"campaign_review", "campaign_lifecycle"}:
        return 200  # everyone browses everything
    if role not in MANAGERS:
        return 403
    valid = {"campaign_launch": "approved", "campaign_pause": "running", "campaign_resume": "paused"}[page]
    return 200 if state == valid else 302  # a refusal sends them back to the campaign with the reason


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_pages_answer_by_role_and_state(client, world, page, role, state):
    author = world["manager_author"] if role == "manager_author" else world["sdr_author"]
    campaign = campaign_in(state, owner=author, approver=world["other_manager"])
    if role != "anonymous":
        client.force_login(world[role])
    response = client.get(reverse(page, args=[campaign.pk]))
    assert response.status_code in {page_expected(page, role, state), 286 if page == "campaign_lifecycle" else 0}


# The other manager-only actions of issue 8: every role
# tries each one; SDRs get a 403 whoever wrote the campaign, managers get through.
def other_area_actions(campaign):
    token = WallToken.objects.create(label="Sales floor")
    op = Operation.objects.create(kind="suppress", status="failed", last_error="boom")
    return {
        "enroll into a running campaign": (reverse("lead_enroll", args=[campaign.pk]), {}),
        "add to the suppression list": (reverse("suppression"), {"emails": "gone@example.com", "note": "asked"}),
        "push the suppression list": (reverse("suppression_push"), {}),
        "create a wall token": (reverse("wall_tokens"), {"label": "Hall TV"}),
        "revoke a wall token": (reverse("wall_token_revoke", args=[token.pk]), {}),
        "retry an operation": (reverse("operation_retry", args=[op.pk]), {}),
        "register a webhook": (reverse("webhook_register"), {"url": "https://ops.example.com/hook"}),
        **sdr_key_actions(),
    }


ACTION_NAMES = [
    "enroll into a running campaign",
    "add to the suppression list",
    "push the suppression list",
    "create a wall token",
    "revoke a wall token",
    "retry an operation",
    "register a webhook",
    "link a user to an SDR with a key",
    "refresh the SDR list",
    "remove an SDR key",
    "settle an outcome-unknown send",
]


def sdr_key_actions():
    """Issue 13's manager-only pages: SDR keys, and settling a send whose outcome is unknown."""
    from django.utils import timezone

    from campaigns.models import LeadterraSdr
    from tests.factories import UserFactory

    listed = LeadterraSdr.objects.create(sdr_id="sdr_m", name="Matrix", refreshed_at=timezone.now())
    target = UserFactory(username="linked_person", role="SDR")
    unknown = Operation.objects.create(kind="send_draft", status="outcome_unknown", last_error="Outcome unknown")
    return {
        "link a user to an SDR with a key": (
            reverse("sdr_keys"),
            {"user": target.pk, "sdr_id": listed.sdr_id, "key": "sk_live_sdr_matrix_1234"},
        ),
        "refresh the SDR list": (reverse("sdr_keys_refresh"), {}),
        "remove an SDR key": (reverse("sdr_key_remove", args=[target.pk]), {}),
        "settle an outcome-unknown send": (reverse("operation_settle", args=[unknown.pk]), {"sent": "1"}),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTION_NAMES)
def test_manager_only_actions_of_other_areas_answer_by_role(client, world, action, role, settings):
    settings.SDR_KEY_ENCRYPTION_KEY = "permission-matrix"
    author = world["manager_author"] if role == "manager_author" else world["sdr_author"]
    campaign = campaign_in("running", owner=author, approver=world["other_manager"])
    url, data = other_area_actions(campaign)[action]
    if role != "anonymous":
        client.force_login(world[role])
    before = AuditEvent.objects.count()
    response = client.post(url, data)
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    elif role in MANAGERS:
        assert response.status_code != 403
    else:
        assert response.status_code == 403
        assert AuditEvent.objects.count() == before


# Issue 13's SDR actions (services decide; their desk pages come later): an SDR acts on replies
# nobody holds and on their own threads, a manager on all. "own" is the SDR the action is for.
SDR_ROLES = ["sdr_self", "other_sdr", "manager"]
SDR_ACTIONS = {
    # name: (roles allowed)
    "claim an unassigned reply": {"sdr_self", "other_sdr", "manager"},
    "reassign a reply someone holds": {"manager"},
    "force a forward": {"manager"},
    "skip a follow-up of the SDR's thread": {"sdr_self", "manager"},
    "schedule a follow-up on the SDR's thread": {"sdr_self", "manager"},
    "send an answer on the SDR's thread": {"sdr_self", "manager"},
}


def sdr_action(name, actor, owner, held_by):
    from campaigns.services import sdr_actions as act

    reply = held_by.handoffs.first().reply if name == "reassign a reply someone holds" else None
    calls = {
        "claim an unassigned reply": lambda: act.reply_assign_enqueue(reply=fresh_reply(), sdr_user=owner, actor=actor),
        "reassign a reply someone holds": lambda: act.reply_assign_enqueue(reply=reply, sdr_user=owner, actor=actor),
        "force a forward": lambda: act.reply_assign_enqueue(
            reply=fresh_reply(), sdr_user=owner, actor=actor, force_forward=True
        ),
        "skip a follow-up of the SDR's thread": lambda: act.followup_enqueue(
            action="skip", sdr_user=owner, actor=actor, followup_id="fu_1", reason="Left the company"
        ),
        "schedule a follow-up on the SDR's thread": lambda: act.followup_enqueue(
            action="schedule", sdr_user=owner, actor=actor, thread_id="thr_own"
        ),
        "send an answer on the SDR's thread": lambda: act.draft_send_enqueue(
            draft_id="drf_1", thread_id="thr_own", sdr_user=owner, actor=actor
        ),
    }
    return calls[name]()


def fresh_reply():
    from django.utils import timezone

    from campaigns.models import Reply

    n = Reply.objects.count() + 1
    return Reply.objects.create(
        remote_id=f"rep_m{n}", email=f"p{n}@x.test", classification="interested", received_at=timezone.now()
    )


@pytest.mark.parametrize("role", SDR_ROLES)
@pytest.mark.parametrize("action", list(SDR_ACTIONS))
def test_sdr_actions_answer_by_role(sdr, sdr2, manager, manager2, settings, action, role):
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from campaigns.models import LeadterraSdr, ReplyHandoff
    from campaigns.services.sdr_keys import sdr_link_save

    settings.SDR_KEY_ENCRYPTION_KEY = "permission-matrix"
    for n, user in enumerate((sdr, sdr2), 1):
        LeadterraSdr.objects.create(sdr_id=f"sdr_{n}", name=user.username, refreshed_at=timezone.now())
        sdr_link_save(user=user, sdr_id=f"sdr_{n}", key=f"sk_live_matrix_key_{n}", actor=manager2)
    ReplyHandoff.objects.create(reply=fresh_reply(), sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_own")
    actor = {"sdr_self": sdr, "other_sdr": sdr2, "manager": manager}[role]
    before = (AuditEvent.objects.count(), Operation.objects.count())
    if role in SDR_ACTIONS[action]:
        op = sdr_action(action, actor, sdr, held_by=sdr)
        assert op.created_by == actor and op.payload["sdr_user"] == sdr.pk
        assert AuditEvent.objects.filter(actor=actor).count() == 1, "every allowed action is on the record"
    else:
        with pytest.raises(PermissionDenied):
            sdr_action(action, actor, sdr, held_by=sdr)
        assert (AuditEvent.objects.count(), Operation.objects.count()) == before
