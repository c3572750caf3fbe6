"""Property tests: random sequences of API calls and clock moves keep the world's invariants.

counters never decrease; delivered + bounced <= sent; sent <= enrolled × steps; queued >= 0;
a pool never sends more than its capacity in a day; a paused campaign sends nothing;
nobody suppressed or replied is mailed again.
"""

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from sandbox.clock import DAY
from sandbox.models import Lead, Reply, Suppression
from sandbox.testing import ClientSandbox
from tests.conftest import searched

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

DB = "sandbox"
EMAILS = [f"person{i}@example.com" for i in range(6)]  # few, so campaigns share people
COUNTERS = ("sent", "delivered", "bounced", "replied")

steps = st.lists(
    st.fixed_dictionaries(
        {"subject": st.just("Hi {{firstName}}"), "bodyHtml": st.just("<p>x</p>"), "delayDays": st.integers(0, 3)}
    ),
    max_size=3,
)
rates = st.fixed_dictionaries(
    {
        "bounceRate": st.sampled_from([0.0, 0.2, 0.6]),
        "hardBounceShare": st.sampled_from([0.0, 0.5, 1.0]),
        "replyRate": st.sampled_from([0.0, 0.3, 0.8]),
        "replyDelayHours": st.just([0.5, 30]),
    }
)


class World:
    """Drives the sandbox and remembers what the invariants need between steps."""

    def __init__(self, sb: ClientSandbox):
        self.sb, self.campaigns, self.before = sb, [], {}
        self.frozen_steps = {}  # lead id -> steps sent when its address was suppressed or it replied

    def do(self, action) -> str | None:
        kind, *args = action
        if kind == "create":
            _, body = self.sb.api("POST", "/campaigns", {"name": "prop", "sequenceSteps": args[0]})
            self.campaigns.append((body["id"], len(args[0])))
        elif kind == "suppress":
            assert self.sb.api("POST", "/suppression-list", {"emails": args[0]})[0] == 200
        elif kind == "advance":
            self.sb.advance(hours=args[0])
        elif self.campaigns:
            cid = self.campaigns[args[0] % len(self.campaigns)][0]
            if kind == "enroll":
                leads = [{"email": e, "firstName": "P"} for e in args[1]]
                assert self.sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": leads})[0] == 200
            else:
                assert self.sb.api("POST", f"/campaigns/{cid}/{kind}")[0] in (200, 400)
                return cid if kind == "start" else None
        return None

    def observe(self) -> dict:
        state = self.sb.state()
        seen = {}
        for c in state["campaigns"]:
            _, stats = self.sb.api("GET", f"/campaigns/{c['id']}/stats")
            seen[c["id"]] = {**stats, "status": c["status"], "steps": c["steps"]}
        return {"campaigns": seen, "now": state["now"], "pools": state["pools"]}

    def check(self, started: str | None, now_before: float, now_after: float) -> None:
        seen = self.observe()
        for cid, stats in seen["campaigns"].items():
            old = self.before.get(cid)
            assert stats["delivered"] + stats["bounced"] <= stats["sent"]
            assert stats["sent"] <= stats["totalEnrolled"] * stats["steps"]
            assert stats["queued"] >= 0
            if old:
                assert all(stats[k] >= old[k] for k in (*COUNTERS, "totalEnrolled")), (old, stats)
                if old["status"] == "paused" and stats["status"] == "paused" and cid != started:
                    assert stats["sent"] == old["sent"], "a paused campaign sent"
        self._check_pools(seen, now_before, now_after)
        self._check_blocked_leads()
        self.before = seen["campaigns"]

    def _check_blocked_leads(self) -> None:
        """Once suppressed or replied, a lead's steps-sent never grows again."""
        blocked = set(Suppression.objects.using(DB).values_list("email", flat=True))
        for pk, email, step, state in Lead.objects.using(DB).values_list("pk", "email", "step", "state"):
            if pk in self.frozen_steps:
                assert step == self.frozen_steps[pk], f"{email} was mailed after being suppressed or replying"
            elif email in blocked or state == "replied":
                self.frozen_steps[pk] = step

    def _check_pools(self, seen, now_before, now_after) -> None:
        for pool in seen["pools"]:
            assert pool["sentToday"] <= pool["todayLimit"] <= pool["dailyCapacity"]
        old_sent = sum(c["sent"] for c in self.before.values())
        new_sent = sum(c["sent"] for c in seen["campaigns"].values())
        days_touched = int(now_after // DAY) - int(now_before // DAY) + 1
        capacity = sum(p["dailyCapacity"] for p in seen["pools"])
        assert new_sent - old_sent <= capacity * days_touched


def check_nobody_blocked_is_mailed_again() -> None:
    blocked = dict(Suppression.objects.using(DB).values_list("email", "created_at"))
    for email, last_sent in Lead.objects.using(DB).filter(email__in=blocked).values_list("email", "last_sent_at"):
        assert last_sent is None or last_sent <= blocked[email], f"{email} mailed after being suppressed"
    for reply in Reply.objects.using(DB).all():
        lead = Lead.objects.using(DB).get(campaign_id=reply.campaign_id, email=reply.email)
        assert lead.last_sent_at <= reply.received_at, f"{reply.email} mailed after replying"
        assert lead.state == "replied"


def sim_now() -> float:
    from sandbox import clock

    return clock.sim_now()


class Calls(RuleBasedStateMachine):
    """Hypothesis explores sequences of these rules; the invariants run after every step."""

    client = None  # set by the test: Django's test client

    def __init__(self):
        super().__init__()
        self.sb = ClientSandbox(self.client)
        self.sb.freeze()
        self.sb.reset(seed=7, pools=2, senders=3, poolCapacity=6)
        self.world = World(self.sb)
        self.started, self.now_before = None, sim_now()
        two_steps = [{"subject": "Hi", "bodyHtml": "<p>x</p>", "delayDays": d} for d in (0, 1)]
        for _ in range(2):  # a populated start: the rules then mostly meet leads, not an empty world
            self.world.do(("create", two_steps))
            self.world.do(("enroll", len(self.world.campaigns) - 1, EMAILS))

    def _do(self, action):
        self.now_before = sim_now()
        self.started = self.world.do(action)

    @initialize(chosen=rates)
    def set_rates(self, chosen):
        self.sb.rates(**chosen)

    @rule(s=steps)
    def create(self, s):
        self._do(("create", s))

    @rule(i=st.integers(0, 3), emails=st.lists(st.sampled_from(EMAILS), min_size=1, max_size=6))
    def enroll(self, i, emails):
        self._do(("enroll", i, emails))

    @rule(i=st.integers(0, 3))
    def start(self, i):
        self._do(("start", i))

    @rule(i=st.integers(0, 3))
    def pause(self, i):
        self._do(("pause", i))

    @rule(emails=st.lists(st.sampled_from(EMAILS), min_size=1, max_size=3))
    def suppress(self, emails):
        self._do(("suppress", emails))

    @rule(hours=st.floats(0, 80))
    def advance(self, hours):
        self._do(("advance", hours))

    @invariant()
    def invariants_hold(self):
        self.world.check(self.started, self.now_before, sim_now())
        self.started = None
        check_nobody_blocked_is_mailed_again()


def test_random_calls_and_clock_moves_keep_the_invariants(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    Calls.client = client
    run_state_machine_as_test(
        Calls,
        settings=hsettings(
            max_examples=searched(15),
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
