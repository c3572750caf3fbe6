from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Campaign


@transaction.atomic
def campaign_create(*, owner, name: str) -> Campaign:
    campaign = Campaign.objects.create(owner=owner, name=name)
    audit_record(actor=owner, action="campaign.created", campaign=campaign, name=name)
    return campaign
