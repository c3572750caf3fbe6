"""The preview is the launch payload rendered: same sanitised bodies, same escaped values.

The handlers send through the real client (HTTP faked with `responses`); what they send is
rendered as Leadterra renders it and compared with the preview of the same lead.
"""

import json

import pytest
import responses

from campaigns.merge_tags import render_sent
from campaigns.models import Campaign, Operation
from campaigns.services.campaigns import campaign_content_save, campaign_create
from campaigns.services.preview import preview_choice, preview_steps
from tests.factories import LeadFactory
from tests.lifecycle_support import launch_payload
from tests.unit.test_outbox_handlers import BASE, quiet, run  # noqa: F401 - quiet is an autouse fixture

pytestmark = pytest.mark.django_db
STEPS = [
    {
        "subject": "Hi {{firstName}}, {{company|there}} & co",
        "body_html": '<p onclick="x()">Hi {{firstName}} at {{company|A &amp; B}}</p><script>x()</script>'
        '<a href="https://x.example/?c={{company}}&amp;m={{email}}">x</a><img src="http://t.example/p.gif">',
        "delay_days": 0,
    },
    {"subject": "{{city}}", "body_html": "<p>{{city}} — {{ jobTitle|you }}</p>", "delay_days": 2},
]
VALUES = [
    {"first_name": '<b>"Ada"</b>', "company": "A & B\nCo", "job_title": "", "custom_fields": {"city": "{{email}}"}},
    {"first_name": "\u200bZoë", "company": "", "job_title": "<i>CTO</i>", "custom_fields": {"city": "Tel Aviv 🎉"}},
]


@responses.activate
def test_what_the_handlers_send_renders_to_exactly_the_preview(sdr, manager):
    campaign = campaign_create(owner=sdr, name="Parity")
    campaign_content_save(campaign=campaign, actor=sdr, content={"name": "Parity", "steps": STEPS}, base_version=1)
    version = campaign.versions.get(number=campaign.version)  # approved as saved: the hash the handler checks
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.LAUNCHING, approved_version=version.number, approved_hash=version.content_hash
    )
    campaign.refresh_from_db()
    leads = [LeadFactory(campaign=campaign, email=f"p{i}@example.com", **v) for i, v in enumerate(VALUES)]
    responses.post(f"{BASE}/v1/campaigns", json={"id": "camp_P", "name": "Parity", "status": "draft"}, status=201)
    responses.post(f"{BASE}/v1/campaigns/camp_P/leads/bulk", json={"enrolled": 2, "updated": 0, "total": 2})
    for kind in ("create_campaign", "enroll_leads"):
        op = Operation.objects.create(
            kind=kind, campaign=campaign, created_by=manager, payload=launch_payload(campaign)
        )
        assert run(op).status == "succeeded", op.last_error
    sent_steps = json.loads(responses.calls[0].request.body)["sequenceSteps"]
    sent_leads = {x["email"]: x for x in json.loads(responses.calls[1].request.body)["leads"]}

    for lead in leads:
        preview = preview_steps(Campaign.objects.get(pk=campaign.pk), lead)
        sent = [(render_sent(s["subject"], sent_leads[lead.email]), render_sent(s["bodyHtml"], sent_leads[lead.email]))
                for s in sent_steps]  # fmt: skip
        assert sent == [(s.subject, s.html) for s in preview.steps]
    first = preview_steps(campaign, leads[0]).steps
    assert first[0].subject == 'Hi <b>"Ada"</b>, A & B Co & co'
    assert first[0].html.startswith("<p>Hi &lt;b&gt;&quot;Ada&quot;&lt;/b&gt; at A &amp; B Co</p>")
    assert "script" not in first[0].html and "onclick" not in first[0].html and "<img" not in first[0].html
    assert first[1].html == "<p>{{email}} — you</p>"  # a value's braces are text, never filled again


def test_the_preview_of_unsaved_content_is_what_saving_it_would_send(sdr):
    campaign = campaign_create(owner=sdr, name="Draft")
    lead = LeadFactory(campaign=campaign, first_name="<Ada>")
    typed = [{"subject": "Hi", "body_html": "<p>{{firstName}}</p><script>x()</script>", "delay_days": 0}]
    assert preview_choice(campaign, str(lead.pk), typed).steps[0].html == "<p>&lt;Ada&gt;</p>"


def test_the_preview_names_invisible_characters_in_the_lead_values_it_uses(sdr_client, sdr):
    campaign = campaign_create(owner=sdr, name="Hidden")
    campaign_content_save(campaign=campaign, actor=sdr, content={"name": "Hidden", "steps": STEPS}, base_version=1)
    lead = LeadFactory(campaign=campaign, first_name=" Ada\u200b", company="Multi\nLine", custom_fields={"city": "x"})
    LeadFactory(campaign=campaign, last_name="Hidden\u200b")  # a field no step uses is not mentioned
    notes = preview_steps(campaign, lead).invisible
    assert notes == [
        "{{firstName}} “␣Ada[U+200B]” has spaces at the start or end, U+200B ZERO WIDTH SPACE.",
        "{{company}} “Multi Line” has a line break or control character (sent as one space).",
    ]
    page = sdr_client.get(f"/campaigns/{campaign.pk}/edit/?lead={lead.pk}").content.decode()
    assert "U+200B ZERO WIDTH SPACE" in page and "sent as one space" in page
