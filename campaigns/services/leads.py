"""Lead imports: upload → column mapping → a task stages checked rows → one short apply.

Why staging: progress written inside one long transaction is invisible to the page, and
applying rows as they stream would leave half an import behind on a cancel or a crash.
So rows are checked and staged (COPY) in small transactions, each with its checkpoint and
the holder's heartbeat; the campaign's leads change in one short set-based transaction at
the end (import_apply). A cancel or a failure only deletes staged rows; a lost worker's
import is resumed from its checkpoint by the sweeper (import_recovery).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
from itertools import islice

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from campaigns import dispatch, lead_fields
from campaigns.audit import audit_record
from campaigns.models import Campaign, LeadImport
from campaigns.permissions import can_import_leads
from campaigns.services import csv_import, import_apply, import_copy, import_recovery
from campaigns.services.import_recovery import ImportStopped, LostClaim
from campaigns.services.import_rows import STAGED_COLUMNS, ColumnPlan, row_tuple
from campaigns.services.import_staging import stage_rows, staged_discard
from campaigns.services.lead_counts import lead_count_refresh
from campaigns.services.preview import custom_field_names, referenced_tokens, saved_steps

logger = logging.getLogger(__name__)
BATCH = None  # rows per staging transaction (one COPY, one checkpoint, one heartbeat); None: the setting
PROBLEM = STAGED_COLUMNS.index("problem")
Status = LeadImport.Status
__all__ = ["ColumnPlan", "ImportRefused", "ImportStopped", "lead_import_cancel", "lead_import_run"]


class ImportRefused(Exception):
    """The upload or the request cannot go ahead; the message says why."""


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
            mapping=mapping,
            status=Status.QUEUED,
            heartbeat_at=timezone.now(),  # when it was sent (see the sweeper)
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
    """Stop an import that has not finished; False when it already has.

    Queued, or running in a worker that stopped proving it is alive: cancelled here and now.
    Running in a live worker: flagged; the worker stops at its next batch, or at the apply.
    """
    check_import_allowed(campaign=lead_import.campaign, actor=actor, doing="cancel this import")
    done = import_recovery.cancel_now(import_id=lead_import.pk)
    if not done:
        done = LeadImport.objects.filter(pk=lead_import.pk, status=Status.RUNNING).update(cancel_requested=True)
    if done:
        audit_record(
            actor=actor, action="leads.import_cancelled", campaign=lead_import.campaign, import_id=lead_import.pk
        )
    return bool(done)


# --- the task's work ------------------------------------------------------------------


def lead_import_run(*, import_id: int) -> None:
    """Run one import from its checkpoint to the campaign's leads (the task calls this)."""
    holder = import_recovery.claim(import_id=import_id)
    if not holder:
        return  # cancelled, finished, or held by a live run (a duplicate or redelivered message)
    lead_import = LeadImport.objects.select_related("campaign", "uploaded_by").get(pk=import_id)
    try:
        counts = _stage(lead_import, holder)
        lead_import_finish(lead_import, holder, counts)
    except LostClaim:
        logger.info("import %s: claim lost to a newer run; stopping", import_id)
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


def _stage(lead_import, holder: str) -> dict:
    """Stage the file's rows from the checkpoint on, a batch and its checkpoint per transaction."""
    if lead_import.total_rows is None:  # a cheap estimate for the progress bar; exact at the end
        with _open(lead_import) as raw:
            total = csv_import.estimate_records(raw, has_header=lead_import.has_header)
        LeadImport.objects.filter(pk=lead_import.pk).update(total_rows=total)
    plan = ColumnPlan.from_mapping(lead_import.mapping)
    counts = {"rows": lead_import.processed_rows, "invalid": (lead_import.counts or {}).get("invalid", 0)}
    offset, skip = 0, lead_import.checkpoint_row
    if connection.vendor == "postgresql" and (lead_import.checkpoint_offset is not None or not skip):
        resume = _stage_chunks(lead_import, plan, holder, counts)
        if resume is None:
            return counts
        offset, skip = resume  # a chunk COPY and csv could read differently: csv reads the rest
    with _open(lead_import) as raw:
        text = csv_import.open_text(raw, lead_import.encoding)
        import_copy.skip_chars(text, offset)  # a record's end, where the chunks stopped
        records = csv_import.iter_text_records(
            text,
            encoding=lead_import.encoding,
            delimiter=lead_import.delimiter,
            has_header=lead_import.has_header,
            start=skip if offset else 0,
        )
        if skip and not offset:  # resuming: rows up to the checkpoint are staged already; parse past them
            records = itertools.dropwhile(lambda record: record[0] <= skip, records)
        slots = plan.slots()
        while batch := list(islice(records, _batch_rows())):
            _stage_batch(
                lead_import, functools.partial(_check_and_stage, lead_import.pk, plan, slots, batch), holder, counts
            )
    return counts


def _batch_rows() -> int:
    return BATCH or settings.IMPORT_BATCH_ROWS


def _check_and_stage(pk: int, plan: ColumnPlan, slots, batch) -> tuple[int, int, int, None]:
    """The Python path's batch: (rows staged, refused, last row, offset unknown)."""
    rows = [row_tuple(pk, number, cells, plan, slots) for number, cells in batch]
    stage_rows(rows)
    return len(rows), sum(1 for row in rows if row[PROBLEM]), batch[-1][0], None


def _stage_chunks(lead_import, plan: ColumnPlan, holder: str, counts: dict) -> tuple[int, int] | None:
    """PostgreSQL: stage the file in chunks of text that COPY reads (import_copy), from the checkpoint on.

    None when the file is done; else (offset, row) from where the Python path must read on.
    """
    chunker = import_copy.Chunker(lead_import, plan)
    at = {"offset": lead_import.checkpoint_offset or 0, "row": lead_import.checkpoint_row}
    with _open(lead_import) as raw:
        text = csv_import.open_text(raw, lead_import.encoding)
        import_copy.skip_chars(text, at["offset"])
        first = 1 if lead_import.has_header and not at["offset"] else 0  # the header rides with the first batch
        for chunk in import_copy.text_chunks(text, lines=_batch_rows(), first=first):
            if not chunker.copyable(chunk):
                return at["offset"], at["row"]

            def stage(chunk=chunk):
                staged, refused, row = chunker.stage(chunk, at["row"])
                at.update(row=row, offset=at["offset"] + len(chunk))  # rolled back with the batch only by a raise
                return staged, refused, row, at["offset"]

            _stage_batch(lead_import, stage, holder, counts)
    return None


def _stage_batch(lead_import, stage, holder: str, counts: dict) -> None:
    """Run `stage()` (→ rows staged, refused, last row, offset) and checkpoint, in one transaction;
    stop the run (ImportStopped, LostClaim) if it was cancelled or lost meanwhile."""
    with transaction.atomic():
        staged, refused, row, offset = stage()
        counts["rows"] += staged
        counts["invalid"] += refused
        moved = import_recovery.checkpoint(
            import_id=lead_import.pk, holder=holder, row=row, counts=counts, offset=offset
        )
        if not moved:
            transaction.set_rollback(True)
    if not moved:
        import_recovery.why_stopped(import_id=lead_import.pk, holder=holder)


def lead_import_finish(lead_import, holder: str, counts: dict) -> None:
    """The one place an import ends well: classify, count, upsert and report, in one transaction.

    Anything that must stay in step with a campaign's leads (stored counts) hooks in here.
    """
    report_name, now = "", timezone.now()
    try:
        with transaction.atomic():
            if not import_recovery.hold_for_apply(import_id=lead_import.pk, holder=holder):
                import_recovery.why_stopped(import_id=lead_import.pk, holder=holder)
            # Two imports into one campaign apply one after the other; otherwise both could
            # see an address as new and the second would fail on the unique (campaign, email).
            list(Campaign.objects.select_for_update().filter(pk=lead_import.campaign_id).values_list("pk"))
            with connection.cursor() as cursor:
                import_apply.relax_commit(cursor)
                import_apply.prepare(cursor)
                import_apply.classify(cursor, lead_import.pk)
                counts = import_apply.count(cursor, lead_import.pk, lead_import.campaign_id)
                import_apply.upsert(cursor, import_id=lead_import.pk, campaign_id=lead_import.campaign_id, now=now)
                report_name = _save_report(lead_import, import_apply.report_lines(cursor, lead_import.pk))
            lead_count_refresh(campaign_id=lead_import.campaign_id)
            LeadImport.objects.filter(pk=lead_import.pk).update(
                status=Status.SUCCEEDED,
                counts=counts,
                processed_rows=counts["rows"],
                total_rows=counts["rows"],
                error_report=report_name,
                finished_at=timezone.now(),
                lost_at_row=None,
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
    staged_discard(import_id=lead_import.pk)  # after the commit: the leads are in; this is cleanup


def _save_report(lead_import, lines) -> str:
    with csv_import.Report() as report:
        report.write(lines)
        if not report.lines:
            return ""
        report.file.flush()
        storage = lead_import.error_report.storage
        name = lead_import.error_report.field.generate_filename(lead_import, f"import-{lead_import.pk}-problems.csv")
        with open(report.file.fileno(), "rb", closefd=False) as binary:
            binary.seek(0)
            return storage.save(name, File(binary))


def _discard(lead_import, status: str, message: str) -> None:
    staged_discard(import_id=lead_import.pk)
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=status, error=message, finished_at=timezone.now(), cancel_requested=False, holder=""
    )
    if status == Status.FAILED:
        audit_record(
            actor=lead_import.uploaded_by,
            action="leads.import_failed",
            campaign=lead_import.campaign,
            import_id=lead_import.pk,
            error=message,
        )
