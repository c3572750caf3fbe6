"""Bad input, fed through the real pages: a clear message or a correct import, never a 500, never partial data."""

import re

import pytest
from django.urls import reverse

from campaigns.models import LeadImport
from campaigns.services.leads import lead_import_run
from tests.factories import CampaignFactory, LeadFactory
from tests.leads_helpers import report_rows, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def campaign(sdr):
    campaign = CampaignFactory(owner=sdr)
    LeadFactory(campaign=campaign, email="existing@example.com", first_name="Keep")
    return campaign


def post_file(client, campaign, data: bytes, name="leads.csv"):
    return client.post(reverse("lead_import_upload", args=[campaign.pk]), {"file": upload(data, name)})


def import_through_pages(client, campaign, data: bytes, extra: dict | None = None):
    """Upload, accept the guessed mapping (plus `extra` choices), run the task's service, show the result."""
    response = post_file(client, campaign, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    imp = LeadImport.objects.latest("pk")
    page = client.get(response["Location"])
    assert page.status_code == 200
    choices = {f"col_{i}": token for i, token in imp.mapping.items()} | (extra or {})
    response = client.post(reverse("lead_import_map", args=[imp.pk]), choices)
    assert response.status_code == 302, response.content.decode()[:2000]
    lead_import_run(import_id=imp.pk)
    assert client.get(reverse("lead_import_detail", args=[imp.pk])).status_code == 200
    imp.refresh_from_db()
    return imp


def assert_untouched(campaign):
    assert list(campaign.leads.values_list("email", "first_name")) == [("existing@example.com", "Keep")]


REFUSED = [
    ("empty file", b"", "The file is empty"),
    ("binary file", bytes(range(256)) * 64, "binary file"),
    ("excel workbook", b"PK\x03\x04" + bytes(range(256)) * 8, "Excel workbook"),
    ("no email column", b"name,company\nAda,Engines\nBob,Bits\n", "No column holds email addresses"),
    ("only a header", b"email,first_name,company\n", "header row but no leads"),
    ("10 MB single line", b"email," + b"x" * (10 * 1024 * 1024), "no line break"),
]


@pytest.mark.parametrize(("label", "data", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_unreadable_uploads_get_a_clear_message(sdr_client, campaign, label, data, message):
    response = post_file(sdr_client, campaign, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not LeadImport.objects.exists()
    assert_untouched(campaign)


def test_mixed_encodings_import_with_every_name_intact(sdr_client, campaign):
    data = "email,first_name\nzoe@example.com,Zoë\n".encode() + "jurgen@example.com,Jürgen\n".encode("cp1252")
    imp = import_through_pages(sdr_client, campaign, data)
    assert imp.status == "succeeded"
    assert campaign.leads.get(email="jurgen@example.com").first_name == "Jürgen"
    assert campaign.leads.get(email="zoe@example.com").first_name == "Zoë"


def test_a_bom_does_not_hide_the_email_header(sdr_client, campaign):
    imp = import_through_pages(sdr_client, campaign, b"\xef\xbb\xbfEmail,First Name\nada@example.com,Ada\n")
    assert imp.mapping == {"0": "email", "1": "firstName"}
    assert campaign.leads.get(email="ada@example.com").first_name == "Ada"


def test_semicolon_files_from_european_excel_import(sdr_client, campaign):
    data = "E-Mail;Vorname;Firma\nada@example.de;Ada;Müller GmbH\n".encode("cp1252")
    imp = import_through_pages(sdr_client, campaign, data)
    assert imp.delimiter == ";"
    lead = campaign.leads.get(email="ada@example.de")
    assert (lead.first_name, lead.company) == ("Ada", "Müller GmbH")


def test_quoted_newlines_stay_inside_their_custom_field(sdr_client, campaign):
    data = b'email,Notes\nada@example.com,"met at the fair\nlikes tea"\nbob@example.com,none\n'
    imp = import_through_pages(sdr_client, campaign, data, {"col_1": "custom", "token_1": "notes"})
    assert imp.counts["new"] == 2
    assert campaign.leads.get(email="ada@example.com").custom_fields == {"notes": "met at the fair\nlikes tea"}


def test_formula_cells_are_stored_as_text_and_neutralised_in_the_report(sdr_client, campaign):
    data = b'email,first_name\n=cmd|"/C calc"!A0,Evil\n+ada@example.com,=1+2\n@SUM(1),x\n'
    imp = import_through_pages(sdr_client, campaign, data)
    assert campaign.leads.get(email="+ada@example.com").first_name == "=1+2"
    cells = [cell for row in report_rows(imp)[1:] for cell in row[1:]]
    assert cells and not any(re.match(r"^[=+\-@]", cell) for cell in cells)
    download = sdr_client.get(reverse("lead_import_report", args=[imp.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_fifty_thousand_duplicate_rows_make_one_lead(sdr_client, campaign):
    data = b"email,first_name\n" + b"same@example.com,Sam\n" * 50_000
    imp = import_through_pages(sdr_client, campaign, data)
    assert (imp.counts["new"], imp.counts["duplicate"], imp.counts["rows"]) == (1, 49_999, 50_000)
    assert campaign.leads.count() == 2


def test_unicode_domain_emails_are_kept_in_unicode(sdr_client, campaign):
    data = "email\nmaría@exämple.com\nkontakt@bücher.de\n".encode()
    imp = import_through_pages(sdr_client, campaign, data)
    assert imp.counts["new"] == 2
    assert set(campaign.leads.values_list("email", flat=True)) >= {"maría@exämple.com", "kontakt@bücher.de"}


def test_an_unclosed_quote_fails_the_whole_import_with_its_row(sdr_client, campaign):
    rows = b"".join(b"u%d@example.com,x\n" % i for i in range(1500))
    data = b"email,note\n" + rows + b'late@example.com,"never closed\n' + b"y" * 140_000 + b"\n"
    imp = import_through_pages(sdr_client, campaign, data)
    assert imp.status == "failed"
    assert "Row 1502" in imp.error and "No leads were changed" in imp.error
    assert_untouched(campaign)


def test_values_too_long_for_a_field_make_the_row_invalid_not_the_import(sdr_client, campaign):
    data = b"email,first_name\nlong@example.com," + b"x" * 300 + b"\nok@example.com,Ok\n"
    imp = import_through_pages(sdr_client, campaign, data)
    assert (imp.status, imp.counts["new"], imp.counts["invalid"]) == ("succeeded", 1, 1)
