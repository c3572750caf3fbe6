"""Who holds a running import, how it proves it is alive, and what happens when it stops.

- A run claims a queued import with a conditional UPDATE and a fresh holder id. Each batch
  it stages commits with a checkpoint (the last file row staged) and a heartbeat, written
  only while it still holds the import and nobody asked to cancel: when that UPDATE finds
  nothing, the run stops (ImportStopped, or LostClaim if a newer run has it).
- The sweeper (a beat task every few seconds) puts an import whose holder went quiet back in
  the queue, noting where it stopped, and sends it again; the next run resumes from the
  checkpoint. It also re-sends queued imports whose message never ran (Redis was wiped).
  During the final apply the holder keeps the import's row locked; the sweeper skips locked
  rows, so a long apply is never mistaken for a dead worker.
- A cancel of a queued import, or of one whose holder went quiet, takes effect at once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns import dispatch
from campaigns.models import LeadImport, LeadImportRow
from campaigns.services.import_staging import staged_discard

logger = logging.getLogger(__name__)
Status = LeadImport.Status
MAX_RESUMES = 5  # a file that kills its worker every time fails instead of looping
LOST_TOO_OFTEN = "The import's worker was lost too many times; nothing was imported."
ENDED = [Status.SUCCEEDED, Status.FAILED, Status.CANCELLED]


class ImportStopped(Exception):
    """Cancelled by a person while running."""


class LostClaim(Exception):
    """Another run holds the import now (the sweeper gave it away while this one was silent)."""


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def claim(*, import_id: int) -> str:
    """Take a queued import for this run; its holder id, or '' when there is nothing to take."""
    holder, now = uuid.uuid4().hex, timezone.now()
    claimed = LeadImport.objects.filter(pk=import_id, status=Status.QUEUED, cancel_requested=False).update(
        status=Status.RUNNING,
        holder=holder,
        heartbeat_at=now,
        run_started_at=now,
        run_started_rows=F("processed_rows"),
        started_at=Coalesce(F("started_at"), now),
        error="",
    )
    if not claimed:
        return ""
    checkpoint_row, done = LeadImport.objects.filter(pk=import_id).values_list("checkpoint_row", "processed_rows").get()
    staged_discard(import_id=import_id, after_row=checkpoint_row)  # nothing past a checkpoint survives
    if checkpoint_row and LeadImportRow.objects.filter(lead_import_id=import_id).count() != done:
        # The staged rows are not all there (PostgreSQL empties its unlogged staging after a
        # crash): start from the top rather than apply a file with a hole in it.
        logger.warning("import %s: staged rows lost; starting again from the first row", import_id)
        staged_discard(import_id=import_id)
        LeadImport.objects.filter(pk=import_id).update(
            checkpoint_row=0, checkpoint_offset=None, processed_rows=0, counts={}, run_started_rows=0
        )
    return holder


def checkpoint(*, import_id: int, holder: str, row: int, counts: dict, offset: int | None = None) -> bool:
    """Record a staged batch and prove the holder alive; False if it no longer holds the import.

    `offset`: where the batch ends in the decoded text, when known (the COPY path resumes there).
    """
    return bool(
        LeadImport.objects.filter(pk=import_id, holder=holder, status=Status.RUNNING, cancel_requested=False).update(
            checkpoint_row=row,
            checkpoint_offset=offset,
            processed_rows=counts["rows"],
            counts=counts,
            heartbeat_at=timezone.now(),
        )
    )


def hold_for_apply(*, import_id: int, holder: str) -> bool:
    """Inside the apply's transaction: lock the import's row (a live holder) if still ours and not cancelled."""
    return bool(
        LeadImport.objects.filter(pk=import_id, holder=holder, status=Status.RUNNING, cancel_requested=False).update(
            heartbeat_at=timezone.now()
        )
    )


def why_stopped(*, import_id: int, holder: str) -> None:
    """Raise what ended this run's hold: a cancel (ImportStopped) or a newer run (LostClaim)."""
    status, cancel, current = (
        LeadImport.objects.filter(pk=import_id).values_list("status", "cancel_requested", "holder").get()
    )
    if cancel or status == Status.CANCELLED:
        raise ImportStopped
    raise LostClaim(f"held by {current or 'nobody'}, status {status}")


def cancel_now(*, import_id: int) -> int:
    """Cancel at once an import no live worker holds (queued, or its holder went quiet)."""
    with transaction.atomic():
        done = (
            LeadImport.objects.filter(pk=import_id)
            .filter(
                Q(status__in=[Status.UPLOADED, Status.QUEUED])
                | Q(status=Status.RUNNING, heartbeat_at__lt=_stale_before())
            )
            .update(status=Status.CANCELLED, finished_at=timezone.now(), cancel_requested=False, holder="")
        )
        if done:
            staged_discard(import_id=import_id)
    return done


def _send(import_id: int) -> bool:
    try:
        dispatch.send(dispatch.RUN_IMPORT, import_id)
        return True
    except Exception as exc:  # the broker is down: the next sweep tries again
        logger.warning("import %s not re-sent: %s", import_id, exc.__class__.__name__)
        return False


def _requeue_dead(now) -> list[int]:
    """Running imports whose holder went quiet: back to the queue (or ended), noting where they stopped."""
    requeued = []
    with transaction.atomic():
        dead = LeadImport.objects.select_for_update(skip_locked=True).filter(
            status=Status.RUNNING, heartbeat_at__lt=_stale_before()
        )
        for imp in dead.only("pk", "cancel_requested", "checkpoint_row", "resumes"):
            rows = LeadImport.objects.filter(pk=imp.pk)
            if imp.cancel_requested or imp.resumes >= MAX_RESUMES:
                error = (
                    "" if imp.cancel_requested else "The import's worker was lost too many times; nothing was imported."
                )
                status = Status.CANCELLED if imp.cancel_requested else Status.FAILED
                rows.update(status=status, error=error, finished_at=now, cancel_requested=False, holder="")
                staged_discard(import_id=imp.pk)
                continue
            rows.update(
                status=Status.QUEUED,
                holder="",
                heartbeat_at=None,  # sent below, at once
                lost_at_row=imp.checkpoint_row,
                resumes=F("resumes") + 1,
            )
            logger.warning("import %s: worker lost after row %s; resuming", imp.pk, imp.checkpoint_row)
            requeued.append(imp.pk)
    return requeued


def imports_sweep() -> dict:
    """Resume imports whose worker died, re-send queued ones the broker lost, purge ended staging."""
    now = timezone.now()
    requeued = _requeue_dead(now)
    grace = now - timedelta(seconds=settings.IMPORT_QUEUED_GRACE_SECONDS)
    waiting = LeadImport.objects.filter(
        Q(heartbeat_at__lt=grace) | Q(heartbeat_at=None), status=Status.QUEUED, cancel_requested=False
    )
    sent = []
    for pk in waiting.values_list("pk", flat=True):
        if _send(pk):  # heartbeat_at of a queued import: when it was last sent
            LeadImport.objects.filter(pk=pk, status=Status.QUEUED).update(heartbeat_at=timezone.now())
            sent.append(pk)
    purged, _ = LeadImportRow.objects.filter(lead_import__status__in=ENDED).delete()
    return {"resumed": requeued, "sent": sent, "purged": purged}


def import_progress(lead_import, now=None) -> dict:
    """What the progress card may truthfully say: rows done, and either an ETA from this run's
    own rate, or that the worker was lost (and where) and the import is being resumed."""
    now = now or timezone.now()
    total, done = lead_import.total_rows or 0, lead_import.processed_rows
    share = min(done / total, 1.0) if total else 0.0
    silent = (
        lead_import.status == Status.RUNNING
        and lead_import.heartbeat_at is not None
        and lead_import.heartbeat_at < now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    )
    lost = silent or (lead_import.status == Status.QUEUED and lead_import.lost_at_row is not None)
    eta = None
    if not lost and lead_import.status == Status.RUNNING and lead_import.run_started_at and 0 < share < 1:
        moved = done - lead_import.run_started_rows
        elapsed = (now - lead_import.run_started_at).total_seconds()
        if moved > 0 and elapsed >= 1:  # no rate before this run has moved: no guess
            eta = int((total - done) / (moved / elapsed)) + 1
    return {
        "total": total,
        "done": done,
        "percent": round(share * 100, 1),
        "eta": eta,
        "lost": lost,
        "lost_at_row": lead_import.checkpoint_row if silent else lead_import.lost_at_row,
        "resumed_from": lead_import.lost_at_row if lead_import.status == Status.RUNNING and not silent else None,
    }
