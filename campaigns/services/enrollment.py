"""Enrolling waiting leads into a campaign that already runs (launch enrolls the rest)."""

from __future__ import annotations

from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Lead, Operation
from campaigns.permissions import require
from campaigns.services.operations import operation_enqueue


class EnrollRefused(Exception):
    """Enrollment cannot start now; the message says why."""


def leads_enroll(*, campaign, actor):
    """Queue an `enroll_leads` operation for every waiting lead of a running campaign.

    (Enrollment at launch belongs to the launch operation.) The confirmation page shows
    how many sends this adds today before a manager calls this.
    """
    require(actor, "enroll_running")
    if campaign.status != campaign.Status.RUNNING:
        raise EnrollRefused("Leads are enrolled this way only while the campaign runs; launch enrolls the rest.")
    pending = Lead.objects.filter(campaign=campaign, status=Lead.Status.PENDING).count()
    if not pending:
        raise EnrollRefused("No leads are waiting for enrollment.")
    active = Operation.objects.filter(
        campaign=campaign, kind=Operation.Kind.ENROLL_LEADS, status__in=Operation.ACTIVE_STATES
    )
    if active.exists():
        raise EnrollRefused("An enrollment for this campaign is already under way.")
    with transaction.atomic():
        op = operation_enqueue(kind=Operation.Kind.ENROLL_LEADS, campaign=campaign, payload={}, actor=actor)
        audit_record(actor=actor, action="leads.enroll_requested", campaign=campaign, leads=pending, operation=op.pk)
    return op
