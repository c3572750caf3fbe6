"""A Content-Security-Policy on every page: every route of the URLconf answers with one, the
strict policy everywhere except the pages that embed an email preview, whose relaxation stays
within images and styles (scripts are never relaxed)."""

import re

import pytest
from django.urls import get_resolver, reverse

from campaigns.models import WallToken
from leadterra_ui.csp import DEFAULT, WITH_EMAIL_PREVIEW
from tests.factories import CampaignFactory, LeadFactory, StepFactory
from tests.unit.test_security import walk

pytestmark = pytest.mark.django_db
HEADER = "Content-Security-Policy"
PREVIEW_PAGES = {"campaign_detail", "campaign_edit", "editor_change", "editor_save", "campaign_review"}
PREVIEW_PAGES |= {"campaign_approve", "campaign_reject"}


def directives(policy: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_the_strict_policy_has_every_directive_the_product_promises():
    policy = directives(DEFAULT)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-eval" not in DEFAULT and "unsafe-inline" not in DEFAULT


def test_the_email_preview_relaxes_images_and_styles_only():
    strict, preview = directives(DEFAULT), directives(WITH_EMAIL_PREVIEW)
    changed = {name for name in preview if preview[name] != strict.get(name)}
    assert changed == {"img-src", "style-src"}
    assert preview["script-src"] == ["'self'"]


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_every_route_answers_with_a_policy(client, manager):
    """Each route, with made-up arguments (most answer 404 or 405; all carry the header)."""
    client.force_login(manager)
    campaign = CampaignFactory(owner=manager)
    missing = []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith("admin/") and route != "admin/":
            continue  # the admin's many pages share its one middleware path; its index stands for them
        if "(?P" in route or "^" in route:
            path = "/" + re.sub(r"\^|\$|\(\?P<\w+>\.\*\)", "", route) + "anything"
        else:
            path = "/" + re.sub(r"<int:\w+>", str(campaign.pk), re.sub(r"<str:\w+>", "no-such-token", route))
        response = client.get(path)
        if HEADER not in response:
            missing.append(f"{path} ({response.status_code})")
        elif pattern.name in PREVIEW_PAGES and response.status_code == 200:
            assert response[HEADER] == WITH_EMAIL_PREVIEW, path
        elif pattern.name not in PREVIEW_PAGES:
            assert response[HEADER] == DEFAULT, path
    assert missing == []


def test_pages_people_use_carry_the_strict_policy(client, manager):
    client.force_login(manager)
    token = WallToken.objects.create(label="Floor", created_by=manager)
    for url in [reverse("campaign_list"), reverse("pools"), reverse("replies"), reverse("audit_log")]:
        response = client.get(url)
        assert response.status_code == 200 and response[HEADER] == DEFAULT, url
    client.logout()
    for url in [reverse("login"), reverse("wall", args=[token.token]), reverse("wall_screen", args=[token.token])]:
        response = client.get(url)
        assert response.status_code == 200 and response[HEADER] == DEFAULT, url


def test_the_preview_pages_relax_and_the_frame_keeps_its_own_stricter_policy(client, sdr):
    client.force_login(sdr)
    campaign = CampaignFactory(owner=sdr)
    StepFactory(campaign=campaign, position=1, subject="Hi", body_html='<p style="color: red">Hi {{firstName}}</p>')
    LeadFactory(campaign=campaign)
    for name in ["campaign_detail", "campaign_edit", "campaign_review"]:
        response = client.get(reverse(name, args=[campaign.pk]))
        assert response.status_code == 200, name
        assert response[HEADER] == WITH_EMAIL_PREVIEW, name
        assert "content=&quot;default-src &#x27;none&#x27;" in response.content.decode().replace("'", "&#x27;"), name


def test_no_template_carries_inline_script_style_attributes_or_handlers():
    from pathlib import Path

    from tests.conftest import ROOT

    found = []
    for template in Path(ROOT, "templates").rglob("*.html"):
        text = template.read_text()
        text = re.sub(r'srcdoc="[^"]*"', "", text)  # the preview frame: its own policy, no script
        if re.search(r"\sstyle=|\son[a-z]+=|<script(?![^>]*\bsrc=)|\[document\.", text):
            found.append(template.name)
    assert found == []
