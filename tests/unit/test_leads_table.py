"""The leads table: filters, keyset pages, the missing-token filter, constant queries."""

import pytest
from django.urls import reverse

from campaigns.models import Lead
from campaigns.services.lead_queries import lead_page
from tests.factories import CampaignFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(sdr):
    return CampaignFactory(owner=sdr)


def url(campaign, query=""):
    return reverse("lead_list", args=[campaign.pk]) + query


def test_an_empty_campaign_says_how_to_add_leads(sdr_client, campaign):
    response = sdr_client.get(url(campaign))
    assert response.status_code == 200
    assert "No leads yet" in response.content.decode()


def test_pages_follow_each_other_by_id_without_offsets(campaign):
    leads = Lead.objects.bulk_create(Lead(campaign=campaign, email=f"u{i}@example.com") for i in range(120))
    first = lead_page(campaign=campaign)
    second = lead_page(campaign=campaign, after=first.next_after)
    third = lead_page(campaign=campaign, after=second.next_after)
    assert [len(p.leads) for p in (first, second, third)] == [50, 50, 20]
    assert third.next_after is None
    assert {lead.pk for p in (first, second, third) for lead in p.leads} == {lead.pk for lead in leads}


def test_it_filters_by_status_and_search(sdr_client, campaign):
    LeadFactory(campaign=campaign, email="ada@example.com", status=Lead.Status.ENROLLED)
    LeadFactory(campaign=campaign, email="bob@example.com", company="Bits")
    LeadFactory(campaign=campaign, email="rex@example.com", status=Lead.Status.REJECTED, error="email: mailbox unknown")
    body = sdr_client.get(url(campaign, "?status=rejected")).content.decode()
    assert "rex@example.com" in body and "mailbox unknown" in body and "ada@example.com" not in body
    body = sdr_client.get(url(campaign, "?q=bits")).content.decode()
    assert "bob@example.com" in body and "rex@example.com" not in body


def test_an_htmx_search_returns_only_the_table(sdr_client, campaign):
    LeadFactory(campaign=campaign, email="ada@example.com")
    response = sdr_client.get(url(campaign, "?q=ada"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="lead-table">') and "ada@example.com" in body


def test_the_missing_filter_finds_leads_without_a_standard_or_custom_value(sdr_client, campaign):
    LeadFactory(campaign=campaign, email="full@example.com", first_name="Full", custom_fields={"colour": "teal"})
    LeadFactory(campaign=campaign, email="noname@example.com", first_name="", custom_fields={"colour": ""})
    LeadFactory(campaign=campaign, email="nokey@example.com", custom_fields={})
    body = sdr_client.get(url(campaign, "?missing=firstName")).content.decode()
    assert "noname@example.com" in body and "full@example.com" not in body and "nokey@example.com" not in body
    body = sdr_client.get(url(campaign, "?missing=colour")).content.decode()
    assert "noname@example.com" in body and "nokey@example.com" in body and "full@example.com" not in body
    assert sdr_client.get(url(campaign, "?missing=not a token")).status_code == 200


def test_the_import_result_shows_coverage_with_links_to_the_leads_missing_a_token(sdr_client, campaign, sdr):
    from campaigns.models import LeadImport

    StepFactory(campaign=campaign, subject="Hi {{firstName}}", body_html="at {{company}}")
    LeadFactory(campaign=campaign, first_name="", company="Y")
    imp = LeadImport.objects.create(campaign=campaign, uploaded_by=sdr, status="succeeded", counts={"rows": 1})
    body = sdr_client.get(reverse("lead_import_detail", args=[imp.pk])).content.decode()
    assert "Merge-tag coverage" in body
    assert url(campaign, "?missing=firstName") in body


def test_the_table_costs_the_same_queries_for_ten_or_a_thousand_leads(
    sdr_client, campaign, django_assert_max_num_queries
):
    Lead.objects.bulk_create(Lead(campaign=campaign, email=f"u{i}@example.com") for i in range(10))
    with django_assert_max_num_queries(12) as small:
        sdr_client.get(url(campaign))
    Lead.objects.bulk_create(Lead(campaign=campaign, email=f"v{i}@example.com") for i in range(1000))
    with django_assert_max_num_queries(len(small.captured_queries)):
        sdr_client.get(url(campaign))
