"""The client's SDR calls against the sandbox over HTTP: every shape the sandbox serves is read, every
refusal arrives as its typed error, and a send whose connection drops is OutcomeUnknown after
exactly one send reached the sandbox."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.leadterra import AlreadyAssigned, GuardrailsBlocked, IcpFailed, OutcomeUnknown, get_client
from tests.sdr_helpers import SDR2_KEY, SDR_KEY, make_desk

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]


@pytest.fixture
def lt(sandbox, settings):
    settings.LEADTERRA_API_KEY = sandbox.api_key
    settings.LEADTERRA_MAX_RPS = 0
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    return get_client()


def test_the_whole_sdr_flow_through_the_client(sandbox, lt):
    desk = make_desk(sandbox)
    sdrs = {s.name: s.id for s in lt.list_sdrs()}
    assert set(sdrs) == {"Sam Rivera", "Dana Okafor"}
    reply = desk.replies["jane@acme.com"]
    with pytest.raises(IcpFailed) as refused:
        lt.assign_reply(reply, sdr_id=sdrs["Sam Rivera"], seniority="intern", employee_count=3)
    assert len(refused.value.reasons) == 2
    handoff = lt.assign_reply(reply, sdr_id=sdrs["Sam Rivera"], category="A", seniority="director", employee_count=80)
    with pytest.raises(AlreadyAssigned) as taken:
        lt.assign_reply(reply, sdr_id=sdrs["Dana Okafor"], skip_icp_check=True)
    assert (taken.value.sdr_name, taken.value.thread_id) == ("Sam Rivera", handoff.thread_id)

    page = lt.sdr_inbox(api_key=SDR_KEY, statuses=["new"])
    assert [(t.id, t.category, t.contact_name) for t in page.threads] == [(handoff.thread_id, "A", "Jane Doe")]
    assert page.threads[0].last_message_at is not None and (page.total, page.has_more) == (1, False)
    assert lt.sdr_inbox(api_key=SDR2_KEY).threads == []

    drafts = lt.generate_drafts(api_key=SDR_KEY, thread_id=handoff.thread_id, variant_count=2)
    assert [d.approach for d in drafts.drafts] == ["book_a_call", "answer_first"]
    with pytest.raises(GuardrailsBlocked) as blocked:
        lt.send_draft(drafts.drafts[0].id, api_key=SDR_KEY, final_body_text="Act now, click here!")
    assert blocked.value.guardrails.blocked and blocked.value.guardrails.overall is not None
    sent = lt.send_draft(drafts.drafts[1].id, api_key=SDR_KEY)
    assert sent.message_id and sent.guardrails.blocked is False

    [upcoming] = lt.due_followups(api_key=SDR_KEY, include_upcoming=True)
    assert lt.due_followups(api_key=SDR_KEY) == []
    later = datetime.now(UTC) + timedelta(days=30)
    moved = lt.reschedule_followup(upcoming.id, api_key=SDR_KEY, due_at=later)
    assert abs((moved.due_at - later).total_seconds()) < 0.01
    assert lt.complete_followup(upcoming.id, api_key=SDR_KEY).status == "completed"
    scheduled = lt.schedule_followup(handoff.thread_id, api_key=SDR_KEY)
    assert (scheduled.thread_id, scheduled.status) == (handoff.thread_id, "pending")
    assert lt.skip_followup(scheduled.id, api_key=SDR_KEY, reason="Meeting booked").status == "skipped"

    sandbox.control("POST", "sdrs/sdr/gmail", {"healthState": "needs_reauth"})
    gmail = lt.gmail_status(api_key=SDR_KEY)
    assert (gmail.health_state, gmail.needs_attention) == ("needs_reauth", True)
    assert lt.gmail_status(api_key=SDR2_KEY).needs_attention is False


def test_a_send_whose_connection_drops_is_outcome_unknown_and_went_out_once(sandbox, lt):
    desk = make_desk(sandbox)
    thread = desk.thread("omar@globex.io")
    draft = desk.drafts(thread)[0]
    sandbox.script(["drop"])
    with pytest.raises(OutcomeUnknown):
        lt.send_draft(draft["id"], api_key=SDR_KEY)
    assert desk.sends(SDR_KEY) == 1
