"""Store every unlaunched body under the email policy (campaigns/email_safe.py).

Bodies are now sanitised when saved, so an approval's hash covers the bytes sent. Rows
written before that may hold markup the policy removes. Decision:

- Campaigns not on Leadterra yet (draft, in_review, approved, launch_failed with no remote
  id): steps are sanitised in place. When that changes anything, a new version records
  the stored content (with no author: the system wrote it), and a campaign that was in
  review or approved goes back to draft with its approval cleared and a reason saying
  why: the approved hash no longer matches what would be sent, and the reviewer never
  saw the sanitised text. Both are written to the audit trail.
- Campaigns that exist on Leadterra (launching, running, paused, a launch_failed with a
  remote id) and archived ones are left untouched: their copy was sent as approved,
  Leadterra cannot edit a sequence, and rewriting it here would make our record of what
  went out untrue.
- Existing versions are history and are never rewritten.
"""

from django.db import migrations

UNLAUNCHED = ["draft", "in_review", "approved", "launch_failed"]
REASON = "Its emails were rewritten to the email-safe form (removed: {removed}); the stored copy needs a new review."


def sanitise_bodies(apps, schema_editor):
    from campaigns.email_safe import removed_parts, sanitize
    from campaigns.services.versions import content_hash

    Campaign = apps.get_model("campaigns", "Campaign")
    CampaignVersion = apps.get_model("campaigns", "CampaignVersion")
    AuditEvent = apps.get_model("campaigns", "AuditEvent")
    for campaign in Campaign.objects.filter(status__in=UNLAUNCHED, remote_id__isnull=True).iterator():
        steps = list(campaign.steps.order_by("position"))
        removed = sorted({part for step in steps for part in removed_parts(step.body_html)})
        changed = [step for step in steps if sanitize(step.body_html) != step.body_html]
        if not changed:
            continue
        for step in changed:
            step.body_html = sanitize(step.body_html)
            step.save(update_fields=["body_html"])
        snapshot = {
            "name": campaign.name,
            "steps": [{"subject": s.subject, "body_html": s.body_html, "delay_days": s.delay_days} for s in steps],
        }
        campaign.version += 1
        CampaignVersion.objects.create(
            campaign=campaign, number=campaign.version, content=snapshot, content_hash=content_hash(snapshot)
        )
        details = {"version": campaign.version, "removed": removed}
        AuditEvent.objects.create(action="campaign.sanitised", campaign=campaign, details=details)
        previous = campaign.status
        if previous != "draft":
            campaign.status = "draft"
            campaign.status_reason = REASON.format(removed=", ".join(removed) or "nothing, markup normalised")
            campaign.approved_version, campaign.approved_hash = None, ""
            campaign.approved_by, campaign.approved_at = None, None
            details = {"previous_status": previous, "reason": "sanitised"}
            AuditEvent.objects.create(action="approval.voided", campaign=campaign, details=details)
        campaign.save()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_lifecycle_submitted_by_last_approved")]

    operations = [migrations.RunPython(sanitise_bodies, migrations.RunPython.noop)]
