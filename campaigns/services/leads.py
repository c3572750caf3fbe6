"""Lead imports: upload → column mapping → a task stages checked rows → one short apply.

Why staging: progress written inside one long transaction is invisible to the page, and
applying rows as they stream would leave half an import behind on a cancel or a crash.
So rows are validated and staged in small transactions (the progress bar moves), then
the campaign's leads change in one short transaction at the end; a cancel or a failure
only deletes staged rows.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from campaigns import dispatch, lead_fields
from campaigns.audit import audit_record
from campaigns.models import Campaign, Lead, LeadImport, LeadImportRow, SuppressedEmail
from campaigns.permissions import can_import_leads
from campaigns.services import csv_import
from campaigns.services.emails import InvalidEmail, email_normalise, is_role_address
from campaigns.services.lead_counts import lead_count_refresh
from campaigns.services.preview import custom_field_names, referenced_tokens, saved_steps

logger = logging.getLogger(__name__)
BATCH = 1000
INSERT_BATCH = 500  # rows per INSERT statement: well under SQLite's variable limit, few round trips
FIELD_ATTRS = lead_fields.TEXT_FIELDS  # token -> Lead attribute, the email aside
MAX_STANDARD_CHARS = 200  # the Lead columns' max_length
MAX_CUSTOM_CHARS = 1000
COUNT_KEYS = ["rows", "new", "updated", "unchanged", "invalid", "duplicate", "suppressed", "flagged"]
Status = LeadImport.Status


class Staged(NamedTuple):
    """A checked row on its way to becoming a lead (staged as a LeadImportRow)."""

    row_number: int
    email: str
    fields: dict
    custom_fields: dict
    is_role_address: bool


class ImportRefused(Exception):
    """The upload or the request cannot go ahead; the message says why."""


class ImportStopped(Exception):
    """Cancelled by a person while running."""


def check_import_allowed(*, campaign, actor, doing: str = "import leads") -> None:
    """PermissionDenied, saying who may, when `actor` may not load leads into `campaign`."""
    if not can_import_leads(actor, campaign):
        raise PermissionDenied(f"Only the campaign's owner or a manager can {doing}.")


def lead_import_create(*, campaign, actor, upload) -> LeadImport:
    """Store an uploaded CSV and guess its shape; ImportRefused says what is wrong with it."""
    check_import_allowed(campaign=campaign, actor=actor)
    limit = settings.IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ImportRefused(f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.")
    upload.seek(0)
    try:
        sniffed = csv_import.sniff(upload, upload.size)
    except csv_import.CsvProblem as exc:
        raise ImportRefused(str(exc)) from None
    return LeadImport.objects.create(
        campaign=campaign,
        uploaded_by=actor,
        file=upload,
        original_name=(upload.name or "leads.csv")[:255],
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        has_header=sniffed.has_header,
        headers=sniffed.headers,
        notes=sniffed.notes,
        mapping=csv_import.guess_mapping(sniffed.headers, sniffed.preview, _custom_names(campaign)),
    )


def _custom_names(campaign) -> list[str]:
    """Custom fields the campaign's leads have, then tokens its steps use: columns named so fill them."""
    used = [name for name in referenced_tokens(saved_steps(campaign)) if name not in lead_fields.STANDARD]
    return [*custom_field_names(campaign), *used]


def lead_import_preview(lead_import) -> csv_import.Sniffed:
    with _open(lead_import) as raw:
        return csv_import.sniff(raw, lead_import.file.size)


def lead_import_start(*, lead_import, mapping: dict[str, str], actor) -> LeadImport:
    """Save the mapping and queue the import (once: a second click changes nothing)."""
    check_import_allowed(campaign=lead_import.campaign, actor=actor)
    with transaction.atomic():
        started = LeadImport.objects.filter(pk=lead_import.pk, status=Status.UPLOADED).update(
            mapping=mapping, status=Status.QUEUED
        )
        if started:
            transaction.on_commit(lambda: _send(lead_import.pk))
    lead_import.refresh_from_db()
    return lead_import


def _send(import_id: int) -> None:
    try:
        dispatch.send(dispatch.RUN_IMPORT, import_id)
    except Exception as exc:  # broker down: say so on the page rather than spin forever
        logger.warning("import %s not queued: %s", import_id, exc.__class__.__name__)
        LeadImport.objects.filter(pk=import_id, status=Status.QUEUED).update(
            status=Status.FAILED, error="The task queue is unreachable; nothing was imported. Try again shortly."
        )


def lead_import_cancel(*, lead_import, actor) -> bool:
    """Stop an import that has not finished; False when it already has."""
    check_import_allowed(campaign=lead_import.campaign, actor=actor, doing="cancel this import")
    now = timezone.now()
    not_started = LeadImport.objects.filter(pk=lead_import.pk, status__in=[Status.UPLOADED, Status.QUEUED])
    done = not_started.update(status=Status.CANCELLED, finished_at=now)
    if not done:  # running: the task sees the flag between batches and discards its staged rows
        done = LeadImport.objects.filter(pk=lead_import.pk, status=Status.RUNNING).update(cancel_requested=True)
    if done:
        audit_record(
            actor=actor, action="leads.import_cancelled", campaign=lead_import.campaign, import_id=lead_import.pk
        )
    return bool(done)


# --- the task's work ------------------------------------------------------------------


@dataclass
class ColumnPlan:
    """Which column feeds which field, resolved once per import."""

    email: int
    standard: dict[int, str] = field(default_factory=dict)  # column -> Lead attribute
    custom: dict[int, str] = field(default_factory=dict)  # column -> merge token

    @classmethod
    def from_mapping(cls, mapping: dict[str, str]) -> ColumnPlan:
        plan = cls(email=-1)
        for column, token in mapping.items():
            if token == "email":
                plan.email = int(column)
            elif token in FIELD_ATTRS:
                plan.standard[int(column)] = FIELD_ATTRS[token]
            elif token:
                plan.custom[int(column)] = token
        if plan.email < 0:
            raise csv_import.CsvProblem("No column is mapped to Email.")
        return plan


def lead_import_run(*, import_id: int) -> None:
    """Run one import from its file to the campaign's leads (the task calls this)."""
    claimed = LeadImport.objects.filter(pk=import_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
        status=Status.RUNNING, started_at=timezone.now(), processed_rows=0, counts={}, error=""
    )
    if not claimed:
        return  # cancelled before it started, or already finished (a redelivered message)
    lead_import = LeadImport.objects.select_related("campaign", "uploaded_by").get(pk=import_id)
    LeadImportRow.objects.filter(lead_import=lead_import).delete()  # a redelivered task starts over
    try:
        with csv_import.Report() as report:
            counts = _stage(lead_import, report)
            _apply(lead_import, counts, report)
    except ImportStopped:
        _discard(lead_import, Status.CANCELLED, "Cancelled; no leads were changed.")
    except csv_import.CsvProblem as exc:
        _discard(lead_import, Status.FAILED, f"{exc} No leads were changed.")
    except SoftTimeLimitExceeded:
        _discard(lead_import, Status.FAILED, "The import took too long and was stopped; no leads were changed.")
    except Exception as exc:
        logger.exception("import %s failed", import_id)
        _discard(
            lead_import,
            Status.FAILED,
            f"The import stopped on an unexpected error ({exc.__class__.__name__}); no leads were changed.",
        )


@contextlib.contextmanager
def _open(lead_import):
    with lead_import.file.storage.open(lead_import.file.name, "rb") as f:
        yield f.file  # the real binary file: TextIOWrapper needs read1/readable


def _stage(lead_import, report: csv_import.Report) -> dict:
    options = {
        "encoding": lead_import.encoding,
        "delimiter": lead_import.delimiter,
        "has_header": lead_import.has_header,
    }
    with _open(lead_import) as raw:
        total = csv_import.count_records(raw, **options)
    LeadImport.objects.filter(pk=lead_import.pk).update(total_rows=total)
    plan = ColumnPlan.from_mapping(lead_import.mapping)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    with _open(lead_import) as raw:
        records = csv_import.iter_records(raw, **options)
        while batch := list(islice(records, BATCH)):
            if LeadImport.objects.filter(pk=lead_import.pk, cancel_requested=True).exists():
                raise ImportStopped
            _stage_batch(lead_import, plan, batch, report, counts)
    return counts


def _row_values(cells: list[str], plan: ColumnPlan) -> tuple[dict, dict, str]:
    """(standard fields, custom fields, problem) with only the non-empty cells given, each on one line."""
    standard, custom = {}, {}
    for column, attr in plan.standard.items():
        value = lead_fields.single_line(cells[column]) if column < len(cells) else ""
        if len(value) > MAX_STANDARD_CHARS:
            return {}, {}, f"{attr.replace('_', ' ')} is longer than {MAX_STANDARD_CHARS} characters"
        if value:
            standard[attr] = value
    for column, token in plan.custom.items():
        value = lead_fields.single_line(cells[column]) if column < len(cells) else ""
        if len(value) > MAX_CUSTOM_CHARS:
            return {}, {}, f"{token} is longer than {MAX_CUSTOM_CHARS} characters"
        if value:
            custom[token] = value
    return standard, custom, ""


def _stage_batch(lead_import, plan: ColumnPlan, batch, report: csv_import.Report, counts: dict) -> None:
    lines, staged, repeats = [], {}, []
    for number, cells in batch:
        raw_email = cells[plan.email] if plan.email < len(cells) else ""
        try:
            email = email_normalise(raw_email)
            standard, custom, problem = _row_values(cells, plan)
        except InvalidEmail as exc:
            problem = f"invalid email: {exc}"
        if problem:
            counts["invalid"] += 1
            lines.append((number, raw_email, problem, "skipped"))
        elif email in staged:
            repeats.append((number, email))
        else:
            staged[email] = Staged(number, email, standard, custom, is_role_address(email))
    emails = list(staged)
    earlier = dict(
        LeadImportRow.objects.filter(lead_import=lead_import, email__in=emails).values_list("email", "row_number")
    )
    suppressed = set(SuppressedEmail.objects.filter(email__in=emails).values_list("email", flat=True))
    for number, email in repeats:
        counts["duplicate"] += 1
        first = earlier.get(email, staged[email].row_number)
        lines.append((number, email, f"duplicate of row {first}", "skipped"))
    rows = []
    for email, row in staged.items():
        if email in earlier:
            counts["duplicate"] += 1
            lines.append((row.row_number, email, f"duplicate of row {earlier[email]}", "skipped"))
        elif email in suppressed:
            counts["suppressed"] += 1
            lines.append((row.row_number, email, "on the suppression list", "skipped"))
        else:
            rows.append(LeadImportRow(lead_import_id=lead_import.pk, **row._asdict()))
            if row.is_role_address:
                counts["flagged"] += 1
                lines.append((row.row_number, email, "role address (a shared mailbox, not a person)", "imported"))
    counts["rows"] += len(batch)
    report.add(lines)
    with transaction.atomic():
        LeadImportRow.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        LeadImport.objects.filter(pk=lead_import.pk).update(processed_rows=counts["rows"], counts=counts)


def _fields_of(lead: Lead) -> tuple:
    return (*(getattr(lead, attr) for attr in FIELD_ATTRS.values()), lead.custom_fields)


def _merge(lead: Lead, row: Staged, now) -> bool:
    """Upsert semantics: the fields the row gave replace the lead's; the others stay."""
    before = _fields_of(lead)
    for attr, value in row.fields.items():
        setattr(lead, attr, value)
    lead.custom_fields = {**(lead.custom_fields or {}), **row.custom_fields}
    if lead.status == Lead.Status.REJECTED:  # corrected data deserves another enrollment
        lead.status, lead.error = Lead.Status.PENDING, ""
    lead.is_role_address = row.is_role_address
    lead.updated_at = now
    return before != _fields_of(lead)


def _apply(lead_import, counts: dict, report: csv_import.Report) -> None:
    report_name = _save_report(lead_import, report)
    now, last = timezone.now(), 0
    update_fields = [*FIELD_ATTRS.values(), "custom_fields", "status", "error", "is_role_address", "updated_at"]
    try:
        with transaction.atomic():
            locked = LeadImport.objects.select_for_update().filter(pk=lead_import.pk)
            if list(locked.values_list("cancel_requested", flat=True)) != [False]:
                raise ImportStopped
            # Two imports into one campaign apply one after the other; otherwise both could
            # see an address as new and the second would fail on the unique (campaign, email).
            list(Campaign.objects.select_for_update().filter(pk=lead_import.campaign_id).values_list("pk"))
            staged = (
                LeadImportRow.objects.filter(lead_import=lead_import).order_by("pk").values_list("pk", *Staged._fields)
            )
            while page := list(staged.filter(pk__gt=last)[:BATCH]):
                last, chunk = page[-1][0], [Staged(*values[1:]) for values in page]
                existing = Lead.objects.filter(campaign_id=lead_import.campaign_id, email__in=[r.email for r in chunk])
                by_email = {lead.email: lead for lead in existing}
                new, changed = [], []
                for row in chunk:
                    lead = by_email.get(row.email)
                    if lead is None:
                        new.append(_new_lead(lead_import, row))
                    elif _merge(lead, row, now):
                        changed.append(lead)
                    else:
                        counts["unchanged"] += 1
                Lead.objects.bulk_create(new, batch_size=INSERT_BATCH)
                Lead.objects.bulk_update(changed, update_fields, batch_size=INSERT_BATCH)
                counts["new"] += len(new)
                counts["updated"] += len(changed)
            LeadImportRow.objects.filter(lead_import=lead_import).delete()
            lead_count_refresh(campaign_id=lead_import.campaign_id)
            LeadImport.objects.filter(pk=lead_import.pk).update(
                status=Status.SUCCEEDED,
                counts=counts,
                processed_rows=counts["rows"],
                total_rows=counts["rows"],
                error_report=report_name,
                finished_at=timezone.now(),
            )
            audit_record(
                actor=lead_import.uploaded_by,
                action="leads.imported",
                campaign=lead_import.campaign,
                import_id=lead_import.pk,
                file=lead_import.original_name,
                **counts,
            )
    except BaseException:
        if report_name:
            lead_import.error_report.storage.delete(report_name)
        raise


def _new_lead(lead_import, row: Staged) -> Lead:
    return Lead(
        campaign_id=lead_import.campaign_id,
        email=row.email,
        **{attr: row.fields.get(attr, "") for attr in FIELD_ATTRS.values()},
        custom_fields=row.custom_fields,
        is_role_address=row.is_role_address,
        source_import_id=lead_import.pk,
    )


def _save_report(lead_import, report: csv_import.Report) -> str:
    if not report.lines:
        return ""
    report.file.flush()
    report.file.seek(0)
    storage = lead_import.error_report.storage
    name = lead_import.error_report.field.generate_filename(lead_import, f"import-{lead_import.pk}-problems.csv")
    with open(report.file.fileno(), "rb", closefd=False) as binary:
        binary.seek(0)
        return storage.save(name, File(binary))


def _discard(lead_import, status: str, message: str) -> None:
    LeadImportRow.objects.filter(lead_import=lead_import).delete()
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=status, error=message, finished_at=timezone.now(), cancel_requested=False
    )
    if status == Status.FAILED:
        audit_record(
            actor=lead_import.uploaded_by,
            action="leads.import_failed",
            campaign=lead_import.campaign,
            import_id=lead_import.pk,
            error=message,
        )
