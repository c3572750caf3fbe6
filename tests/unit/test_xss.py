"""An XSS corpus in names, subjects, bodies and lead values never executes anywhere it is shown.

Every page and fragment that shows campaign content is parsed as a browser would; the
test fails on any script that is not our own static file, any event-handler attribute,
any javascript: URL, or any injected htmx attribute, including inside the preview
iframes' srcdoc documents.
"""

import html
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import CampaignFactory, LeadFactory, StepFactory
from tests.unit.test_editor_views import form_data

pytestmark = pytest.mark.django_db

CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href=" JaVaScRiPt:alert(1)">click</a>',
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '" hx-get="/evil" hx-trigger="load',
    "<p>broken <b><i>markup <a href='",
    "<<script>script>alert(1)<</script>/script>",
    "{{firstName}}<scr<script>ipt>alert(1)</script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<body onload=alert(1)>",
]


class Audit(HTMLParser):
    def __init__(self, where):
        super().__init__(convert_charrefs=True)
        self.where, self.problems, self._in_script = where, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            src = attrs.get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"{self.where}: script {attrs}")
            self._in_script = True
        for name, value in attrs.items():
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"{self.where}: handler {name}={value!r} on <{tag}>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value.replace(" ", "").startswith(
                "javascript:"
            ):
                self.problems.append(f"{self.where}: javascript URL in <{tag} {name}>")
            if name.startswith("hx-") and "evil" in value:
                self.problems.append(f"{self.where}: injected {name}")
            if name == "srcdoc":
                inner = Audit(f"{self.where} srcdoc")
                inner.feed(attrs[name])
                self.problems += inner.problems

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"{self.where}: inline script {data[:40]!r}")


def audit(html, where):
    parser = Audit(where)
    parser.feed(html)
    return parser.problems


@pytest.mark.parametrize("payload", CORPUS)
def test_hostile_content_never_executes_anywhere_it_is_shown(sdr_client, sdr, payload):
    campaign = CampaignFactory(owner=sdr, name=payload)
    StepFactory(campaign=campaign, position=1, subject=payload + " {{firstName}}", body_html=payload)
    StepFactory(campaign=campaign, position=2, subject=payload, body_html=f"<p>Hi {{{{firstName}}}}</p>{payload}")
    LeadFactory(campaign=campaign, first_name=payload, custom_fields={"city": payload})
    pages = {
        "list": sdr_client.get(reverse("campaign_list")),
        "detail": sdr_client.get(reverse("campaign_detail", args=[campaign.pk])),
        "editor": sdr_client.get(reverse("campaign_edit", args=[campaign.pk])),
    }
    steps = [(payload, payload, 0), (payload + "{{city}}", payload, 2)]
    data = form_data(campaign, steps, name=payload)
    pages["check"] = sdr_client.post(reverse("editor_check", args=[campaign.pk]), data, HTTP_HX_REQUEST="true")
    pages["change"] = sdr_client.post(
        reverse("editor_change", args=[campaign.pk]), {**data, "op": "duplicate:0"}, HTTP_HX_REQUEST="true"
    )
    pages["save"] = sdr_client.post(reverse("editor_save", args=[campaign.pk]), data, HTTP_HX_REQUEST="true")
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    pages["locked"] = sdr_client.get(reverse("campaign_edit", args=[campaign.pk]))
    problems = []
    for where, response in pages.items():
        assert response.status_code in (200, 403), where
        problems += audit(response.content.decode(), where)
    assert problems == []


def test_the_audit_itself_catches_unescaped_payloads():
    """Guards the guard: raw payloads, as a careless template would emit them, are caught."""
    for payload in CORPUS[:7]:
        assert audit(f"<div>{payload}</div>", "raw") or audit(f'<input value="{payload}">', "raw"), payload
    assert audit('<iframe srcdoc="<img src=x onerror=alert(1)>"></iframe>', "raw")


@pytest.mark.parametrize(
    "value", ['" onmouseover="alert(1)', "' onfocus='alert(1)", "javascript:alert(1)", "<svg/onload=alert(1)>"]
)
def test_a_lead_value_inside_an_attribute_cannot_open_a_handler_or_a_url(sdr_client, sdr, value):
    campaign = CampaignFactory(owner=sdr)
    body = (
        '<a href="https://x.example/?c={{company}}" title="{{company}}">{{company}}</a>'
        '<img src="https://x.example/{{city}}" alt="{{city}}">'
    )
    StepFactory(campaign=campaign, position=1, subject="{{company}}", body_html=body)
    lead = LeadFactory(campaign=campaign, company=value, custom_fields={"city": value})
    page = sdr_client.get(reverse("campaign_edit", args=[campaign.pk]) + f"?lead={lead.pk}").content.decode()
    assert audit(page, "editor") == []
    assert html.escape(value) in page.replace("&amp;", "&")  # shown, escaped, inside the srcdoc
