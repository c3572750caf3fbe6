"""The lifecycle as a state machine, driven by hypothesis: people act, the worker answers.

Two SDRs and three managers edit, submit, approve, reject, launch, retry (from the campaign
page and from the Operations page), cancel operations, archive, pause and resume two
campaigns, in any order; between their actions the real outbox engine runs a queued
operation against FakeLeadterra, which succeeds, fails for a while, fails for good, or
"dies" (the call is done but the worker never hears back; a sweep later queues it again).

What must hold whatever the order:
- every campaign created on Leadterra carries the content of the approval in force, and
  that approval came from someone who neither edited it since the previous approval nor
  submitted it (the model keeps who did what and checks every approval the services grant
  or refuse against that);
- every status change is an edge of the lifecycle table (written out again below, as
  docs/lifecycle.md draws it), and none happens outside the one writer;
- an archived campaign never runs: no start call for it afterwards, and it stays archived.
"""

import contextlib
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from campaigns.merge_tags import compile_steps
from campaigns.models import Campaign, Operation
from campaigns.services import launch, lifecycle, transitions
from campaigns.services import operations as engine
from campaigns.services.campaigns import campaign_archive, campaign_content_save
from campaigns.services.lifecycle import LifecycleError
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.versions import campaign_snapshot
from tests.conftest import searched
from tests.factories import UserFactory
from tests.lifecycle_support import FakeLeadterra, WorkerDied, a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db
S = Campaign.Status

SDRS, MANAGERS = ["sdr_a", "sdr_b"], ["mgr_a", "mgr_b", "mgr_c"]
PEOPLE = SDRS + MANAGERS
ALLOWED = {
    (S.DRAFT, S.IN_REVIEW),  # submit
    (S.IN_REVIEW, S.APPROVED),  # approve
    (S.IN_REVIEW, S.DRAFT),  # reject, or an edit voids the review
    (S.APPROVED, S.DRAFT),  # an edit voids the approval
    (S.LAUNCH_FAILED, S.DRAFT),  # an edit voids it (nothing exists remotely yet)
    (S.APPROVED, S.LAUNCHING),  # launch
    (S.LAUNCH_FAILED, S.LAUNCHING),  # retry
    (S.LAUNCHING, S.RUNNING),  # Leadterra started it
    (S.LAUNCHING, S.LAUNCH_FAILED),  # the launch failed for good or was cancelled
    (S.RUNNING, S.PAUSED),  # Leadterra paused it
    (S.PAUSED, S.RUNNING),  # Leadterra resumed it
} | {(s, S.ARCHIVED) for s in (S.DRAFT, S.IN_REVIEW, S.APPROVED, S.LAUNCH_FAILED, S.PAUSED)}  # never while sending
# What people do; archive is there once for every two of the others, as it ends a campaign's story.
ACTIONS = [
    "edit",
    "submit",
    "approve",
    "review",
    "review",
    "reject",
    "launch",
    "launch",
    "retry_from_the_campaign_page",
]
ACTIONS += ["retry_from_the_operations_page", "cancel", "pause", "resume", "archive", "race"]
STARTS = ["draft", "approved", "launching", "running", "paused"]
WAITING = [Operation.Status.QUEUED, Operation.Status.RETRYING]
WRITES: list[tuple[int, str, str]] = []  # (campaign id, from, to), from the one writer


@contextlib.contextmanager
def refusal_allowed(who: str):
    """A refusal by state is always possible; a refusal by role only for an SDR."""
    try:
        yield
    except (LifecycleError, engine.OperationStateError):
        pass
    except PermissionDenied:
        assert who in SDRS, f"{who}, a manager, was refused by role"


class Lifecycle(RuleBasedStateMachine):
    people: dict = {}

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()  # each example is rolled back in teardown
        self.atomic.__enter__()
        WRITES.clear()
        self.fake = FakeLeadterra()
        engine.get_client = lambda: self.fake  # put back by the test's monkeypatch
        self.counter = 0
        owners = [self.people["sdr_a"], self.people["sdr_b"]]
        self.ids = [campaign_in("draft", owner=owner, steps=2, leads=3).pk for owner in owners]
        self.status = {pk: S.DRAFT for pk in self.ids}
        self.editors = {pk: {o.username} for pk, o in zip(self.ids, owners, strict=True)}  # since last approval
        self.submitter = dict.fromkeys(self.ids)
        self.approved = dict.fromkeys(self.ids)  # the content of the approval in force
        self.checked_creations = 0
        self.archived_at_call = {}  # campaign id -> number of Leadterra calls when it was archived

    @initialize(
        starts=st.lists(st.sampled_from(STARTS), min_size=2, max_size=2),
        approver=st.sampled_from(MANAGERS),
        launcher=st.sampled_from(MANAGERS),
    )
    def start_somewhere_along_the_way(self, starts, approver, launcher):
        """Most examples start further along, reached through the real services and the worker
        (the owner submits, a manager approves, a manager launches, Leadterra answers), so the
        steps go to what happens after."""
        for i, start in enumerate(starts):
            if STARTS.index(start) >= STARTS.index("approved"):
                self.submit(i, SDRS[i])
                self.approve(i, approver)
            if STARTS.index(start) >= STARTS.index("launching"):
                self.launch(i, launcher)
            if STARTS.index(start) >= STARTS.index("running"):
                self.work("ok")
            if start == "paused":
                self.pause(i, launcher)
                self.work("ok")

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def campaign(self, i: int) -> Campaign:
        return Campaign.objects.get(pk=self.ids[i])

    # --- people ---------------------------------------------------------------------------
    # One rule for every person's action (rather than a rule each), so that hypothesis's swarm
    # testing, which switches whole rules off, leaves the worker a fair share of the steps.

    @rule(
        action=st.sampled_from(ACTIONS),
        i=st.integers(0, 1),
        who=st.sampled_from(PEOPLE),
        other=st.sampled_from(MANAGERS),
    )
    def a_person_acts(self, action, i, who, other):
        if action in ("review", "race"):
            getattr(self, action)(i, who, other)
        else:
            getattr(self, action)(i, who)

    def edit(self, i, who):
        campaign, self.counter = self.campaign(i), self.counter + 1
        content = campaign_snapshot(campaign)
        content["steps"][self.counter % 2]["subject"] = f"Take {self.counter} by {who}, {{{{firstName|there}}}}"
        before = campaign.status
        try:
            campaign_content_save(
                campaign=campaign, actor=self.people[who], content=content, base_version=campaign.version
            )
        except PermissionDenied:
            return
        self.editors[campaign.pk].add(who)
        campaign.refresh_from_db()
        if before in (S.IN_REVIEW, S.APPROVED, S.LAUNCH_FAILED):
            assert (campaign.status, campaign.approved_hash, campaign.approved_by_id) == (S.DRAFT, "", None)
            self.approved[campaign.pk] = None

    def submit(self, i, who):
        campaign = self.campaign(i)
        try:
            lifecycle.campaign_submit(campaign=campaign, actor=self.people[who])
        except (PermissionDenied, LifecycleError):
            return
        self.submitter[campaign.pk] = who

    def review(self, i, who, other):
        """Send for review and decide at once (who submits, other approves): the common path."""
        self.submit(i, who)
        self.approve(i, other)

    def approve(self, i, who):
        campaign = self.campaign(i)
        four_eyes = who in self.editors[campaign.pk] or who == self.submitter[campaign.pk]
        try:
            lifecycle.campaign_approve(campaign=campaign, actor=self.people[who], reviewed_version=campaign.version)
        except PermissionDenied:
            assert who in SDRS
            return
        except LifecycleError as refusal:
            if campaign.status == S.IN_REVIEW:
                assert four_eyes, f"{who} was refused without a four-eyes reason: {refusal}"
                assert "another manager must approve it" in str(refusal)
            return
        assert not four_eyes, f"{who} approved though they edited or submitted it"
        self.approved[campaign.pk] = campaign_snapshot(campaign)
        self.editors[campaign.pk] = set()

    def race(self, i, who, other):
        """Two people at once: one asks for a launch or a resume, the other archives, before any
        worker runs (the interleaving issue 12 reported, given more than its random share)."""
        self.launch(i, who)
        self.resume(i, who)
        self.archive(i, other)

    def reject(self, i, who):
        with refusal_allowed(who):
            lifecycle.campaign_reject(campaign=self.campaign(i), actor=self.people[who], comment="Not yet.")

    def launch(self, i, who):
        with refusal_allowed(who):
            launch.campaign_launch(campaign=self.campaign(i), actor=self.people[who], confirm_spill=True)

    def retry_from_the_campaign_page(self, i, who):
        with refusal_allowed(who):
            launch.campaign_launch_retry(campaign=self.campaign(i), actor=self.people[who])

    def retry_from_the_operations_page(self, i, who):
        failed = Operation.objects.filter(campaign_id=self.ids[i], status=Operation.Status.FAILED).order_by("-id")
        for op in failed[:1]:
            with refusal_allowed(who):
                engine.operation_retry(operation=op, actor=self.people[who])

    def cancel(self, i, who):
        waiting = [Operation.Status.QUEUED, Operation.Status.RETRYING, Operation.Status.FAILED]
        for op in Operation.objects.filter(campaign_id=self.ids[i], status__in=waiting).order_by("-id")[:1]:
            with refusal_allowed(who):
                engine.operation_cancel(operation=op, actor=self.people[who])

    def archive(self, i, who):
        try:
            campaign_archive(campaign=self.campaign(i), actor=self.people[who])
        except (PermissionDenied, LifecycleError):
            return
        self.archived_at_call[self.ids[i]] = len(self.fake.calls)

    def pause(self, i, who):
        with refusal_allowed(who):
            lifecycle.campaign_pause(campaign=self.campaign(i), actor=self.people[who], reason="Checking replies")

    def resume(self, i, who):
        with refusal_allowed(who):
            lifecycle.campaign_resume(campaign=self.campaign(i), actor=self.people[who])

    # --- the worker ----------------------------------------------------------------------

    @precondition(lambda self: Operation.objects.filter(status__in=WAITING).exists())
    @rule(outcome=st.sampled_from(["ok", "ok", "transient", "permanent", "die"]))
    def work(self, outcome):
        op = Operation.objects.filter(status__in=WAITING).order_by("id").first()
        Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)  # its backoff has passed
        self.fake.outcome = outcome
        with contextlib.suppress(WorkerDied):  # the claim stays: the row is `running` with nobody behind it
            engine.operation_run(operation_id=op.pk)

    @precondition(lambda self: Operation.objects.filter(status=Operation.Status.RUNNING).exists())
    @rule()
    def sweep(self):
        operations_sweep(now=timezone.now() + timedelta(hours=1))

    # --- what must hold ----------------------------------------------------------------------

    @invariant()
    def every_status_change_is_an_edge_of_the_table_made_by_the_one_writer(self):
        for pk in self.ids:
            now = Campaign.objects.values_list("status", flat=True).get(pk=pk)
            state = self.status[pk]
            for campaign_id, old, new in WRITES:
                if campaign_id == pk:
                    assert (old, new) in ALLOWED, f"{old} -> {new} is not in the table"
                    assert old == state, f"a write from {old} while the campaign was {state}"
                    state = new
            assert state == now, f"the status became {now} without the lifecycle writing it"
            self.status[pk] = now
        WRITES.clear()

    @invariant()
    def leadterra_only_ever_receives_content_approved_by_a_second_person(self):
        created = list(self.fake.created.values())
        for sent in created[self.checked_creations :]:
            pk = int(sent["key"].split("-")[2])
            approved = self.approved[pk]
            assert approved is not None, "a campaign was created on Leadterra with no approval in force"
            compiled, _ = compile_steps(approved["steps"])
            expected = [{k: s[k] for k in ("subject", "body_html", "delay_days")} for s in compiled]
            assert (sent["name"], sent["steps"]) == (approved["name"], expected)
        self.checked_creations = len(created)

    @invariant()
    def an_archived_campaign_never_runs(self):
        for pk, calls_then in self.archived_at_call.items():
            campaign = Campaign.objects.get(pk=pk)
            assert campaign.status == S.ARCHIVED
            assert ("start", campaign.remote_id) not in self.fake.calls[calls_then:]

    @invariant()
    def a_running_campaign_runs_the_content_it_was_approved_for(self):
        for campaign in Campaign.objects.filter(pk__in=self.ids, status__in=[S.RUNNING, S.PAUSED]):
            assert lifecycle.approval_matches(campaign)


def test_the_lifecycle_holds_under_any_interleaving(monkeypatch):
    # Pools refreshed once stay fresh for the whole run, however long a loaded machine takes.
    monkeypatch.setattr(django_settings, "POOLS_REFRESH_SECONDS", 86_400)
    fresh_pools()
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)
    monkeypatch.setattr(engine, "get_client", engine.get_client)  # the machine swaps it; this puts it back
    original = transitions.write_status

    def recorded(campaign, target, *, fields=()):
        before = campaign.status
        original(campaign, target, fields=fields)
        WRITES.append((campaign.pk, before, target))

    monkeypatch.setattr(transitions, "write_status", recorded)
    Lifecycle.people = {name: UserFactory(username=name, role="SDR" if name in SDRS else "Manager") for name in PEOPLE}
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            # 30 runs of up to 50 steps (each a person's action or a worker's answer) in
            # `make test`; a failure found once is replayed first from .hypothesis/ next time.
            max_examples=searched(30),
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
