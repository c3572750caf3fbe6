"""An import travels through the real Redis to a real worker and lands in the campaign's leads."""

import pytest

from campaigns.models import LeadImport
from campaigns.services.leads import lead_import_create, lead_import_start
from tests.conftest import wait_until
from tests.factories import CampaignFactory
from tests.leads_helpers import upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]


def test_a_started_import_is_run_by_a_worker(celery_worker, sdr):
    campaign = CampaignFactory(owner=sdr)
    rows = b"".join(b"user%d@example.com,Name %d\n" % (i, i) for i in range(2500))
    imp = lead_import_create(campaign=campaign, actor=sdr, upload=upload(b"email,first_name\n" + rows))
    lead_import_start(lead_import=imp, mapping=imp.mapping, actor=sdr)
    done = wait_until(
        lambda: LeadImport.objects.filter(pk=imp.pk, status__in=["succeeded", "failed"]).first(),
        timeout=60,
        message="the worker to finish the import",
    )
    assert done.status == "succeeded", done.error
    assert done.counts["new"] == 2500 and done.processed_rows == done.total_rows == 2500
    assert campaign.leads.count() == 2500
