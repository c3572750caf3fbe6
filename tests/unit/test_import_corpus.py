"""Bad input, fed through the real pages: a clear message or a correct import, never a 500, never partial data."""

import re

import pytest
from django.urls import reverse

from campaigns.lead_fields import STANDARD
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


def accepted(mapping: dict) -> dict:
    """The mapping form's fields as a person leaves them: the guessed choice, and the guessed tag of custom columns."""
    choices = {}
    for i, token in mapping.items():
        custom = token not in STANDARD
        choices |= {f"col_{i}": "custom" if custom else token, f"token_{i}": token if custom else ""}
    return choices


def import_through_pages(client, campaign, data: bytes, extra: dict | None = None):
    """Upload, accept the guessed mapping (plus `extra` choices), run the task's service, show the result."""
    response = post_file(client, campaign, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    imp = LeadImport.objects.latest("pk")
    page = client.get(response["Location"])
    assert page.status_code == 200
    response = client.post(reverse("lead_import_map", args=[imp.pk]), accepted(imp.mapping) | (extra or {}))
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


def test_quoted_newlines_become_one_space_in_a_custom_field(sdr_client, campaign):
    data = b'email,Notes\nada@example.com,"met at the fair\nlikes tea"\nbob@example.com,none\n'
    imp = import_through_pages(sdr_client, campaign, data, {"col_1": "custom", "token_1": "notes"})
    assert imp.counts["new"] == 2
    assert campaign.leads.get(email="ada@example.com").custom_fields == {"notes": "met at the fair likes tea"}


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


def mapping_page(client, campaign, data: bytes):
    response = post_file(client, campaign, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return LeadImport.objects.latest("pk"), client.get(response["Location"]).content.decode()


def test_the_mapping_page_shows_the_tag_each_column_fills_and_the_values_as_imported(sdr_client, campaign):
    data = b'Email,Vorname,industry,Annual revenue (EUR),Firma\nada@example.com,Ada,Fintech,2M,"Multi\nLine Co"\n'
    imp, page = mapping_page(sdr_client, campaign, data)
    assert imp.mapping == {"0": "email", "1": "firstName", "2": "industry", "3": "annualRevenueEur", "4": "company"}
    assert "First name {{firstName}}" in page
    assert re.search(r'<option value="custom" selected>', page)
    assert 'name="token_2" value="industry"' in page and 'name="token_3" value="annualRevenueEur"' in page
    assert "Multi Line Co" in page and "Multi\nLine Co" not in page
    response = sdr_client.post(
        reverse("lead_import_map", args=[imp.pk]),
        {
            "col_0": "email",
            "col_1": "firstName",
            "col_2": "custom",
            "token_2": "industry",
            "col_3": "",
            "col_4": "company",
        },
    )
    assert response.status_code == 302
    lead_import_run(import_id=imp.pk)
    lead = campaign.leads.get(email="ada@example.com")
    assert (lead.company, lead.custom_fields) == ("Multi Line Co", {"industry": "Fintech"})  # "Don't import" kept out


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (("industry", "Industry"), "“Sector” and “Industry” both fill {{Industry}}; keep one."),
        (("industry", "EMAIL"), "“EMAIL” is a standard field"),
        (("industry", "2nd"), "Letters, digits and _ only"),
    ],
)
def test_custom_tags_that_clash_are_refused_on_the_mapping_page(sdr_client, campaign, tokens, message):
    imp, _ = mapping_page(sdr_client, campaign, b"email,Industry,Sector\nada@example.com,Fintech,Banking\n")
    choices = {"col_0": "email", "col_1": "custom", "token_1": tokens[0], "col_2": "custom", "token_2": tokens[1]}
    response = sdr_client.post(reverse("lead_import_map", args=[imp.pk]), choices)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&amp;", "&")
    imp.refresh_from_db()
    assert imp.status == "uploaded"


def test_french_export_maps_every_column_without_a_choice(sdr_client, campaign):
    data = (
        "Courriel;Prénom;Nom;Société;Fonction;Secteur d'activité\n"
        "helene@example.fr;Hélène;Lefèvre;Société Générale;Directrice financière;Banque\n"
    ).encode("cp1252")
    imp = import_through_pages(sdr_client, campaign, data)
    assert list(imp.mapping.values()) == ["email", "firstName", "lastName", "company", "jobTitle", "secteurDActivite"]
    lead = campaign.leads.get(email="helene@example.fr")
    assert (lead.first_name, lead.last_name, lead.company, lead.job_title) == (
        "Hélène",
        "Lefèvre",
        "Société Générale",
        "Directrice financière",
    )
    assert lead.custom_fields == {"secteurDActivite": "Banque"}


ENCODED = [
    ("Email,Имя,Компания\nivan@example.ru,Пётр,ООО «Ромашка»\n", "cp1251", "Windows-1251 (Cyrillic)"),
    ("email;imię;firma\nlukasz@example.pl;Łukasz;Żółć Sp. z o.o.\n", "cp1250", "Windows-1250 (Central European)"),
    ("email;jméno;firma\njiri@example.cz;Jiří;Škoda Auto a.s.\n", "iso8859_2", "ISO-8859-2 (Central European)"),
    ("email,first name,company\ntaro@example.jp,太郎,株式会社サンプル\n", "shift_jis", "Shift-JIS (Japanese)"),
    ("email,first name,company\nzoe@example.com,Zoë,Ærø Ølhus\n", "utf-16", "UTF-16"),
    ("email,first name,company\nvera@example.cz,Věra,Čedok\n", "utf-8-sig", "UTF-8 (with BOM)"),
]


@pytest.mark.parametrize(("text", "codec", "label"), ENCODED, ids=[e[1] for e in ENCODED])
def test_each_encoding_is_named_on_the_pages_and_imported_intact(sdr_client, campaign, text, codec, label):
    imp, page = mapping_page(sdr_client, campaign, text.encode(codec))
    assert f"<dd>{label}</dd>" in page
    email, first, company = text.splitlines()[1].split(";" if ";" in text else ",")
    assert first in page
    assert sdr_client.post(reverse("lead_import_map", args=[imp.pk]), accepted(imp.mapping)).status_code == 302
    lead_import_run(import_id=imp.pk)
    assert label in sdr_client.get(reverse("lead_import_detail", args=[imp.pk])).content.decode()
    lead = campaign.leads.get(email=email)
    assert (lead.first_name, lead.company) == (first, company)


def test_a_file_unreadable_in_its_own_encoding_is_refused_with_its_row(sdr_client, campaign):
    data = "email,名\ntaro@example.jp,太郎\n".encode("shift_jis") + "hanako@example.jp,Zoë ✓\n".encode()
    response = post_file(sdr_client, campaign, data)
    assert response.status_code == 400
    assert "Row 3 holds bytes that are not Shift-JIS (Japanese) text" in response.content.decode()
    assert not LeadImport.objects.exists()
    assert_untouched(campaign)
