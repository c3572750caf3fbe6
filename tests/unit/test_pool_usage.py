"""A pool's used share splits into what was sent and what senders that are not active hold."""

from types import SimpleNamespace

import pytest

from campaigns.services.planning import PoolUsage, pool_usage


def pool(daily, remaining, *, linked=0, active=0, sender_count=0):
    return SimpleNamespace(
        daily_capacity=daily, remaining=remaining, linked=linked, active=active, sender_count=sender_count or linked
    )


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        # 1 of 3 active, nothing sent: Leadterra's remaining is the active third.
        (pool(900, 300, linked=3, active=1), PoolUsage(0.0, 2 / 3, 2)),
        # The same pool after 120 sends.
        (pool(900, 180, linked=3, active=1), PoolUsage(120 / 900, 2 / 3, 2)),
        # Everyone active: all of the gap was sent.
        (pool(1000, 250, linked=4, active=4), PoolUsage(0.75, 0.0, 0)),
        # Statuses unknown (a count only): the whole capacity counts as sendable.
        (pool(1000, 400, sender_count=3), PoolUsage(0.6, 0.0, 0)),
        # No sender at all: nothing can be sent, and nothing was.
        (pool(500, 0), PoolUsage(0.0, 1.0, 0)),
        # No capacity reported.
        (pool(0, 0, linked=2, active=1), PoolUsage(0.0, 0.0, 0)),
    ],
)
def test_pool_usage_splits_sent_from_held_by_inactive_senders(p, expected):
    usage = pool_usage(p)
    assert usage.sent == pytest.approx(expected.sent) and usage.idle == pytest.approx(expected.idle)
    assert usage.idle_senders == expected.idle_senders


def test_the_meter_fills_what_its_label_adds_up_to():
    # Leadterra said 310 left on a pool whose senders are all paused: nothing can be sent, the meter is full.
    assert pool_usage(pool(400, 310, linked=2, active=0)).unavailable == 1.0
    assert pool_usage(pool(900, 180, linked=3, active=1)).unavailable == pytest.approx(720 / 900)
