"""Merge-tag coverage is a gate: submit refuses tags no lead can fill, launch needs a counted override."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditEvent, Campaign, Lead, Operation
from campaigns.services import launch, lifecycle
from campaigns.services.coverage_gate import (
    STANDARD,
    Risk,
    coverage_message,
    coverage_risks,
    parse_confirmations,
    unconfirmed,
)
from campaigns.services.lifecycle import LifecycleError
from campaigns.services.preview import custom_field_names, token_coverage
from campaigns.services.versions import version_save
from tests.factories import CampaignFactory, LeadFactory, StepFactory
from tests.lifecycle_support import a_plan, fresh_pools

pytestmark = pytest.mark.django_db

COVERED = ("Hello {{firstName}}", "<p>Hi {{firstName}} at {{company}}</p>")


def sequence(owner, steps, leads, status="draft", approver=None) -> Campaign:
    """A campaign with these (subject, body) steps and leads (LeadFactory fields), in `status`."""
    campaign = CampaignFactory(owner=owner)
    for position, (subject, body) in enumerate(steps, 1):
        StepFactory(campaign=campaign, position=position, subject=subject, body_html=body)
    for lead in leads:
        LeadFactory(campaign=campaign, **lead)
    version = version_save(campaign=campaign, actor=owner)
    if status == "approved":
        campaign.approved_version, campaign.approved_hash = version.number, version.content_hash
        campaign.approved_by, campaign.approved_at = approver, timezone.now()
    campaign.status = status
    campaign.save()
    return campaign


def refusal(campaign, actor) -> str:
    with pytest.raises(LifecycleError) as caught:
        lifecycle.campaign_submit(campaign=campaign, actor=actor)
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert not AuditEvent.objects.filter(action="campaign.submitted", campaign=campaign).exists()
    return str(caught.value)


# --- submit ---------------------------------------------------------------


def test_submit_refuses_a_tag_no_lead_has_and_names_it(sdr):
    campaign = sequence(sdr, [COVERED, ("Re: {{industry}}", "<p>{{industry}} news</p>")], [{}, {}])
    message = refusal(campaign, sdr)
    assert "“{{industry}}” (step 2 subject, step 2 body) is not a lead field" in message
    assert "no lead of this campaign has it" in message


def test_the_refusal_reads_in_full_and_names_each_place_once(sdr):
    steps = [("{{industry}} and {{industry}}", "<p>ok</p>"), ("Next", "<p>{{industry}}</p>")]
    assert refusal(sequence(sdr, steps, [{}]), sdr) == (
        "Fix the merge tags before sending it for review. “{{industry}}” (step 1 subject, step 2 body) is not a "
        f"lead field: it is not one of {STANDARD}, and no lead of this campaign has it."
    )
    assert STANDARD.startswith("email, firstName, ")


def test_several_problems_are_told_one_sentence_after_another(sdr):
    message = refusal(sequence(sdr, [("{{industry}}", "<p>{{firstname}}</p>")], [{}]), sdr)
    assert message == (
        "Fix the merge tags before sending it for review. “{{industry}}” (step 1 subject) is not a lead field: "
        f"it is not one of {STANDARD}, and no lead of this campaign has it. "
        "“{{firstname}}” (step 1 body) is not a lead field — did you mean “{{firstName}}”?"
    )


def test_a_custom_field_some_leads_have_is_not_unknown(sdr):
    leads = [{"custom_fields": {"industry": "Fintech"}}, {"custom_fields": {"size": "50"}}, {}]
    campaign = sequence(sdr, [("About {{industry}}", "<p>{{size}} people</p>")], leads)
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    assert Campaign.objects.get(pk=campaign.pk).status == "in_review"


def test_a_typo_is_refused_with_the_suggestion(sdr):
    campaign = sequence(sdr, [("Hi {{firstname}}", "<p>At {{Company}}, {{jobTitle}}</p>")], [{}])
    message = refusal(campaign, sdr)
    assert "“{{firstname}}” (step 1 subject) is not a lead field — did you mean “{{firstName}}”?" in message
    assert "“{{Company}}” (step 1 body) is not a lead field — did you mean “{{company}}”?" in message
    assert "{{jobTitle}}" not in message  # a standard field, present in every lead


def test_malformed_braces_are_refused(sdr):
    campaign = sequence(sdr, [("Hi {firstName}}", "<p>Hello</p>"), ("Next", "<p>At {{company</p>")], [{}])
    message = refusal(campaign, sdr)
    assert "“{firstName}}” (step 1 subject): Braces don't form a merge tag — did you mean “{{firstName}}”?" in message
    assert "(step 2 body): Braces don't form a merge tag" in message


def test_a_custom_field_added_to_an_existing_lead_counts_at_once(sdr):
    """The editor's cache is keyed on the lead count: an edited lead must not be missed at submit."""
    campaign = sequence(sdr, [("About {{industry}}", "<p>Hi</p>")], [{}, {}])
    assert custom_field_names(campaign) == []  # the editor saw no such field (and cached that)
    Lead.objects.filter(pk=campaign.leads.first().pk).update(custom_fields={"industry": "Retail"})
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    assert Campaign.objects.get(pk=campaign.pk).status == "in_review"


# --- the risk summary ---------------------------------------------------


def test_the_risk_summary_reads_with_separators_and_plurals():
    assert Risk("company", 540, 2541).summary == "{{company}} empty for 540 of 2,541 leads, no fallback"
    assert Risk("jobTitle", 1, 1).summary == "{{jobTitle}} empty for 1 of 1 lead, no fallback"
    assert Risk("company", 1, 2541).override_label == "Send anyway: 1 lead will get an empty {{company}}"
    assert Risk("company", 1540, 2541).override_label == "Send anyway: 1,540 leads will get an empty {{company}}"


def test_the_review_page_lists_each_uncovered_tag_next_to_approve(manager_client, sdr):
    steps = [("Hi {{firstName|there}}", "<p>{{company}} and {{jobTitle}}, {{lastName}}</p>")]
    campaign = sequence(sdr, steps, [{"first_name": ""}], status="in_review")
    Lead.objects.bulk_create(
        Lead(
            campaign=campaign,
            email=f"l{i}@example.com",
            first_name="",
            company="" if i < 540 else "Acme",
            job_title="CTO",
            last_name="L",
        )
        for i in range(2540)
    )
    html = manager_client.get(reverse("campaign_review", args=[campaign.pk])).content.decode()
    decision = html[html.index('id="decision-title"') :]
    assert "{{company}} empty for 540 of 2,541 leads, no fallback." in decision
    assert f"/campaigns/{campaign.pk}/leads/?missing=company" in decision
    assert "{{firstName}} empty" not in decision  # it has a fallback
    assert "{{jobTitle}} empty" not in decision and "{{lastName}} empty" not in decision  # every lead has them
    assert decision.index("empty for 540") < decision.index("Approve v")


# --- launch ------------------------------------------------------------------


@pytest.fixture
def plan(monkeypatch):
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())


@pytest.fixture
def gaps(sdr, manager2, plan):
    """Approved; of 5 leads 2 have no company and 3 no job title; the first name has a fallback."""
    fresh_pools()
    steps = [("Hi {{firstName|there}}", "<p>{{company}}</p>"), ("Again", "<p>{{jobTitle}}, {{firstName|there}}</p>")]
    leads = [
        {"company": "", "job_title": "", "first_name": ""},
        {"company": "", "job_title": ""},
        {"job_title": "", "first_name": ""},
        {"first_name": ""},
        {"first_name": ""},
    ]
    return sequence(sdr, steps, leads, status="approved", approver=manager2)


def launch_refusal(campaign, actor, **kwargs) -> str:
    with pytest.raises(LifecycleError) as caught:
        launch.campaign_launch(campaign=campaign, actor=actor, **kwargs)
    campaign.refresh_from_db()
    assert campaign.status == "approved" and not Operation.objects.filter(kind="launch").exists()
    assert not AuditEvent.objects.filter(action="launch.coverage_overridden").exists()
    return str(caught.value)


def test_preflight_flags_each_uncovered_tag_with_its_count(gaps):
    result = launch.campaign_preflight(gaps)
    check = next(c for c in result.checks if c.key == "coverage")
    assert not check.ok and check.overridable
    assert [(r.token, r.missing, r.total) for r in result.uncovered] == [("company", 2, 5), ("jobTitle", 3, 5)]
    assert result.ready and not result.failures  # launchable once a manager confirms


def test_launch_is_refused_until_every_uncovered_tag_is_confirmed(gaps, manager):
    message = launch_refusal(gaps, manager)
    assert message == (  # one sentence per tag, one after the other
        "{{company}} empty for 2 of 5 leads, no fallback: add a fallback, fill those leads, "
        "or tick “Send anyway: 2 leads will get an empty {{company}}” to launch. "
        "{{jobTitle}} empty for 3 of 5 leads, no fallback: add a fallback, fill those leads, "
        "or tick “Send anyway: 3 leads will get an empty {{jobTitle}}” to launch."
    )
    message = launch_refusal(gaps, manager, confirm_uncovered={"company": 2})
    assert "{{jobTitle}}" in message and "{{company}}" not in message


def test_the_override_is_audited_with_who_which_tags_and_how_many(gaps, manager):
    op = launch.campaign_launch(campaign=gaps, actor=manager, confirm_uncovered={"company": 2, "jobTitle": 3})
    assert op.kind == "launch" and Campaign.objects.get(pk=gaps.pk).status == "launching"
    event = AuditEvent.objects.get(action="launch.coverage_overridden")
    assert (event.actor, event.campaign_id) == (manager, gaps.pk)
    assert event.details == {"leads_left_empty": {"{{company}}": 2, "{{jobTitle}}": 3}, "total_leads": 5}


def test_an_override_of_a_single_uncovered_tag_is_audited_with_the_lead_count(sdr, manager, manager2, plan):
    """One tag left empty is the common case: the audit still says of how many leads."""
    fresh_pools()
    steps = [("Hi {{firstName|there}}", "<p>{{company}}</p>")]
    campaign = sequence(sdr, steps, [{"company": ""}, {}, {}], status="approved", approver=manager2)
    launch.campaign_launch(campaign=campaign, actor=manager, confirm_uncovered={"company": 1})
    event = AuditEvent.objects.get(action="launch.coverage_overridden")
    assert (event.actor, event.campaign_id) == (manager, campaign.pk)
    assert event.details == {"leads_left_empty": {"{{company}}": 1}, "total_leads": 3}


def test_a_count_that_grew_since_the_page_was_read_is_refused_with_the_new_count(gaps, manager):
    LeadFactory(campaign=gaps, company="")
    message = launch_refusal(gaps, manager, confirm_uncovered={"company": 2, "jobTitle": 3})
    assert "{{company}} is now empty for 3 of 6 leads, not the 2 you confirmed" in message
    assert "jobTitle" not in message  # still 3: what the manager confirmed


def test_a_lead_blanked_behind_the_editors_cache_is_still_counted(gaps, manager):
    assert {r.token: r.missing for r in token_coverage(gaps).rows}["company"] == 2  # a page warmed the cache
    Lead.objects.filter(campaign=gaps, company="Analytical Engines").update(company="")  # same lead count
    assert coverage_risks(gaps)[0].missing == 2  # the cached number the editor would still show
    message = launch_refusal(gaps, manager, confirm_uncovered={"company": 2, "jobTitle": 3})
    assert "now empty for 5 of 5 leads" in message


def test_a_count_that_shrank_launches_and_the_audit_keeps_the_count_sent(gaps, manager):
    Lead.objects.filter(campaign=gaps, company="").first().delete()
    launch.campaign_launch(campaign=gaps, actor=manager, confirm_uncovered={"company": 2, "jobTitle": 3})
    event = AuditEvent.objects.get(action="launch.coverage_overridden")
    assert event.details["leads_left_empty"] == {"{{company}}": 1, "{{jobTitle}}": 2}
    assert event.details["total_leads"] == 4


def test_a_covered_campaign_needs_no_override_and_records_none(sdr, manager, manager2, plan):
    fresh_pools()
    campaign = sequence(sdr, [COVERED], [{}, {}], status="approved", approver=manager2)
    launch.campaign_launch(campaign=campaign, actor=manager)
    assert not AuditEvent.objects.filter(action="launch.coverage_overridden").exists()


def test_an_sdr_cannot_override(gaps, sdr):
    with pytest.raises(PermissionDenied):
        launch.campaign_launch(campaign=gaps, actor=sdr, confirm_uncovered={"company": 2, "jobTitle": 3})
    assert Campaign.objects.get(pk=gaps.pk).status == "approved"


def test_each_unconfirmed_risk_gets_its_sentence_and_a_count_confirmed_as_seen_passes():
    risks = [Risk("company", 7, 1200), Risk("jobTitle", 1, 1200)]
    assert unconfirmed(risks, {"company": 5}) == [
        "{{company}} is now empty for 7 of 1,200 leads, not the 5 you confirmed: the leads changed. "
        "Check the new count and confirm again.",
        "{{jobTitle}} empty for 1 of 1,200 leads, no fallback: add a fallback, fill those leads, "
        "or tick “Send anyway: 1 lead will get an empty {{jobTitle}}” to launch.",
    ]
    assert unconfirmed(risks, {"company": 7, "jobTitle": 1}) == []  # exactly the counts seen


def test_the_preflight_line_when_every_tag_is_covered():
    assert coverage_message([]) == "Every merge tag has a value or a fallback for every lead."


def test_confirmations_are_read_from_token_count_pairs_only():
    values = ["company:540", "jobTitle:3", "bad", "x:-1", "1a:2", "industry:", "size:7:1"]
    assert parse_confirmations(values) == {"company": 540, "jobTitle": 3}


# --- the launch page -----------------------------------------------------------


def test_the_launch_page_offers_one_override_per_tag_stating_the_count(gaps, manager_client):
    html = manager_client.get(reverse("campaign_launch", args=[gaps.pk])).content.decode()
    assert 'name="confirm_uncovered" value="company:2"' in html
    assert 'name="confirm_uncovered" value="jobTitle:3"' in html
    assert "Send anyway: 3 leads will get an empty {{jobTitle}}." in html


def test_the_launch_page_refuses_without_the_ticks_and_launches_with_them(gaps, manager_client, manager):
    url = reverse("campaign_launch", args=[gaps.pk])
    response = manager_client.post(url, {"confirm_uncovered": ["company:2"]}, follow=True)
    assert "{{jobTitle}} empty for 3 of 5 leads" in response.content.decode()
    assert Campaign.objects.get(pk=gaps.pk).status == "approved"
    response = manager_client.post(url, {"confirm_uncovered": ["company:2", "jobTitle:3"]})
    assert response["Location"] == reverse("campaign_detail", args=[gaps.pk])
    assert AuditEvent.objects.get(action="launch.coverage_overridden").actor == manager


def test_an_sdr_gets_403_on_the_launch_page_and_its_override(gaps, sdr):
    client = Client()
    client.force_login(sdr)
    url = reverse("campaign_launch", args=[gaps.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm_uncovered": ["company:2", "jobTitle:3"]}).status_code == 403
    assert Campaign.objects.get(pk=gaps.pk).status == "approved"
    assert not AuditEvent.objects.filter(action="launch.coverage_overridden").exists()


# --- retries carry what was confirmed ------------------------------------------


def failed_override_launch(gaps, manager) -> Operation:
    """Launched with both tags confirmed (company 2, jobTitle 3), then failed for good."""
    op = launch.campaign_launch(campaign=gaps, actor=manager, confirm_uncovered={"company": 2, "jobTitle": 3})
    assert op.payload["preflight"]["confirmed_uncovered"] == {"company": 2, "jobTitle": 3}
    Operation.objects.filter(pk=op.pk).update(status="failed", last_error="boom")
    Campaign.objects.filter(pk=gaps.pk).update(status="launch_failed", status_reason="boom")
    gaps.refresh_from_db()
    return op


def test_a_retry_keeps_the_counts_confirmed_at_launch(gaps, manager, manager2):
    failed_override_launch(gaps, manager)
    op = launch.campaign_launch_retry(campaign=gaps, actor=manager2)
    assert op.payload["preflight"]["confirmed_uncovered"] == {"company": 2, "jobTitle": 3}
    assert Campaign.objects.get(pk=gaps.pk).status == "launching"


def test_a_retry_refuses_more_empty_leads_than_were_confirmed(gaps, manager):
    failed_override_launch(gaps, manager)
    LeadFactory(campaign=gaps, company="", job_title="Buyer")  # one more lead with no company
    with pytest.raises(LifecycleError, match=r"\{\{company\}\} is now empty for 3 of 6 leads, not the 2 you confirmed"):
        launch.campaign_launch_retry(campaign=gaps, actor=manager)
    assert Campaign.objects.get(pk=gaps.pk).status == "launch_failed"
    assert Operation.objects.filter(kind="launch").count() == 1


def test_an_operations_page_retry_refuses_a_tag_nobody_confirmed(gaps, manager):
    op = failed_override_launch(gaps, manager)
    payload = op.payload
    payload["preflight"]["confirmed_uncovered"] = {"company": 2}  # jobTitle was never confirmed
    Operation.objects.filter(pk=op.pk).update(payload=payload)
    op.refresh_from_db()
    with pytest.raises(LifecycleError, match=r"\{\{jobTitle\}\}"):
        launch.launch_requeue(operation=op, actor=manager)
    assert Campaign.objects.get(pk=gaps.pk).status == "launch_failed"


def test_the_preflight_counts_a_lead_blanked_behind_the_editors_cache(gaps):
    # The stored lead count is current (as the import keeps it), so the pre-flight's own recount
    # does not change the editor's cache key: only a fresh count sees the blanked leads.
    from campaigns.services.lead_counts import lead_count_refresh

    lead_count_refresh(campaign_id=gaps.pk)
    assert {r.token: r.missing for r in token_coverage(gaps).rows}["company"] == 2  # a page warmed the cache
    Lead.objects.filter(campaign=gaps, company="Analytical Engines").update(company="")  # same lead count
    result = launch.campaign_preflight(gaps)
    assert {r.token: r.missing for r in result.uncovered} == {"company": 5, "jobTitle": 3}
