"""Preview and coverage: counted in the database, rendered as Leadterra would."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.services.preview import (
    custom_field_names,
    preview_choice,
    preview_steps,
    token_coverage,
    worst_case_lead,
)
from tests.factories import CampaignFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    c = CampaignFactory()
    StepFactory(
        campaign=c, position=1, subject="Hi {{firstName}}", body_html="<p>Hi {{firstName}}, how is {{city}}?</p>"
    )
    StepFactory(campaign=c, position=2, subject="{{company|your team}}", body_html="<p>Bye</p>", delay_days=3)
    return c


def test_coverage_counts_leads_missing_each_token(campaign):
    LeadFactory.create_batch(3, campaign=campaign, custom_fields={"city": "Paris"})
    LeadFactory(campaign=campaign, first_name="", custom_fields={"city": ""})
    LeadFactory(campaign=campaign, first_name="", company="", custom_fields={})
    LeadFactory(campaign=campaign, custom_fields={"city": None})
    LeadFactory(first_name="")  # another campaign's lead never counts
    coverage = token_coverage(campaign)
    rows = {r.token: r for r in coverage.rows}
    assert coverage.total == 6
    assert rows["firstName"].missing == 2 and rows["firstName"].fallback is None
    assert rows["firstName"].example == "Hi "
    assert rows["city"].missing == 3 and rows["city"].known
    assert rows["company"].missing == 1 and rows["company"].fallback == "your team"
    assert [r.token for r in coverage.problems] == ["firstName", "city"]


def test_the_example_shows_what_a_lead_without_the_field_reads(campaign):
    StepFactory(campaign=campaign, position=3, subject="x", body_html="<p>Hello {{jobTitle}}, nice.</p>")
    row = next(r for r in token_coverage(campaign).rows if r.token == "jobTitle")
    assert row.example == "Hello , nice"


def test_coverage_runs_a_constant_number_of_queries(campaign):
    LeadFactory.create_batch(20, campaign=campaign)
    with CaptureQueriesContext(connection) as few:
        token_coverage(campaign)
    LeadFactory.create_batch(40, campaign=campaign, custom_fields={"city": "Oslo", "plan": "pro"})
    with CaptureQueriesContext(connection) as many:
        token_coverage(campaign)
    assert len(few) == len(many) <= 5  # steps, 2 fingerprints, custom fields, one aggregate


def test_coverage_is_cached_until_the_leads_change(campaign):
    LeadFactory.create_batch(3, campaign=campaign, custom_fields={"city": "Paris"})
    assert token_coverage(campaign).rows[0].missing == 0
    with CaptureQueriesContext(connection) as cached:
        token_coverage(campaign)
    assert len(cached) == 3  # the steps and two index-only fingerprints: no lead-wide count
    LeadFactory(campaign=campaign, first_name="")
    assert token_coverage(campaign).rows[0].missing == 1


def test_custom_field_names_come_from_the_leads_and_skip_unusable_keys(campaign):
    LeadFactory(campaign=campaign, custom_fields={"city": "Oslo", "Company Size": "50", "plan": "pro"})
    LeadFactory(campaign=campaign, custom_fields={"city": "Rome", "firstName": "x"})
    LeadFactory(campaign=campaign, custom_fields=[])  # not an object: ignored, not an error
    assert custom_field_names(campaign) == ["city", "plan"]


def test_a_token_named_like_a_lookup_still_counts(campaign):
    StepFactory(campaign=campaign, position=3, subject="{{contains}}", body_html="")
    LeadFactory(campaign=campaign, custom_fields={"contains": "x"})
    LeadFactory(campaign=campaign, custom_fields={})
    assert next(r for r in token_coverage(campaign).rows if r.token == "contains").missing == 1


def test_the_worst_case_lead_misses_the_most_referenced_fields(campaign):
    LeadFactory(campaign=campaign, custom_fields={"city": "Oslo"})
    worst = LeadFactory(campaign=campaign, first_name="", company="", custom_fields={})
    LeadFactory(campaign=campaign, first_name="", custom_fields={"city": "Oslo"})
    assert worst_case_lead(campaign) == worst
    preview = preview_choice(campaign, "worst")
    assert preview.label.startswith("Worst case") and preview.steps[0].subject == "Hi "
    assert preview.steps[1].subject == "your team"
    assert set(preview.missing) == {"firstName", "city", "company"}


def test_a_preview_as_a_chosen_lead_fills_its_values_and_counts_days(campaign):
    lead = LeadFactory(campaign=campaign, first_name="Grace", custom_fields={"city": "Arlington"})
    preview = preview_steps(campaign, lead)
    assert preview.steps[0].subject == "Hi Grace"
    assert "how is Arlington?" in preview.steps[0].text
    assert [s.day for s in preview.steps] == [0, 3]


def test_without_leads_the_preview_uses_the_sample_lead(campaign):
    preview = preview_choice(campaign, "worst")
    assert preview.lead.first_name == "Ada" and preview.steps[0].subject == "Hi Ada"
    assert token_coverage(campaign).total == 0


def test_a_lead_id_from_another_campaign_is_not_previewed(campaign):
    stranger = LeadFactory(first_name="Eve")
    assert "Eve" not in preview_choice(campaign, str(stranger.pk)).steps[0].subject
