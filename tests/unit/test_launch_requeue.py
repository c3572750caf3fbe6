"""Retrying a failed launch: from the Operations page (`launch_requeue`, the operation itself
queued again) and the checks a retry keeps from the campaign page (`retry_preflight`).

What is checked is what a manager reads and what the records keep: each refusal's sentence in
full, the payload the requeued operation carries (its fresh pre-flight, the counts confirmed
at launch, which launch it retries) and the audit record naming who, which failure and which
operation.
"""

import pytest

from campaigns.models import AuditEvent, Campaign, Operation
from campaigns.services import launch
from campaigns.services.lifecycle import LifecycleError
from campaigns.services.versions import version_save
from tests.factories import LeadFactory
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db

CHANGED = "The leads changed since the launch was confirmed: "
NO_CONFIRM = " A retry cannot confirm it: edit the campaign (a fallback) or fix those leads."


@pytest.fixture(autouse=True)
def ready(monkeypatch):
    fresh_pools()
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())


def failed_launch(owner, approver, *, payload=None, **fields) -> tuple[Campaign, Operation]:
    """A launch that failed for good (Leadterra said no_sequence_steps), as the engine leaves it."""
    campaign = campaign_in("launch_failed", owner=owner, approver=approver, **fields)
    payload = {"version": campaign.approved_version, "hash": campaign.approved_hash} | (payload or {})
    op = Operation.objects.create(kind="launch", campaign=campaign, status="failed", last_error="boom", payload=payload)
    return campaign, op


def refused(operation, actor) -> str:
    with pytest.raises(LifecycleError) as caught:
        launch.launch_requeue(operation=operation, actor=actor)
    assert Campaign.objects.get(pk=operation.campaign_id).status == "launch_failed"
    assert not AuditEvent.objects.filter(action="campaign.launch_retried").exists()
    return str(caught.value)


def with_empty_company(campaign):
    """Every lead lacks a company and the first step asks for one: an uncovered tag."""
    campaign.steps.filter(position=1).update(body_html="<p>At {{company}}</p>")
    campaign.leads.update(company="")


def reapprove(campaign, owner):
    """The edited content saved as a version and approved, as a new review would leave it."""
    version = version_save(campaign=campaign, actor=owner)
    Campaign.objects.filter(pk=campaign.pk).update(approved_version=version.number, approved_hash=version.content_hash)
    return version


# --- launch_requeue -----------------------------------------------------------------


def test_a_requeue_rewrites_the_payload_in_the_row_and_audits_who_what_and_which(sdr, manager, manager2):
    campaign, op = failed_launch(sdr, manager2, payload={"retry_of": 41})
    launch.launch_requeue(operation=op, actor=manager)
    stored = Operation.objects.get(pk=op.pk).payload
    assert stored == op.payload
    assert stored["retry_of"] == 41 and stored["hash"] == campaign.approved_hash
    assert stored["preflight"]["passed"] is True and stored["preflight"]["confirmed_uncovered"] == {}
    campaign.refresh_from_db()
    assert (campaign.status, campaign.status_reason) == ("launching", "")
    event = AuditEvent.objects.get(action="campaign.launch_retried")
    assert (event.actor, event.campaign) == (manager, campaign)
    assert event.details == {"failure": "Leadterra said: no_sequence_steps", "operation": op.pk}


def test_a_requeue_of_a_first_launch_retries_nothing_earlier(sdr, manager, manager2):
    _campaign, op = failed_launch(sdr, manager2)
    launch.launch_requeue(operation=op, actor=manager)
    assert "retry_of" in op.payload and op.payload["retry_of"] is None


def test_a_requeue_keeps_the_counts_confirmed_at_launch(sdr, manager, manager2):
    campaign, op = failed_launch(sdr, manager2, leads=2)
    with_empty_company(campaign)
    version = reapprove(campaign, sdr)
    confirmed = {"passed": True, "checks": [], "confirmed_uncovered": {"company": 2}}
    Operation.objects.filter(pk=op.pk).update(payload={"hash": version.content_hash, "preflight": confirmed})
    op.refresh_from_db()
    launch.launch_requeue(operation=op, actor=manager)
    assert Operation.objects.get(pk=op.pk).payload["preflight"]["confirmed_uncovered"] == {"company": 2}
    assert Campaign.objects.get(pk=campaign.pk).status == "launching"


def test_a_launch_with_no_campaign_is_refused_in_a_sentence(manager):
    op = Operation.objects.create(kind="launch", status="failed", payload={})
    with pytest.raises(LifecycleError) as caught:
        launch.launch_requeue(operation=op, actor=manager)
    assert str(caught.value) == "This launch names no campaign, so there is nothing to retry."


def test_a_requeue_while_another_launch_of_the_campaign_is_queued_names_it(sdr, manager, manager2):
    campaign, op = failed_launch(sdr, manager2)
    other = Operation.objects.create(kind="launch", campaign=campaign, status="queued")
    assert refused(op, manager) == f"Launch #{other.pk} of this campaign is still queued: wait for it or cancel it."


def test_a_requeue_of_a_launch_for_other_content_is_refused_in_full(sdr, manager, manager2):
    _campaign, op = failed_launch(sdr, manager2, payload={"hash": "an-older-approval"})
    assert refused(op, manager) == (
        "This launch was requested for content that is not the approved version: "
        "launch the campaign again from its page."
    )


# --- what a retry checks again --------------------------------------------------------------


def test_every_failed_check_is_told_one_sentence_after_another(sdr, manager, manager2):
    campaign, _op = failed_launch(sdr, manager2, steps=0, leads=0)
    with pytest.raises(LifecycleError) as caught:
        launch.campaign_launch_retry(campaign=campaign, actor=manager)
    assert str(caught.value) == "The sequence has no steps. There are no leads to enroll."


def test_a_retry_refuses_every_tag_nobody_confirmed_in_one_message(sdr, manager, manager2):
    campaign, op = failed_launch(sdr, manager2, leads=1)
    campaign.steps.filter(position=1).update(body_html="<p>{{company}}, {{jobTitle}}</p>")
    campaign.leads.update(company="", job_title="")
    LeadFactory(campaign=campaign, company="", job_title="")
    version = reapprove(campaign, sdr)
    Operation.objects.filter(pk=op.pk).update(payload={"hash": version.content_hash})
    op.refresh_from_db()
    assert refused(op, manager) == (
        CHANGED + "{{company}} empty for 2 of 2 leads, no fallback: add a fallback, fill those leads, "
        "or tick “Send anyway: 2 leads will get an empty {{company}}” to launch. "
        "{{jobTitle}} empty for 2 of 2 leads, no fallback: add a fallback, fill those leads, "
        "or tick “Send anyway: 2 leads will get an empty {{jobTitle}}” to launch." + NO_CONFIRM
    )
