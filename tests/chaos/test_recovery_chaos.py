"""How fast the outbox comes back: real Redis, real worker processes, the sandbox over HTTP.

- three worker SIGKILLs across five launches: every launch completes, each remote campaign
  exists once with all its leads, and each operation a killed worker held is claimed again
  within 60 s of its kill (the heartbeat stops, the sweeper reclaims it);
- the worker's database connections cut mid-launch (through a TCP proxy on PostgreSQL): every
  in-flight operation writes its outcome on a new connection and goes on within 10 s; no row
  is left `running`.

The chaos settings (tests/chaos/conftest.py) beat every second, call a row dead after 3 s of
silence and sweep every second; production uses 2 s, 8 s and 5 s. Figures go to
test-artifacts/outbox-figures.json.
"""

import time

import pytest
from django.db import connections

from campaigns.models import Campaign, Operation
from campaigns.services.operations import operation_enqueue
from tests.chaos.conftest import figures, launchable, record
from tests.chaos.tcp_proxy import TcpProxy
from tests.conftest import database_url, wait_until
from tests.lifecycle_support import launch_payload

pytestmark = [
    pytest.mark.integration,
    pytest.mark.chaos,
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
]
S = Operation.Status
RESUME_LIMIT_AFTER_KILL = 60
RECOVERY_LIMIT_AFTER_CUT = 10


def launches(manager, campaigns):
    return [operation_enqueue(kind="launch", campaign=c, actor=manager, payload=launch_payload(c)) for c in campaigns]


def held(ops, least: int = 1):
    """The running operations and what their holder had written, once at least `least` run."""
    rows = Operation.objects.filter(pk__in=[op.pk for op in ops], status=S.RUNNING)
    snapshot = {pk: (claimed, progress) for pk, claimed, progress in rows.values_list("pk", "claimed_at", "progress")}
    return snapshot if len(snapshot) >= least else None


def moved_on(snapshot: dict, *, resumed: bool) -> set[int]:
    """Operations that went on since the snapshot: a new claim, or an outcome written (with
    `resumed`, only a new claim or an end counts: queued again is not resumed yet)."""
    rows = Operation.objects.filter(pk__in=snapshot).values_list("pk", "status", "claimed_at")
    waiting = {S.RUNNING, S.QUEUED, S.RETRYING} if resumed else {S.RUNNING}
    return {pk for pk, status, claimed in rows if status not in waiting or claimed != snapshot[pk][0]}


def seconds_to_move_on(snapshot: dict, since: float, limit: float, *, resumed: bool) -> dict[int, float]:
    """Seconds from `since` until each operation in the snapshot went on (waits past the limit,
    so a miss is reported with its real figure)."""
    seconds: dict[int, float] = {}
    deadline = since + limit + 30
    while len(seconds) < len(snapshot) and time.monotonic() < deadline:
        for pk in moved_on(snapshot, resumed=resumed) - seconds.keys():
            seconds[pk] = round(time.monotonic() - since, 1)
        time.sleep(0.1)
    return {pk: seconds.get(pk, float("inf")) for pk in snapshot}


def all_settled(ops) -> bool:
    return not Operation.objects.filter(pk__in=[op.pk for op in ops], status__in=Operation.ACTIVE_STATES).exists()


def check_remote(sandbox, campaigns, leads: int) -> dict:
    """One remote campaign per launch, each with every lead once, running."""
    remote = {c["id"]: c for c in sandbox.state()["campaigns"]}
    local = {c.remote_id: c for c in Campaign.objects.filter(pk__in=[c.pk for c in campaigns])}
    assert len(remote) == len(campaigns) and set(remote) == set(local), "one remote campaign per launch"
    for remote_id, data in remote.items():
        emails = [lead["email"] for lead in sandbox.leads(remote_id)]
        assert len(emails) == len(set(emails)) == leads == data["leads"], "no lost and no doubled lead"
        assert data["status"] == "running"
    assert {c.status for c in local.values()} == {Campaign.Status.RUNNING}
    return {"remote_campaigns": len(remote), "duplicates": len(remote) - len(campaigns)}


def test_three_worker_kills_across_five_launches_lose_nothing_and_resume_within_a_minute(
    sandbox, workers, beat, manager
):
    sandbox.reset(campaigns=0)
    sandbox.faults(latencyMs=700, paths="leads/bulk")  # six slow chunks a launch: kills land mid-way
    campaigns = [launchable(manager, 3000, f"Killed {i}") for i in range(5)]
    worker = workers(8)
    started = time.monotonic()
    ops = launches(manager, campaigns)
    resumes: list[float] = []
    for _ in range(3):
        wait_until(lambda: held(ops), timeout=90, interval=0.1, message="a worker holding launches")
        worker.sigkill()
        killed = time.monotonic()
        snapshot = held(ops) or {}  # read after the kill: nothing the dead worker wrote can follow
        worker = workers(8)  # the supervisor starts a new one
        resumes += seconds_to_move_on(snapshot, killed, RESUME_LIMIT_AFTER_KILL, resumed=True).values()
    wait_until(lambda: all_settled(ops), timeout=180, interval=0.5, message="the five launches to settle")
    sandbox.clear_faults()
    data = {
        **figures(ops),
        "kills": 3,
        "held_operations_resumed": len(resumes),
        "resume_seconds_max": max(resumes),
        "resume_seconds": sorted(resumes),
        "seconds": round(time.monotonic() - started, 1),
    }
    record("three_kills_across_five_launches", data)  # before asserting: the evidence of a failure too
    assert len(resumes) >= 3, "each kill found launches held"
    assert max(resumes) <= RESUME_LIMIT_AFTER_KILL, resumes
    assert data["succeeded"] == 5, list(
        Operation.objects.filter(pk__in=[o.pk for o in ops]).values("status", "last_error")
    )
    record("three_kills_across_five_launches", {**data, **check_remote(sandbox, campaigns, 3000)})


@pytest.fixture
def cuttable_worker(workers, tmp_path):
    """Starts a worker whose database connections the test can cut; yields the cut.

    PostgreSQL: the worker reaches the database through a TCP proxy, and the cut closes every
    socket open through it. SQLite has no connection to cut: the worker (tests/chaos/cut_worker.py)
    treats every connection opened before the cut as dead, as the driver would."""
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("postgresql"):
        host, port = db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)
        proxy = TcpProxy(host, port)
        worker = workers(
            8, DATABASE_URL=database_url("default").replace(f"@{host}:{port}/", f"@127.0.0.1:{proxy.port}/")
        )

        def cut():
            assert proxy.cut() > 0, "the worker reaches the database through the proxy"

        yield cut
        worker.stop()  # before the proxy goes: a worker cut off at the end only logs noise
        proxy.close()
    else:
        flag = tmp_path / "db-cut"
        workers(8, module="tests.chaos.cut_worker", DB_CUT_FLAG=str(flag))
        yield lambda: flag.write_text("cut")


def test_a_database_cut_mid_launch_recovers_within_ten_seconds_and_strands_nothing(
    sandbox, cuttable_worker, beat, manager
):
    sandbox.reset(campaigns=0)
    sandbox.faults(latencyMs=400, paths="leads/bulk")
    campaigns = [launchable(manager, 2500, f"Cut {i}") for i in range(4)]
    ops = launches(manager, campaigns)
    snapshot = wait_until(lambda: held(ops, least=3), timeout=90, interval=0.1, message="launches in flight")
    cuttable_worker()  # every connection the worker has is dead from now on
    cut = time.monotonic()
    recovered = seconds_to_move_on(snapshot, cut, RECOVERY_LIMIT_AFTER_CUT, resumed=False)
    # Measured after the first figure, from the cut: an upper bound.
    resumed = seconds_to_move_on(snapshot, cut, RECOVERY_LIMIT_AFTER_CUT, resumed=True)
    wait_until(lambda: all_settled(ops), timeout=120, interval=0.5, message="the launches to settle after the cut")
    sandbox.clear_faults()
    data = {
        **figures(ops),
        "in_flight_at_cut": len(snapshot),
        "recovery_seconds_max": max(recovered.values()),
        "recovery_seconds": sorted(recovered.values()),
        "resumed_seconds_max": max(resumed.values()),
        "left_running": Operation.objects.filter(status=S.RUNNING).count(),
    }
    record("database_cut_mid_launch", data)
    assert max(recovered.values()) <= RECOVERY_LIMIT_AFTER_CUT, recovered
    assert max(resumed.values()) <= RECOVERY_LIMIT_AFTER_CUT, resumed
    assert data["left_running"] == 0, "no row stranded"
    assert data["succeeded"] == 4
    record("database_cut_mid_launch", {**data, **check_remote(sandbox, campaigns, 2500)})
