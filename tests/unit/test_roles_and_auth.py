import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from campaigns.permissions import can_edit_draft, can_review, is_manager
from tests.factories import CampaignFactory


@pytest.mark.django_db
def test_roles_exist_with_manager_permissions():
    manager = Group.objects.get(name="Manager")
    codenames = set(manager.permissions.values_list("codename", flat=True))
    assert {"review_campaign", "launch_campaign", "manage_wall_tokens"} <= codenames
    assert not Group.objects.get(name="SDR").permissions.exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_demo_users_can_log_in(client, settings, rf):
    settings.DEBUG = True  # a demo setup: seed_demo refuses to run without it
    call_command("seed_demo")
    call_command("seed_demo")
    # The login throttle (django-axes) needs the request that carries the attempt.
    assert client.login(request=rf.post("/login/"), username="sdr", password="sdr-demo")
    assert client.login(request=rf.post("/login/"), username="manager", password="manager-demo")


@pytest.mark.django_db
def test_reviewing_is_a_managers_role_and_who_wrote_it_is_the_lifecycles_rule(manager, manager2, sdr):
    """The role says who may review at all; whether this manager may approve this content
    (four-eyes: not its editor, not its submitter) is decided by the lifecycle, from the
    versions (tests/unit/test_lifecycle_adversary.py)."""
    own = CampaignFactory(owner=manager)
    assert is_manager(manager) and not is_manager(sdr)
    assert can_review(manager, own) and can_review(manager2, own)
    assert not can_review(sdr, CampaignFactory(owner=sdr))


@pytest.mark.django_db
def test_sdr_cannot_edit_someone_elses_draft(sdr, sdr2, manager):
    draft = CampaignFactory(owner=sdr2)
    assert not can_edit_draft(sdr, draft)
    assert can_edit_draft(sdr2, draft)
    assert can_edit_draft(manager, draft)
    draft.remote_id = "camp_123"
    assert not can_edit_draft(manager, draft)


@pytest.mark.django_db
def test_the_campaign_list_shows_an_empty_state(sdr_client):
    response = sdr_client.get("/campaigns/")
    assert response.status_code == 200
    assert b"No campaigns yet" in response.content
    assert b"Draft your first campaign" in response.content
