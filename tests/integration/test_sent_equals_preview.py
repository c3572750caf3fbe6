"""What the reviewer previews is, byte for byte, what Leadterra sends.

Hostile bodies and hostile lead values go through the real path: saved by the editor's
service, submitted, approved and launched through the pages, a real worker creating the
campaign and enrolling the leads in the sandbox over HTTP. The sandbox then renders each
step for each lead as it sends it; every subject and body must equal our preview.
"""

import pytest

from campaigns.models import Campaign, Lead, Operation
from campaigns.services.campaigns import campaign_content_save, campaign_create
from campaigns.services.preview import preview_steps
from tests.conftest import wait_until
from tests.factories import LeadFactory
from tests.lifecycle_support import as_user, post

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

STEPS = [
    {
        "subject": "Hi {{firstName}} from {{company}}",
        "body_html": '<p onclick="steal()">Hi {{firstName}} at {{company}}</p><script>alert(1)</script>'
        "<img src=x onerror=alert(1)><style>p{color:red}</style>",
        "delay_days": 0,
    },
    {
        "subject": "{{note}} / {{lastName|Doe}} & <b>",
        "body_html": '<form action="https://evil.example/"><input type="password" name="p">'
        '<button onclick="steal()">Log in</button></form><a href="javascript:alert(1)">x</a>'
        '<a href="https://x.example/?c={{company}}&amp;e={{email}}" title="{{jobTitle}}">link</a>',
        "delay_days": 1,
    },
    {
        "subject": "Re: {{ jobTitle }}",
        "body_html": '<iframe src="https://evil.example"></iframe><img src="http://track.example/p.gif">'
        '<img src="https://cdn.example/{{note}}.png" alt="{{jobTitle|there}}">'
        '<p style="color:red;background:url(javascript:x)">{{note}} &amp; {{lastName|friend &amp; co}}</p>',
        "delay_days": 2,
    },
    {
        "subject": "Last: {{company}} {{lastName|Doe}}",
        "body_html": "<p>&#x3C;script&#x3E; {{ firstName }} {{lastName|Doe}} "
        '<a href="mailto:{{email}}?subject=Hi%20{{firstName}}">mail</a></p>'
        "<table><tr><td>{{company}}</td></tr></table>",
        "delay_days": 3,
    },
]
LEADS = [  # every referenced field without a fallback is filled, so no coverage gate stops the launch
    {
        "email": "xss@example.com",
        "first_name": '<script>alert("x")</script>',
        "last_name": "",
        "company": "A & B <b>Co</b>",
        "job_title": "\"Head\" of 'Sales'",
        "custom_fields": {"note": "{{email}} {{firstName}}"},
    },
    {
        "email": "multi@example.com",
        "first_name": "\u200bZoë\u200d",
        "last_name": "שלום\u200f",
        "company": "Multi\nLine Co",
        "job_title": "CTO",
        "custom_fields": {"note": "🎉 emoji 👩\u200d💻"},
    },
    {
        "email": "spaces@example.com",
        "first_name": " Ada ",
        "last_name": "O'Brien & Sons",
        "company": "Tab\tCo\r\n",
        "job_title": "{{company|x}}",
        "custom_fields": {"note": "&amp; already \u202eevil"},
    },
]


def launch(campaign, sdr, reviewer, launcher):
    post(as_user(sdr), "campaign_submit", campaign)
    version = Campaign.objects.get(pk=campaign.pk).version
    post(as_user(reviewer), "campaign_approve", campaign, {"comment": "Fine", "reviewed_version": version})
    client = as_user(launcher)
    location = post(client, "campaign_preflight_refresh", campaign)["Location"]
    refresh = Operation.objects.get(pk=int(location.split("op=")[1]))
    wait_until(lambda: Operation.objects.get(pk=refresh.pk).status == "succeeded", timeout=30, message="pool refresh")
    post(client, "campaign_launch", campaign, {"confirm_spill": "1"})
    return wait_until(
        lambda: Campaign.objects.filter(pk=campaign.pk, status="running").first(),
        timeout=60,
        message=f"the campaign to run (it is {Campaign.objects.get(pk=campaign.pk).status})",
    )


def test_every_sent_subject_and_body_equals_the_preview_for_hostile_content_and_leads(
    sandbox, celery_worker, sdr, manager, manager2
):
    sandbox.reset(seed=5, pools=1, senders=2, poolCapacity=500, campaigns=0, leads=0, steps=1)
    sandbox.rates(bounceRate=0, replyRate=0)
    campaign = campaign_create(owner=sdr, name="Hostile <b>corpus</b>")
    content = {"name": campaign.name, "steps": STEPS}
    campaign_content_save(campaign=campaign, actor=sdr, content=content, base_version=campaign.version)
    leads = [LeadFactory(campaign=campaign, **fields) for fields in LEADS]

    running = launch(campaign, sdr, manager2, manager)
    assert Lead.objects.filter(campaign=campaign, status="enrolled").count() == len(LEADS)
    sandbox.advance(hours=1)  # step 1 goes out to every lead

    bodies = []
    for lead in leads:
        preview = preview_steps(running, lead)
        remote = sandbox.leads(running.remote_id, email=lead.email, every_step=True)[0]
        assert remote["stepsSent"] == 1
        rendered = [(m["subject"], m["bodyHtml"]) for m in remote["messages"]]
        assert rendered == [(s.subject, s.html) for s in preview.steps], lead.email
        sent = sandbox.leads(running.remote_id, email=lead.email)[0]["messages"]  # what actually went out
        assert [(m["subject"], m["bodyHtml"]) for m in sent] == rendered[:1]
        bodies += [html for _, html in rendered]

    # The bytes compared above are the safe ones: nothing hostile survived, values are escaped.
    joined = "\n".join(bodies)
    hostile = ("<script", "onclick", "onerror", "javascript:", "<form", "<input", "<iframe", "http://", "<style")
    for forbidden in hostile:
        assert forbidden not in joined.lower(), forbidden
    first = sandbox.leads(running.remote_id, email="xss@example.com", every_step=True)[0]["messages"]
    escaped = "Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; at A &amp; B &lt;b&gt;Co&lt;/b&gt;"
    assert escaped in first[0]["bodyHtml"]
    assert first[0]["subject"] == 'Hi <script>alert("x")</script> from A & B <b>Co</b>'  # plain text: raw
    assert first[1]["subject"] == "{{email}} {{firstName}} / Doe & <b>"  # a value's braces are not filled again
    multi = sandbox.leads(running.remote_id, email="multi@example.com", every_step=True)[0]["messages"]
    assert multi[0]["subject"] == "Hi \u200bZoë\u200d from Multi Line Co"  # the newline is one space
    assert "🎉 emoji 👩\u200d💻" in multi[2]["bodyHtml"]
