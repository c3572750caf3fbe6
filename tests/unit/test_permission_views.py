"""Role checks on GET as well as POST, and the permission helpers with each role."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.urls import reverse

from campaigns import permissions
from campaigns.models import Campaign
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Campaign.Status


@pytest.fixture
def people(sdr, sdr2, manager, manager2):
    return {"author": sdr, "other_sdr": sdr2, "manager": manager, "other_manager": manager2}


def test_the_manager_group_holds_exactly_the_manager_permissions():
    manager = Group.objects.get(name=permissions.MANAGER)
    held = set(manager.permissions.values_list("content_type__app_label", "codename"))
    assert held == {("campaigns", c) for c in permissions.MANAGER_PERMISSIONS}
    assert not Group.objects.get(name=permissions.SDR).permissions.exists()


def test_ensure_roles_restores_a_removed_permission_and_ignores_other_databases():
    manager = Group.objects.get(name=permissions.MANAGER)
    manager.permissions.clear()
    permissions.ensure_roles(using="sandbox")
    assert not manager.permissions.exists()
    permissions.ensure_roles()
    assert manager.permissions.count() == len(permissions.MANAGER_PERMISSIONS)


def test_ensure_roles_takes_only_campaign_permissions(db):
    # A permission with a manager codename in another app is not a manager permission.
    other = Permission.objects.filter(content_type__app_label="auth").first()
    impostor = Permission.objects.create(codename="launch_campaign", name="x", content_type=other.content_type)
    permissions.ensure_roles(using="default")
    assert impostor not in Group.objects.get(name=permissions.MANAGER).permissions.all()


def test_helpers_by_role(people):
    author, other_sdr, manager = people["author"], people["other_sdr"], people["manager"]
    anonymous = AnonymousUser()
    draft = CampaignFactory(owner=author)
    for user, is_manager in [(author, False), (other_sdr, False), (manager, True), (anonymous, False)]:
        assert permissions.is_manager(user) is is_manager
        assert permissions.can_review(user, draft) is is_manager
        assert permissions.can_launch(user) is is_manager
        assert permissions.can(user, "manage_suppression") is is_manager
    assert permissions.can(manager, "no_such_permission") is False
    assert [permissions.can_submit(u, draft) for u in (author, other_sdr, manager, anonymous)] == [
        True,
        False,
        True,
        False,
    ]
    assert [permissions.can_edit_draft(u, draft) for u in (author, other_sdr, manager)] == [True, False, True]


def test_an_anonymous_user_does_not_own_a_campaign_whose_owner_is_unset():
    # AnonymousUser.pk is None: a campaign object without an owner must not match it.
    assert permissions.can_submit(AnonymousUser(), Campaign(owner_id=None)) is False


@pytest.mark.parametrize("status", [S.LAUNCHING, S.RUNNING, S.PAUSED, S.ARCHIVED])
def test_nobody_edits_a_launched_or_archived_campaign(people, status):
    campaign = CampaignFactory(owner=people["author"], status=status)
    assert not any(permissions.can_edit_draft(u, campaign) for u in people.values())


def test_a_draft_with_a_remote_id_counts_as_launched(people):
    campaign = CampaignFactory(owner=people["author"], remote_id="camp_x")
    assert not permissions.can_edit_draft(people["manager"], campaign)


@pytest.mark.parametrize("status", [S.DRAFT, S.IN_REVIEW, S.APPROVED, S.LAUNCH_FAILED])
def test_an_unlaunched_campaign_is_editable_by_author_and_manager(people, status):
    campaign = CampaignFactory(owner=people["author"], status=status)
    assert permissions.can_edit_draft(people["author"], campaign)
    assert permissions.can_edit_draft(people["other_manager"], campaign)
    assert not permissions.can_edit_draft(people["other_sdr"], campaign)


# --- through the views, GET as well as POST ---------------------------------------------


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(("who", "status"), [("author", 200), ("manager", 200), ("other_sdr", 403)])
def test_opening_the_editor_is_checked_on_get(client, people, who, status):
    campaign = CampaignFactory(owner=people["author"])
    response = as_user(client, people[who]).get(reverse("campaign_edit", args=[campaign.pk]))
    assert response.status_code == status


def test_the_editor_of_a_running_campaign_is_refused_even_to_its_author(client, people):
    campaign = CampaignFactory(owner=people["author"], status=S.RUNNING)
    response = as_user(client, people["author"]).get(reverse("campaign_edit", args=[campaign.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["editor_change", "editor_check", "editor_save"])
def test_the_editor_endpoints_refuse_another_sdr(client, people, name):
    campaign = CampaignFactory(owner=people["author"])
    response = as_user(client, people["other_sdr"]).post(reverse(name, args=[campaign.pk]), {})
    assert response.status_code == 403


def test_an_sdr_may_read_the_suppression_list_but_not_change_it(client, people):
    sdr_client = as_user(client, people["author"])
    assert sdr_client.get(reverse("suppression")).status_code == 200
    response = sdr_client.post(reverse("suppression"), {"emails": "x@example.com", "note": ""})
    assert response.status_code == 403


def test_a_user_with_the_permission_but_no_manager_group_may_change_suppression(client):
    # The check is the permission, not the group name: a custom role with it is allowed.
    user = UserFactory(username="auditor")
    user.user_permissions.add(Permission.objects.get(codename="manage_suppression"))
    response = as_user(client, user).post(reverse("suppression"), {"emails": "x@example.com", "note": ""})
    assert response.status_code in (200, 302)
    assert not permissions.is_manager(user)


# --- archiving, importing, and the sentences people are told ------------------------------


def test_archiving_local_work_is_the_owners_or_a_managers_call(client, people):
    draft = CampaignFactory(owner=people["author"])
    allowed = {who: permissions.can_archive(user, draft) for who, user in people.items()}
    assert allowed == {"author": True, "other_sdr": False, "manager": True, "other_manager": True}
    assert permissions.can_archive(AnonymousUser(), draft) is False
    response = as_user(client, people["other_sdr"]).post(reverse("campaign_archive", args=[draft.pk]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_a_campaign_that_exists_in_leadterra_is_archived_by_managers_only(people):
    paused = CampaignFactory(owner=people["author"], status=S.PAUSED, remote_id="camp_p")
    allowed = {who: permissions.can_archive(user, paused) for who, user in people.items()}
    assert allowed == {"author": False, "other_sdr": False, "manager": True, "other_manager": True}


def test_nobody_loads_leads_into_an_archived_campaign(client, people):
    archived = CampaignFactory(owner=people["author"], status=S.ARCHIVED)
    assert not any(permissions.can_import_leads(user, archived) for user in people.values())
    for who in ("author", "manager"):
        response = as_user(client, people[who]).get(reverse("lead_import_upload", args=[archived.pk]))
        assert response.status_code == 403
        assert "Only the campaign&#x27;s owner or a manager can import leads." in response.content.decode()


def test_importing_into_a_live_campaign_is_the_owners_or_a_managers(people):
    draft = CampaignFactory(owner=people["author"])
    allowed = {who: permissions.can_import_leads(user, draft) for who, user in people.items()}
    assert allowed == {"author": True, "other_sdr": False, "manager": True, "other_manager": True}
    assert permissions.can_import_leads(AnonymousUser(), draft) is False


def test_the_editor_says_why_a_campaign_cannot_be_edited(client, people):
    launched = CampaignFactory(owner=people["author"], status=S.RUNNING, remote_id="camp_r")
    archived = CampaignFactory(owner=people["author"], status=S.ARCHIVED)
    draft = CampaignFactory(owner=people["author"])
    reasons = {
        launched: "This campaign has been launched. Leadterra has no way to edit a sequence once it exists there.",
        archived: "This campaign is archived.",
        draft: f"This draft belongs to {people['author'].username}; only they or a manager can edit it.",
    }
    for campaign, reason in reasons.items():
        who = people["other_sdr"] if campaign is draft else people["manager"]
        assert permissions.edit_refusal(who, campaign) == reason
        response = as_user(client, who).get(reverse("campaign_edit", args=[campaign.pk]))
        assert response.status_code == 403
        assert reason in response.content.decode()


@pytest.mark.parametrize("codename", sorted(permissions.REFUSALS))
def test_a_refused_manager_action_names_who_may(people, codename):
    with pytest.raises(permissions.PermissionDenied) as refused:
        permissions.require(people["author"], codename)
    assert str(refused.value) == permissions.REFUSALS[codename]
    permissions.require(people["manager"], codename)  # no refusal


def test_the_403_page_tells_an_sdr_the_refusal_sentence(client, people):
    response = as_user(client, people["author"]).post(reverse("suppression"), {"emails": "x@example.com", "note": ""})
    assert response.status_code == 403
    assert permissions.REFUSALS["manage_suppression"] in response.content.decode()
