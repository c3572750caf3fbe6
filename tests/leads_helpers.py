"""Helpers for the leads tests: upload a CSV, map it, run the import as the worker would."""

from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import LeadImport
from campaigns.services.leads import lead_import_create, lead_import_run, lead_import_start


def upload(data: bytes, name: str = "leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run_import(campaign, user, data: bytes, mapping: dict | None = None) -> LeadImport:
    """Create, map (the guess unless given) and run an import synchronously; return it fresh."""
    imp = lead_import_create(campaign=campaign, actor=user, upload=upload(data))
    lead_import_start(lead_import=imp, mapping=mapping or imp.mapping, actor=user)
    lead_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    return imp


def report_rows(imp) -> list[list[str]]:
    import csv
    import io

    with imp.error_report.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))
