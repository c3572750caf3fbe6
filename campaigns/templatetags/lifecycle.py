"""Formatting for the lifecycle panel on the campaign page, and how audit events read to people."""

from django import template

from campaigns.models import Campaign
from campaigns.templatetags.live import percent
from campaigns.wording import distinct_percents

register = template.Library()


Status = Campaign.Status
STAGE_OF = {
    Status.DRAFT: 0,
    Status.IN_REVIEW: 1,
    Status.APPROVED: 2,
    Status.LAUNCHING: 3,
    Status.LAUNCH_FAILED: 3,
    Status.RUNNING: 4,
    Status.PAUSED: 4,
}


def stages(campaign: Campaign) -> list[tuple[str, str]]:
    """(label, done|current|todo) for the five stages; none for an archived campaign."""
    if campaign.status not in STAGE_OF:
        return []
    current = STAGE_OF[campaign.status]
    launch = "Launch failed" if campaign.status == Status.LAUNCH_FAILED else "Launch"
    last = "Paused" if campaign.status == Status.PAUSED else "Running"
    labels = ["Draft", "In review", "Approved", launch, last]
    return [(label, "done" if i < current else "current" if i == current else "todo") for i, label in enumerate(labels)]


@register.inclusion_tag("reviews/_panel.html", takes_context=True)
def lifecycle_panel(context, panel):
    """Formats a Panel (campaigns.services.panel.panel_read, with its reader): no query of its own."""
    request, campaign = context["request"], panel.campaign
    return {
        "campaign": campaign,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "actions": panel.actions,
        "op": panel.op,
        "stages": stages(campaign),
        "live": panel.live,
        "events": panel.events,
        "is_manager": context.get("is_manager"),
        "threshold_percent": round(campaign.bounce_threshold * 100, 2),
    }


SENTENCES = {
    "campaign.created": "created the campaign",
    "campaign.edited": "edited the sequence",
    "campaign.submitted": "sent it for review",
    "approval.granted": "approved it",
    "approval.rejected": "rejected it",
    "approval.voided": "voided the approval by editing",
    "approval.refused": "was refused the approval (four-eyes)",
    "campaign.confirmation_refused": "a Leadterra confirmation did not fit the state; not applied",
    "launch.spill_confirmed": "confirmed that the plan spills",
    "launch.coverage_overridden": "sent it anyway to leads with empty merge tags",
    "campaign.launch_requested": "asked to launch it",
    "campaign.launch_retried": "retried the launch",
    "campaign.remote_created": "created it on Leadterra",
    "campaign.launched": "launched it",
    "campaign.launch_failed": "launch failed",
    "campaign.started": "started it",
    "campaign.pause_requested": "asked to pause it",
    "campaign.paused": "paused it",
    "campaign.resumed": "resumed it",
    "campaign.duplicated": "duplicated a campaign into this one",
    "campaign.resume_requested": "asked to resume it",
    "campaign.archived": "archived it",
    "bounce_guard.tripped": "bounce guard tripped",
    "bounce_guard.changed": "changed the bounce guard",
    "leads.imported": "imported leads",
    "leads.import_failed": "lead import failed",
    "leads.import_cancelled": "cancelled a lead import",
    "leads.enroll_requested": "asked to enroll new leads",
    "leads.enrolled": "enrolled leads",
    "suppression.added": "added addresses to the suppression list",
    "suppression.push_requested": "pushed the suppression list again",
    "suppression.pushed": "suppression list reached Leadterra",
    "wall_token.created": "created a wall link",
    "wall_token.revoked": "revoked a wall link",
    "webhook.registered": "registered a webhook",
    "operation.retried": "retried an operation",
    "operation.cancelled": "cancelled an operation",
}

# Long or technical values are shortened; the global audit page still shows every key.
SHORT = {"hash": 12}


@register.filter
def audit_sentence(event) -> str:
    return SENTENCES.get(event.action, event.action.replace(".", " ").replace("_", " "))


@register.filter
def audit_details(event) -> list[tuple[str, str]]:
    pairs = []
    for key, value in (event.details or {}).items():
        if value in ("", None, [], {}):
            continue
        text = value if isinstance(value, str) else _plain(value)
        if key in SHORT:
            text = text[: SHORT[key]]
        pairs.append((key.replace("_", " "), text))
    return pairs


def _plain(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " · ".join(_plain(v).rstrip(".") for v in value)
    return str(value)


register.filter("percent", percent)


@register.filter
def percent_against(share, other) -> str:
    """`share` as a percentage with the decimals that keep it apart from `other` (a rate beside its threshold)."""
    return distinct_percents(float(share or 0), float(other or 0))[0]
