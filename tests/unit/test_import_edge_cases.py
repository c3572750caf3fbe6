"""The set-based import path on the cases it could get wrong: case, Unicode, repeats,
suppression, blank and garbage rows, encodings, tiny files; and the email fast path."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.models import Lead, LeadImport, SuppressedEmail
from campaigns.services import leads as service
from campaigns.services.emails import InvalidEmail, _plain, _validated, email_normalise
from tests.factories import CampaignFactory, LeadFactory
from tests.leads_helpers import report_rows, run_import, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def campaign(sdr):
    return CampaignFactory(owner=sdr)


def emails(campaign):
    return list(Lead.objects.filter(campaign=campaign).values_list("email", flat=True))


def test_mixed_case_repeats_meet_in_the_file_and_against_existing_leads(campaign, sdr):
    LeadFactory(campaign=campaign, email="ada@example.com", first_name="Ada", company="Old")
    data = b"email,company\nADA@Example.COM,New\nBob@Example.com,B\nbob@EXAMPLE.com,B2\n"
    imp = run_import(campaign, sdr, data)
    assert sorted(emails(campaign)) == ["ada@example.com", "bob@example.com"]
    assert Lead.objects.get(email="ada@example.com").company == "New"
    assert Lead.objects.get(email="bob@example.com").company == "B"  # the first row wins
    assert (imp.counts["new"], imp.counts["updated"], imp.counts["duplicate"]) == (1, 1, 1)
    assert report_rows(imp)[1] == ["4", "bob@example.com", "duplicate of row 3", "skipped"]


def test_unicode_addresses_take_the_slow_path_and_are_stored_composed(campaign, sdr):
    data = "email\nJosé@Bücher.de\njose@example.com\nmüller@xn--bcher-kva.de\n".encode()
    imp = run_import(campaign, sdr, data)
    assert emails(campaign) == ["josé@bücher.de", "jose@example.com", "müller@bücher.de"]
    assert imp.counts["new"] == 3


def test_a_suppressed_address_is_skipped_whatever_its_case_and_its_repeats_point_at_it(campaign, sdr):
    SuppressedEmail.objects.create(email="gone@example.com")
    imp = run_import(campaign, sdr, b"email\nGONE@example.com\nok@example.com\ngone@example.com\n")
    assert emails(campaign) == ["ok@example.com"]
    assert (imp.counts["suppressed"], imp.counts["duplicate"]) == (1, 1)
    assert [r[2] for r in report_rows(imp)[1:]] == ["on the suppression list", "duplicate of row 2"]


def test_a_repeat_of_an_invalid_row_is_invalid_not_a_duplicate(campaign, sdr):
    imp = run_import(campaign, sdr, b"email\nnot-an-email\nnot-an-email\nok@example.com\n")
    assert (imp.counts["invalid"], imp.counts["duplicate"], imp.counts["new"]) == (2, 0, 1)


def test_blank_lines_and_short_rows_are_read_like_a_spreadsheet(campaign, sdr):
    data = b"email,first_name,company\n\n,,\nada@example.com\n  ,  ,  \nbob@example.com,Bob,Acme,extra\n"
    imp = run_import(campaign, sdr, data)
    assert emails(campaign) == ["ada@example.com", "bob@example.com"]
    assert (imp.counts["rows"], imp.counts["invalid"]) == (2, 0)
    assert Lead.objects.get(email="bob@example.com").company == "Acme"


def test_garbage_cells_are_reported_with_their_row(campaign, sdr):
    data = b"email,first_name\n\x01\x02junk,x\n" + b"ok@example.com," + b"y" * 300 + b"\n"
    imp = run_import(campaign, sdr, data)
    assert emails(campaign) == []
    problems = {r[0]: r[2] for r in report_rows(imp)[1:]}
    assert problems["2"].startswith("invalid email")
    assert problems["3"] == "first name is longer than 200 characters"


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffEmail,Name\nada@example.com,Zoë\n".encode(),
        "Email,Name\nada@example.com,Zoë\n".encode("utf-16"),
        "Email,Name\nada@example.com,Zoë\n".encode("cp1252"),
    ],
    ids=["utf-8 BOM", "utf-16", "windows-1252"],
)
def test_encodings_reach_the_staging_table_intact(campaign, sdr, data):
    imp = run_import(campaign, sdr, data, {"0": "email", "1": "name"})
    assert imp.status == LeadImport.Status.SUCCEEDED, imp.error
    assert Lead.objects.get(campaign=campaign).custom_fields == {"name": "Zoë"}


def test_one_row_imports_and_a_header_alone_is_refused(campaign, sdr):
    assert run_import(campaign, sdr, b"email\nada@example.com").counts["new"] == 1
    with pytest.raises(service.ImportRefused, match="no leads under it"):
        service.lead_import_create(campaign=campaign, actor=sdr, upload=upload(b"email\n"))


def test_custom_values_are_merged_and_quoted_json_survives(campaign, sdr):
    LeadFactory(campaign=campaign, email="ada@example.com", custom_fields={"n": 3, "note": "keep"})
    data = b'email,note,quote\nada@example.com,,"say ""hi"" \\ bye"\n'
    imp = run_import(campaign, sdr, data, {"0": "email", "1": "note", "2": "quote"})
    lead = Lead.objects.get(email="ada@example.com")
    assert lead.custom_fields == {"n": 3, "note": "keep", "quote": 'say "hi" \\ bye'}
    assert imp.counts["updated"] == 1
    assert run_import(campaign, sdr, data, {"0": "email", "1": "note", "2": "quote"}).counts["unchanged"] == 1


def test_a_rejected_lead_gets_another_chance_only_when_its_data_changes(campaign, sdr):
    LeadFactory(campaign=campaign, email="a@example.com", first_name="A", status=Lead.Status.REJECTED, error="bad")
    run_import(campaign, sdr, b"email,first_name\na@example.com,A\n")
    assert Lead.objects.get().status == Lead.Status.REJECTED
    run_import(campaign, sdr, b"email,first_name\na@example.com,Ann\n")
    assert (Lead.objects.get().status, Lead.objects.get().error) == (Lead.Status.PENDING, "")


ATOM = st.text("abcXYZ019_%+-!#$&'*/=?^`{|}~.", min_size=1, max_size=70)
LABEL = st.text("abcXYZ019-", min_size=1, max_size=66)


@settings(max_examples=400, deadline=None)
@given(local=ATOM, labels=st.lists(LABEL, min_size=1, max_size=4), tld=st.sampled_from(["com", "DE", "test", "x1"]))
def test_the_fast_path_agrees_with_email_validator(local, labels, tld):
    address = f"{local}@{'.'.join(labels)}.{tld}"
    fast = _plain(address)
    try:
        slow = _validated(address)
    except InvalidEmail:
        slow = None
    if fast is not None:  # the fast path decides only what the validator accepts, and alike
        assert fast == slow
    if slow:
        assert email_normalise(address) == slow
