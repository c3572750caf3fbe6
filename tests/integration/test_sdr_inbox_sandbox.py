"""My inbox and a thread, through the pages, a real worker and Redis, and the sandbox over HTTP:
the inbox is fetched with the SDR's own key, drafts are written, and a send that times out is
"outcome unknown" on the thread page with exactly one send received and no way to replay it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import LeadterraSdr, Operation, Reply, SdrDraft, SdrInbox, SdrThread
from campaigns.services.sdr_actions import reply_assign_enqueue
from campaigns.services.sdr_inbox import sdr_inbox_request_refresh
from campaigns.services.sdr_keys import sdr_link_save
from tests.conftest import wait_until
from tests.integration.test_sdr_outbox_sandbox import finished, sends, slowed
from tests.sdr_helpers import ICP_OK, SDR_KEY, make_desk

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]
S = Operation.Status


@pytest.fixture(autouse=True)
def knobs(settings):
    settings.LEADTERRA_MAX_RPS = 40
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    settings.SDR_KEY_ENCRYPTION_KEY = "integration-secret"


def handed_thread(sandbox, sdr, manager, campaign=None) -> str:
    """Jane's interested reply handed to `sdr` (linked to the sandbox's seeded SDR) by a real worker."""
    desk = make_desk(sandbox)
    ids = {s["apiKey"]: s for s in sandbox.sdrs()}
    me = ids[SDR_KEY]
    LeadterraSdr.objects.create(sdr_id=me["id"], name=me["name"], email=me["email"], refreshed_at=timezone.now())
    sdr_link_save(user=sdr, sdr_id=me["id"], key=SDR_KEY, actor=manager)
    jane = Reply.objects.create(
        remote_id=desk.replies["jane@acme.com"],
        email="jane@acme.com",
        classification="interested",
        received_at=timezone.now(),
        campaign=campaign,
        snippet="Yes, interested. Can you tell me more about pricing?",
    )
    icp = {"seniority": ICP_OK["seniority"], "employee_count": ICP_OK["employeeCount"]}
    op = finished(reply_assign_enqueue(reply=jane, sdr_user=sdr, actor=sdr, category="A", **icp))
    assert op.status == S.SUCCEEDED, op.last_error
    return op.result["thread_id"]


def test_a_timed_out_send_from_the_thread_page_is_outcome_unknown_after_exactly_one_send(
    sandbox, celery_worker, settings, client, sdr, manager
):
    thread_id = handed_thread(sandbox, sdr, manager)
    sandbox.gmail("sdr", "needs_reauth", "Token expired")
    assert sdr_inbox_request_refresh(user=sdr, force=True)
    wait_until(lambda: SdrThread.objects.filter(user=sdr, thread_id=thread_id).exists(), message="the inbox refresh")
    wait_until(lambda: SdrInbox.objects.get(user=sdr).gmail_health == "needs_reauth", message="the Gmail state")
    client.force_login(sdr)
    page = client.get(reverse("sdr_inbox")).content.decode()
    assert "Jane Doe" in page and "Your Gmail" in page and "needs to be reconnected" in page
    sandbox.gmail("sdr", "active")

    assert client.post(reverse("sdr_drafts_generate", args=[thread_id]), {"variants": "2"}).status_code == 302
    assert finished(Operation.objects.get(kind="generate_drafts")).status == S.SUCCEEDED
    first = SdrDraft.objects.filter(thread_id=thread_id).order_by("position").first()
    assert SdrDraft.objects.filter(thread_id=thread_id).count() == 2 and "Jane" in first.body_text

    settings.LEADTERRA_READ_TIMEOUT = 1.0
    sandbox.faults(slowRate=1.0, slowSeconds=3, paths=r"^/v1/sdr/drafts/[^/]+/send$")
    before = sends(sandbox, SDR_KEY)
    text = first.body_text + "\n\nTalk soon."
    assert client.post(reverse("sdr_draft_send", args=[thread_id, first.pk]), {"text": text}).status_code == 302
    op = finished(Operation.objects.get(kind="send_draft"))
    assert (op.status, op.attempts, op.retries) == (S.OUTCOME_UNKNOWN, 1, 0), op.last_error
    sandbox.clear_faults()
    wait_until(lambda: sends(sandbox, SDR_KEY) == before + 1, timeout=10, message="the slow send to land")

    page = client.get(reverse("sdr_thread", args=[thread_id])).content.decode()
    assert "Outcome unknown — check the thread." in page and "will not be sent again on its own" in page
    replay = client.post(reverse("sdr_draft_send", args=[thread_id, first.pk]), {"text": text})
    assert replay.status_code == 400 and "unknown outcome" in replay.content.decode()
    assert Operation.objects.filter(kind="send_draft").count() == 1
    assert sends(sandbox, SDR_KEY) == before + 1
    wait_until(lambda: not slowed(), message="the slow answer's request to end")
