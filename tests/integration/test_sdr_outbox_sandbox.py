"""The SDR operations through a real worker and Redis against the sandbox over HTTP: the SDR list,
a hand-off, a second forward answered 409 (who has it, in words), and a send that times out,
which ends "outcome unknown" with exactly one send received and nothing sending it again."""

import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import LeadterraSdr, Operation, Reply, ReplyHandoff
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.sdr_actions import draft_send_enqueue, reply_assign_enqueue
from campaigns.services.sdr_keys import sdr_link_save, sdrs_refresh_enqueue
from tests.conftest import wait_until
from tests.sdr_helpers import ICP_OK, SDR2_KEY, SDR_KEY, integration_knobs, make_desk

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]
S = Operation.Status


@pytest.fixture(autouse=True)
def knobs(settings):
    integration_knobs(settings)


def finished(op):
    wait_until(lambda: not Operation.objects.get(pk=op.pk).is_active, timeout=60, message=f"{op.kind} to end")
    op.refresh_from_db()
    return op


def slowed() -> bool:
    """A live-server thread is still inside the sandbox's slow fault (or writing its answer after it)."""
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_filename.endswith(("sandbox/faults.py", "wsgiref/handlers.py")):
                return True
            frame = frame.f_back
    return False


def sends(sandbox, key):
    return next(s["sends"] for s in sandbox.sdrs() if s["apiKey"] == key)


def test_a_timed_out_send_is_outcome_unknown_after_exactly_one_send_and_a_second_forward_says_who(
    sandbox, celery_worker, settings, sdr, sdr2, manager
):
    desk = make_desk(sandbox)
    assert finished(sdrs_refresh_enqueue(actor=manager)).status == S.SUCCEEDED
    ids = {s["apiKey"]: s["id"] for s in sandbox.sdrs()}
    assert set(LeadterraSdr.objects.values_list("sdr_id", flat=True)) == {ids[SDR_KEY], ids[SDR2_KEY]}
    sdr_link_save(user=sdr, sdr_id=ids[SDR_KEY], key=SDR_KEY, actor=manager)
    sdr_link_save(user=sdr2, sdr_id=ids[SDR2_KEY], key=SDR2_KEY, actor=manager)

    jane = Reply.objects.create(
        remote_id=desk.replies["jane@acme.com"],
        email="jane@acme.com",
        classification="interested",
        received_at=timezone.now(),
    )
    icp = {"seniority": ICP_OK["seniority"], "employee_count": ICP_OK["employeeCount"]}
    claimed = finished(reply_assign_enqueue(reply=jane, sdr_user=sdr, actor=sdr, category="A", **icp))
    assert claimed.status == S.SUCCEEDED, claimed.last_error
    thread_id = ReplyHandoff.objects.get(reply=jane).thread_id
    assert thread_id == claimed.result["thread_id"]

    # A manager forwards it again without forcing: Leadterra says who already has it.
    again = finished(reply_assign_enqueue(reply=jane, sdr_user=sdr2, actor=manager, **icp))
    holder = LeadterraSdr.objects.get(sdr_id=ids[SDR_KEY])
    assert again.status == S.FAILED
    assert again.last_error == f"Already forwarded to {holder.name} ({holder.email})."
    assert ReplyHandoff.objects.get(reply=jane).sdr_user == sdr

    [draft] = desk.drafts(thread_id, SDR_KEY)
    settings.LEADTERRA_READ_TIMEOUT = 1.0
    sandbox.faults(slowRate=1.0, slowSeconds=3, paths=r"^/v1/sdr/drafts/[^/]+/send$")
    before = sends(sandbox, SDR_KEY)
    op = finished(draft_send_enqueue(draft_id=draft["id"], thread_id=thread_id, sdr_user=sdr, actor=sdr))
    assert op.status == S.OUTCOME_UNKNOWN, op.last_error
    assert "check the thread" in op.last_error and op.retries == 0 and op.attempts == 1
    sandbox.clear_faults()
    wait_until(lambda: sends(sandbox, SDR_KEY) == before + 1, timeout=10, message="the slow send to land")

    # Nothing sends it again: not the engine, not the sweeper long after.
    assert operations_sweep(now=timezone.now() + timedelta(hours=1))["stale"] == 0
    op.refresh_from_db()
    assert (op.status, op.attempts) == (S.OUTCOME_UNKNOWN, 1)
    assert sends(sandbox, SDR_KEY) == before + 1
    # The slow answer is still being written to a client that left: let that request end inside the test.
    wait_until(lambda: not slowed(), message="the slow answer's request to end")
