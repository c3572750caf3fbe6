"""Two people press Save at the same moment: exactly one save wins, the other is told."""

import threading

import pytest
from django.db import connections

from campaigns.models import Campaign
from campaigns.services.campaigns import VersionConflict, campaign_content_save, campaign_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_saves_from_the_same_version_let_exactly_one_through(sdr, manager):
    campaign = campaign_create(owner=sdr, name="Race")
    barrier, outcomes = threading.Barrier(2), {}

    def save(actor, subject):
        try:
            barrier.wait()
            content = {"name": "Race", "steps": [{"subject": subject, "body_html": "<p>x</p>", "delay_days": 0}]}
            fresh = Campaign.objects.get(pk=campaign.pk)
            outcomes[actor.username] = campaign_content_save(
                campaign=fresh, actor=actor, content=content, base_version=1
            ).number
        except VersionConflict as conflict:
            outcomes[actor.username] = conflict
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(u, f"from {u.username}")) for u in (sdr, manager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [name for name, result in outcomes.items() if result == 2]
    losers = [result for result in outcomes.values() if isinstance(result, VersionConflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].by == winners[0] and losers[0].changes == [f"Step 1 added: “from {winners[0]}”."]
    campaign.refresh_from_db()
    assert campaign.version == 2 and campaign.versions.count() == 2
    assert campaign.steps.get().subject == f"from {winners[0]}"
