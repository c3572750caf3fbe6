"""The import service: validation, upsert, duplicates, suppression, cancel and failure."""

import pytest
from django.db import connection

from campaigns.models import AuditEvent, Lead, LeadImport, LeadImportRow, SuppressedEmail
from campaigns.services import leads as service
from tests.factories import CampaignFactory, LeadFactory
from tests.leads_helpers import report_rows, run_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def campaign(sdr):
    return CampaignFactory(owner=sdr)


def test_it_imports_standard_and_custom_fields(campaign, sdr):
    data = b"Email,First Name,Company,Favourite colour\nAda@Example.com,Ada,Engines,teal\nbob@example.org,Bob,,\n"
    imp = run_import(campaign, sdr, data, {"0": "email", "1": "firstName", "2": "company", "3": "colour"})
    assert imp.status == LeadImport.Status.SUCCEEDED
    assert imp.counts["new"] == 2 and imp.counts["rows"] == 2
    ada = Lead.objects.get(campaign=campaign, email="ada@example.com")
    assert (ada.first_name, ada.company, ada.custom_fields) == ("Ada", "Engines", {"colour": "teal"})
    assert Lead.objects.get(email="bob@example.org").custom_fields == {}
    assert AuditEvent.objects.filter(action="leads.imported", campaign=campaign).exists()
    assert not LeadImportRow.objects.exists()


def test_an_existing_lead_is_updated_only_with_the_values_the_file_gives(campaign, sdr):
    LeadFactory(campaign=campaign, email="ada@example.com", first_name="Ada", company="Old", custom_fields={"x": "1"})
    rejected = LeadFactory(campaign=campaign, email="rej@example.com", status=Lead.Status.REJECTED, error="bad")
    data = b"email,first_name,company,y\nada@example.com,,New Co,2\nrej@example.com,Rex,,\n"
    imp = run_import(campaign, sdr, data, {"0": "email", "1": "firstName", "2": "company", "3": "y"})
    ada = Lead.objects.get(email="ada@example.com")
    assert (ada.first_name, ada.company, ada.custom_fields) == ("Ada", "New Co", {"x": "1", "y": "2"})
    rejected.refresh_from_db()
    assert (rejected.status, rejected.error, rejected.first_name) == (Lead.Status.PENDING, "", "Rex")
    assert imp.counts["updated"] == 2 and imp.counts["new"] == 0


def test_a_row_that_changes_nothing_counts_as_unchanged(campaign, sdr):
    LeadFactory(campaign=campaign, email="ada@example.com", first_name="Ada")
    imp = run_import(campaign, sdr, b"email,first_name\nada@example.com,Ada\n")
    assert (imp.counts["updated"], imp.counts["unchanged"]) == (0, 1)


def test_leads_of_other_campaigns_are_not_touched(campaign, sdr):
    other = LeadFactory(email="ada@example.com", first_name="Other")
    run_import(campaign, sdr, b"email,first_name\nada@example.com,Ada\n")
    other.refresh_from_db()
    assert other.first_name == "Other"
    assert Lead.objects.filter(email="ada@example.com").count() == 2


def test_invalid_duplicate_suppressed_and_role_rows_are_counted_and_reported(campaign, sdr):
    SuppressedEmail.objects.create(email="gone@example.com")
    data = (
        b"email,first_name\n"
        b"ok@example.com,Ok\n"
        b'=HYPERLINK("http://x"),Evil\n'
        b"OK@example.com,Again\n"
        b"gone@example.com,Gone\n"
        b"info@example.com,Shared\n"
        b"no-at-sign,Nope\n"
    )
    imp = run_import(campaign, sdr, data)
    counts = imp.counts
    assert (counts["new"], counts["invalid"], counts["duplicate"], counts["suppressed"], counts["flagged"]) == (
        2,
        2,
        1,
        1,
        1,
    )
    assert set(Lead.objects.filter(campaign=campaign).values_list("email", flat=True)) == {
        "ok@example.com",
        "info@example.com",
    }
    assert Lead.objects.get(email="info@example.com").is_role_address
    rows = report_rows(imp)
    assert rows[0] == ["Row", "Email", "Problem", "Outcome"]
    by_row = {r[0]: r for r in rows[1:]}
    assert by_row["3"][1].startswith("'=HYPERLINK")
    assert by_row["4"][2] == "duplicate of row 2"
    assert by_row["5"][2] == "on the suppression list"
    assert by_row["6"][3] == "imported"
    assert "invalid email" in by_row["7"][2]


def test_duplicates_across_batches_point_at_the_first_row(campaign, sdr, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    data = b"email\na@example.com\nb@example.com\nc@example.com\na@example.com\na@example.com\n"
    imp = run_import(campaign, sdr, data)
    assert (imp.counts["new"], imp.counts["duplicate"]) == (3, 2)
    assert [r[2] for r in report_rows(imp)[1:]] == ["duplicate of row 2", "duplicate of row 2"]


def test_unicode_domains_are_normalised_so_punycode_duplicates_meet(campaign, sdr):
    data = "email\nAda@Bücher.DE\nada@xn--bcher-kva.de\n".encode()
    imp = run_import(campaign, sdr, data)
    assert list(Lead.objects.values_list("email", flat=True)) == ["ada@bücher.de"]
    assert imp.counts["duplicate"] == 1


def test_progress_is_committed_batch_by_batch(campaign, sdr, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    seen = []
    original = service._stage_batch

    def spy(imp, *args):
        seen.append(LeadImport.objects.get(pk=imp.pk).processed_rows)
        return original(imp, *args)

    monkeypatch.setattr(service, "_stage_batch", spy)
    imp = run_import(campaign, sdr, b"email\n" + b"".join(b"u%d@example.com\n" % i for i in range(5)))
    assert seen == [0, 2, 4]
    assert (imp.total_rows, imp.processed_rows) == (5, 5)


def test_a_cancel_between_batches_leaves_the_leads_as_they_were(campaign, sdr, monkeypatch):
    LeadFactory(campaign=campaign, email="a@example.com", first_name="Keep")
    monkeypatch.setattr(service, "BATCH", 2)
    original = service._stage_batch

    def cancel_after_first(imp, *args):
        original(imp, *args)
        LeadImport.objects.filter(pk=imp.pk).update(cancel_requested=True)

    monkeypatch.setattr(service, "_stage_batch", cancel_after_first)
    imp = run_import(campaign, sdr, b"email,first_name\na@example.com,New\nb@example.com,B\nc@example.com,C\n")
    assert imp.status == LeadImport.Status.CANCELLED
    assert list(Lead.objects.values_list("email", "first_name")) == [("a@example.com", "Keep")]
    assert not LeadImportRow.objects.exists()
    assert not imp.error_report


def test_a_failure_while_applying_leaves_nothing_half_imported(campaign, sdr, monkeypatch):
    from campaigns.services import import_apply

    monkeypatch.setattr(service, "BATCH", 2)
    real_upsert = import_apply.upsert
    written = []

    def flaky(cursor, **kwargs):
        real_upsert(cursor, **kwargs)  # the leads are written inside the transaction …
        written.append(Lead.objects.count())
        raise RuntimeError("disk full")  # … and then it fails

    monkeypatch.setattr(import_apply, "upsert", flaky)
    imp = run_import(campaign, sdr, b"email\na@example.com\nb@example.com\nc@example.com\n")
    assert written == [3]
    assert imp.status == LeadImport.Status.FAILED
    assert "RuntimeError" in imp.error and "no leads were changed" in imp.error
    assert Lead.objects.count() == 0
    assert not LeadImportRow.objects.exists()


def test_an_import_cancelled_before_it_starts_never_runs(campaign, sdr):
    from tests.leads_helpers import upload

    imp = service.lead_import_create(campaign=campaign, actor=sdr, upload=upload(b"email\na@example.com\n"))
    service.lead_import_start(lead_import=imp, mapping=imp.mapping, actor=sdr)
    assert service.lead_import_cancel(lead_import=imp, actor=sdr)
    service.lead_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.CANCELLED
    assert not Lead.objects.exists()


def test_another_sdr_cannot_import_into_someone_elses_campaign(campaign, sdr2):
    from django.core.exceptions import PermissionDenied

    from tests.leads_helpers import upload

    with pytest.raises(PermissionDenied):
        service.lead_import_create(campaign=campaign, actor=sdr2, upload=upload(b"email\na@example.com\n"))


def test_an_oversized_file_is_refused_with_the_limit(campaign, sdr, settings):
    from tests.leads_helpers import upload

    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(service.ImportRefused, match="limit is 10"):
        service.lead_import_create(campaign=campaign, actor=sdr, upload=upload(b"email\na@example.com\n"))


def test_unknown_columns_become_custom_fields_whose_tags_the_editor_knows(campaign, sdr):
    from campaigns import merge_tags
    from campaigns.services.preview import known_tokens, token_coverage
    from tests.factories import StepFactory

    StepFactory(campaign=campaign, subject="{{firstName}}, {{industry}}?", body_html="<p>{{annualRevenue}}</p>")
    assert merge_tags.check_text("{{industry}}", known_tokens(campaign))  # no lead has it yet: unknown
    data = (
        "Email,First Name,industry,Annual revenue (€),Name\n"
        "ada@example.com,Ada,Fintech,2M,Ada Lovelace\n"
        "bob@example.com,Bob,,,Bob\n"
        "cyd@example.com,Cyd,Retail,,\n"
    ).encode()
    imp = run_import(campaign, sdr, data)  # the guessed mapping, as a person who clicks through gets it
    assert imp.mapping == {"0": "email", "1": "firstName", "2": "industry", "3": "annualRevenue", "4": "Name"}
    ada = Lead.objects.get(campaign=campaign, email="ada@example.com")
    assert ada.custom_fields == {"industry": "Fintech", "annualRevenue": "2M", "Name": "Ada Lovelace"}
    known = known_tokens(campaign)
    assert merge_tags.check_text("{{industry}} {{annualRevenue}}", known) == []
    coverage = {row.token: (row.known, row.missing) for row in token_coverage(campaign).rows}
    assert coverage["industry"] == (True, 1) and coverage["annualRevenue"] == (True, 2)


def test_a_header_spelling_a_tag_the_campaign_uses_fills_that_tag(campaign, sdr):
    from tests.factories import StepFactory

    StepFactory(campaign=campaign, subject="Hi {{firstName}}", body_html="<p>{{annualRevenue}} in {{Region}}</p>")
    LeadFactory(campaign=campaign, email="old@example.com", custom_fields={"sector": "Energy"})
    data = b"email,annual_revenue,REGION,Sector,sector\nada@example.com,2M,EMEA,Fintech,Banking\n"
    imp = run_import(campaign, sdr, data)
    assert imp.mapping == {"0": "email", "1": "annualRevenue", "2": "Region", "3": "sector", "4": "sector2"}
    assert Lead.objects.get(email="ada@example.com").custom_fields == {
        "annualRevenue": "2M",
        "Region": "EMEA",
        "sector": "Fintech",
        "sector2": "Banking",
    }


def test_single_line_fields_lose_their_breaks_and_controls_at_import(campaign, sdr):
    LeadFactory(campaign=campaign, email="keep@example.com", first_name="Keep", company="Kept Co")
    long_company = "x" * 150 + "\n" * 100 + "y" * 40  # 290 characters as read, 191 as stored
    data = (
        "email,first_name,company,job_title,industry\n"
        'ada@example.com,"Ada\t","Multi\nLine Co","CTO\u2028 of\r\nthings","Fin\r\n\u200btech"\n'
        f'long@example.com,Lon,"{long_company}",,\n'
        'keep@example.com," \n\t",Kept Co,,\n'
    ).encode()
    imp = run_import(campaign, sdr, data)
    ada = Lead.objects.get(email="ada@example.com")
    assert (ada.first_name, ada.company, ada.job_title) == ("Ada", "Multi Line Co", "CTO of things")
    assert ada.custom_fields == {"industry": "Fin tech"}
    assert Lead.objects.get(email="long@example.com").company == "x" * 150 + " " + "y" * 40
    keep = Lead.objects.get(email="keep@example.com")
    assert (keep.first_name, keep.company) == ("Keep", "Kept Co")  # a blank after cleaning is no value
    assert (imp.counts["new"], imp.counts["unchanged"], imp.counts["invalid"]) == (2, 1, 0)


def test_a_file_unreadable_past_the_first_batches_leaves_nothing_half_imported(campaign, sdr, monkeypatch):
    from campaigns.services import csv_import

    LeadFactory(campaign=campaign, email="u1@example.jp", first_name="Keep")
    rows = "".join(f"u{i}@example.jp,太郎{i}\n" for i in range(2500)).encode("shift_jis")
    data = "email,名\n".encode("shift_jis") + rows + b"bad@example.jp," + "\ufffd".encode() + b"\n"
    monkeypatch.setattr(csv_import, "SAMPLE_BYTES", 4096)  # the upload's look sees only clean rows
    monkeypatch.setattr(service, "BATCH", 1000)
    staged = []
    monkeypatch.setattr(csv_import, "count_records", lambda raw, **options: 2501)  # straight to staging
    original = service._stage_batch
    monkeypatch.setattr(service, "_stage_batch", lambda imp, *a: (original(imp, *a), staged.append(1)))
    imp = run_import(campaign, sdr, data)
    assert len(staged) == 2  # two batches were staged before the bad row was reached
    assert imp.status == LeadImport.Status.FAILED
    assert imp.error.startswith("Row 2,502 holds bytes that are not Shift-JIS (Japanese) text")
    assert imp.error.endswith("No leads were changed.")
    assert list(Lead.objects.values_list("email", "first_name")) == [("u1@example.jp", "Keep")]
    assert not LeadImportRow.objects.exists()
    assert AuditEvent.objects.filter(action="leads.import_failed", campaign=campaign).exists()


def test_leads_stored_before_cleaning_are_cleaned_by_the_migration(campaign):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("campaigns.migrations.0007_imports_single_line_lead_fields")
    dirty = LeadFactory(campaign=campaign, company="Multi\nLine Co", custom_fields={"industry": "Fin\r\ntech", "n": 3})
    clean = LeadFactory(campaign=campaign, first_name="Ada", company="Plain Co", custom_fields={"industry": "Retail"})
    migration.clean_leads(apps, None)
    dirty.refresh_from_db()
    assert (dirty.company, dirty.custom_fields) == ("Multi Line Co", {"industry": "Fin tech", "n": 3})
    assert Lead.objects.filter(pk=clean.pk, first_name="Ada", company="Plain Co").exists()


def _staged_file_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size('campaigns_leadimportrow')")
        return cursor.fetchone()[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="TRUNCATE of the staging table is PostgreSQL's")
def test_an_import_gives_the_staging_space_back_unless_another_import_may_still_need_its_rows(campaign, sdr):
    other = LeadImport.objects.create(campaign=campaign, uploaded_by=sdr, status=LeadImport.Status.RUNNING)
    LeadImportRow.objects.create(lead_import=other, row_number=1, email="kept@example.com")
    rows = "".join(f"u{i}@example.com\n" for i in range(300)).encode()
    assert run_import(campaign, sdr, b"email\n" + rows).status == LeadImport.Status.SUCCEEDED
    # The running import's row stays (it may resume from it): only the finished import's rows went.
    assert list(LeadImportRow.objects.values_list("email", flat=True)) == ["kept@example.com"]
    assert _staged_file_bytes() > 0

    LeadImport.objects.filter(pk=other.pk).update(status=LeadImport.Status.CANCELLED)  # its row: a left-over
    assert run_import(CampaignFactory(owner=sdr), sdr, b"email\n" + rows).status == LeadImport.Status.SUCCEEDED
    assert not LeadImportRow.objects.exists()
    assert _staged_file_bytes() == 0  # emptied, not only deleted: nothing for later scans to read past
