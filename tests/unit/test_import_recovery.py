"""A lost worker's import resumes from its checkpoint; cancel works at any time; the page tells the truth."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Lead, LeadImport, LeadImportRow
from campaigns.services import import_recovery
from campaigns.services import leads as service
from tests.factories import CampaignFactory
from tests.leads_helpers import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
S = LeadImport.Status


class Killed(BaseException):
    """Stands in for SIGKILL: nothing of the run's own error handling gets to run."""


@pytest.fixture
def sent(monkeypatch):
    """The import ids sent to the queue (by the start, then by the sweeper)."""
    messages = []
    monkeypatch.setattr(import_recovery.dispatch, "send", lambda name, *args, **kw: messages.append(args[0]))
    return messages


def queued(sdr, rows=7, extra=b""):
    campaign = CampaignFactory(owner=sdr)
    data = b"email\n" + b"".join(b"u%d@example.com\n" % i for i in range(rows)) + extra
    imp = service.lead_import_create(campaign=campaign, actor=sdr, upload=upload(data))
    return service.lead_import_start(lead_import=imp, mapping=imp.mapping, actor=sdr)


def kill_after_batches(monkeypatch, n):
    original, done = service._stage_batch, []

    def stage(imp, *args):
        if len(done) == n:
            raise Killed
        original(imp, *args)
        done.append(1)

    monkeypatch.setattr(service, "_stage_batch", stage)
    return lambda: monkeypatch.setattr(service, "_stage_batch", original)


def go_stale(imp):
    LeadImport.objects.filter(pk=imp.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))


def test_a_lost_import_is_resumed_from_its_checkpoint_and_ends_exactly_right(sdr, sent, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    imp = queued(sdr, extra=b"u1@example.com\n")
    revive = kill_after_batches(monkeypatch, 2)
    with pytest.raises(Killed):
        service.lead_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.checkpoint_row, imp.processed_rows) == (S.RUNNING, 5, 4)
    assert import_recovery.imports_sweep()["resumed"] == []  # its heartbeat is fresh: alive as far as we know
    go_stale(imp)
    assert import_recovery.imports_sweep()["resumed"] == [imp.pk] and sent == [
        imp.pk
    ]  # on_commit sends nothing in this test
    imp.refresh_from_db()
    assert (imp.status, imp.lost_at_row, imp.resumes) == (S.QUEUED, 5, 1)
    assert import_recovery.import_progress(imp)["lost"]

    revive()
    checkpoints, real_checkpoint = [], import_recovery.checkpoint
    monkeypatch.setattr(
        import_recovery, "checkpoint", lambda **kw: checkpoints.append(kw["row"]) or real_checkpoint(**kw)
    )
    service.lead_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert imp.status == S.SUCCEEDED, imp.error
    assert checkpoints == [7, 9]  # rows 2–5 were staged before the loss: the run went on from row 6
    assert sorted(Lead.objects.values_list("email", flat=True)) == [f"u{i}@example.com" for i in range(7)]
    assert (imp.counts["rows"], imp.counts["new"], imp.counts["duplicate"]) == (8, 7, 1)
    assert not LeadImportRow.objects.exists()


def test_a_stale_holder_that_wakes_up_stops_without_touching_the_new_run(sdr, sent, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    imp = queued(sdr)
    holder = import_recovery.claim(import_id=imp.pk)
    go_stale(imp)
    import_recovery.imports_sweep()
    new_holder = import_recovery.claim(import_id=imp.pk)
    assert new_holder and new_holder != holder
    assert not import_recovery.checkpoint(import_id=imp.pk, holder=holder, row=3, counts={"rows": 2})
    with pytest.raises(import_recovery.LostClaim):
        import_recovery.why_stopped(import_id=imp.pk, holder=holder)


def test_a_queued_import_whose_message_was_lost_is_sent_again_after_the_grace(sdr, sent, settings):
    imp = queued(sdr)
    assert import_recovery.imports_sweep()["sent"] == []
    LeadImport.objects.filter(pk=imp.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=1))
    assert import_recovery.imports_sweep()["sent"] == [imp.pk]
    assert import_recovery.imports_sweep()["sent"] == []  # not again until the grace passes again


def test_cancel_ends_a_silent_import_at_once_and_the_sweeper_never_resumes_it(sdr, sent, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    imp = queued(sdr)
    kill_after_batches(monkeypatch, 1)
    with pytest.raises(Killed):
        service.lead_import_run(import_id=imp.pk)
    go_stale(imp)
    assert service.lead_import_cancel(lead_import=imp, actor=sdr)
    imp.refresh_from_db()
    assert (imp.status, imp.cancel_requested) == (S.CANCELLED, False)
    assert not LeadImportRow.objects.exists()
    assert import_recovery.imports_sweep() == {"resumed": [], "sent": [], "purged": 0}
    assert not Lead.objects.exists()


def test_a_cancel_flag_on_a_dead_import_is_honoured_by_the_sweeper(sdr, sent, monkeypatch):
    imp = queued(sdr)
    import_recovery.claim(import_id=imp.pk)
    assert service.lead_import_cancel(lead_import=imp, actor=sdr)  # live holder: flagged
    go_stale(imp)
    assert import_recovery.imports_sweep()["resumed"] == []
    imp.refresh_from_db()
    assert imp.status == S.CANCELLED


def test_an_import_that_keeps_killing_its_worker_fails_instead_of_looping(sdr, sent):
    imp = queued(sdr)
    LeadImport.objects.filter(pk=imp.pk).update(resumes=import_recovery.MAX_RESUMES)
    import_recovery.claim(import_id=imp.pk)
    go_stale(imp)
    import_recovery.imports_sweep()
    imp.refresh_from_db()
    assert imp.status == S.FAILED and "lost too many times" in imp.error


def test_staged_rows_lost_with_the_database_restart_the_import_from_the_top(sdr, sent, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    imp = queued(sdr)
    kill_after_batches(monkeypatch, 2)
    with pytest.raises(Killed):
        service.lead_import_run(import_id=imp.pk)
    LeadImportRow.objects.all().delete()  # PostgreSQL empties unlogged tables after a crash
    go_stale(imp)
    import_recovery.imports_sweep()
    monkeypatch.undo()
    service.lead_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.counts["new"]) == (S.SUCCEEDED, 7)


def test_the_eta_comes_from_this_run_only_and_a_silent_worker_gets_none(sdr):
    imp = queued(sdr)
    now = timezone.now()
    imp.status, imp.total_rows, imp.processed_rows = S.RUNNING, 10_000, 6_000
    imp.run_started_at, imp.run_started_rows, imp.heartbeat_at = now - timedelta(seconds=10), 5_000, now
    imp.started_at = now - timedelta(hours=3)  # a first run long ago must not inflate the estimate
    progress = import_recovery.import_progress(imp, now)
    assert (progress["eta"], progress["lost"]) == (41, False)
    imp.heartbeat_at = now - timedelta(minutes=2)
    imp.checkpoint_row = 6_001
    progress = import_recovery.import_progress(imp, now)
    assert (progress["eta"], progress["lost"], progress["lost_at_row"]) == (None, True, 6_001)


def test_the_page_says_the_worker_was_lost_and_where(sdr_client, sdr):
    from django.urls import reverse

    imp = queued(sdr)
    LeadImport.objects.filter(pk=imp.pk).update(lost_at_row=4_321, total_rows=10_000, processed_rows=4_320)
    html = sdr_client.get(reverse("lead_import_detail", args=[imp.pk])).content.decode()
    assert "The worker was lost at row 4,321; resuming from there" in html
    assert "s left" not in html
