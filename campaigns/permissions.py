"""Who may do what: every role rule of the project, as predicates.

Roles are Django groups: SDR and Manager. Managers hold the custom permissions
declared on Campaign.Meta; everyone logged in may browse. Services call these and raise
PermissionDenied (a 403) with a sentence; views only use them to decide which buttons to draw.
Whether an action fits the campaign's *state* is the lifecycle table's answer
(campaigns/services/transitions.py), not a role rule.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

SDR = "SDR"
MANAGER = "Manager"

MANAGER_PERMISSIONS = [
    "review_campaign",
    "launch_campaign",
    "enroll_running",
    "manage_suppression",
    "manage_wall_tokens",
    "manage_operations",
    "manage_integration",
]


def ensure_roles(sender=None, **kwargs):
    """Create the two groups and give Manager its permissions (runs after every migrate)."""
    using = kwargs.get("using", "default")
    if using != "default":
        return
    Group.objects.using(using).get_or_create(name=SDR)
    manager, _ = Group.objects.using(using).get_or_create(name=MANAGER)
    perms = Permission.objects.using(using).filter(
        content_type__app_label="campaigns", codename__in=MANAGER_PERMISSIONS
    )
    manager.permissions.add(*perms)


def is_manager(user) -> bool:
    return user.is_authenticated and user.has_perm("campaigns.review_campaign")


def can(user, codename: str) -> bool:
    """True when the user holds campaigns.<codename>."""
    return user.is_authenticated and user.has_perm(f"campaigns.{codename}")


# What a person without each manager permission is told.
REFUSALS = {
    "enroll_running": "Only managers can enroll leads into a running campaign.",
    "manage_suppression": "Only managers can change the suppression list.",
    "manage_wall_tokens": "Only managers create or revoke wall tokens.",
    "manage_operations": "Only managers can retry or cancel operations.",
    "manage_integration": "Only managers refresh pools or register webhooks.",
}


def require(user, codename: str) -> None:
    """PermissionDenied (a 403), with the sentence from REFUSALS, unless `user` holds `codename`."""
    if not can(user, codename):
        raise PermissionDenied(REFUSALS[codename])


def can_edit_draft(user, campaign) -> bool:
    """Authors edit their own drafts; managers edit any draft; nobody edits a launched one."""
    return edit_refusal(user, campaign) is None


def edit_refusal(user, campaign) -> str | None:
    """Why `user` may not edit the sequence of `campaign`, or None when they may."""
    if campaign.is_launched:
        return "This campaign has been launched. Leadterra has no way to edit a sequence once it exists there."
    if campaign.status == campaign.Status.ARCHIVED:
        return "This campaign is archived."
    if not (user.is_authenticated and (campaign.owner_id == user.pk or is_manager(user))):
        return f"This draft belongs to {campaign.owner.get_username()}; only they or a manager can edit it."
    return None


def can_review(user, campaign) -> bool:
    """Managers approve or reject. Who wrote or submitted the content under review is the
    lifecycle's four-eyes rule (services/lifecycle.approval_refusal), not a role."""
    return is_manager(user)


def can_submit(user, campaign) -> bool:
    """The author or a manager sends a draft for review (the state is checked separately,
    so submitting a launched campaign gets a clear refusal rather than a bare 403)."""
    return user.is_authenticated and (campaign.owner_id == user.pk or is_manager(user))


def can_launch(user) -> bool:
    """Launch, pause, resume and retry a launch: managers only (any campaign, their own too)."""
    return can(user, "launch_campaign")


def can_archive(user, campaign) -> bool:
    """Owners archive their own local work; a campaign that exists in Leadterra (a paused one
    still holds a queue there) is a manager's call, like pausing and resuming it. The states
    are the lifecycle table's (never while launching or running), checked by the service."""
    if campaign.remote_id:
        return is_manager(user)
    return user.is_authenticated and (campaign.owner_id == user.pk or is_manager(user))


def can_import_leads(user, campaign) -> bool:
    """The campaign's owner and managers load leads; nobody loads into an archived campaign."""
    if campaign.status == campaign.Status.ARCHIVED:
        return False
    return user.is_authenticated and (campaign.owner_id == user.pk or is_manager(user))


def _launcher(user, campaign) -> bool:
    return can_launch(user)


# Who may attempt each lifecycle action (services/lifecycle.check_role raises on a False).
LIFECYCLE_ROLES = {
    "submit": can_submit,
    "approve": can_review,
    "reject": can_review,
    "launch": _launcher,
    "retry_launch": _launcher,
    "pause": _launcher,
    "resume": _launcher,
    "guard": _launcher,
}


def may(action: str, user, campaign) -> bool:
    """True when `user`'s role allows the lifecycle `action` on `campaign` (the state aside)."""
    return user is not None and user.is_authenticated and LIFECYCLE_ROLES[action](user, campaign)


def reply_holder(reply):
    """Who holds a reply on the desk: whoever claimed it, else the SDR it was handed to, else None."""
    if reply.claimed_by_id:
        return reply.claimed_by
    handoff = getattr(reply, "handoff", None) if reply.pk else None
    return handoff.sdr_user if handoff is not None else None


def desk_refusal(user, reply) -> str | None:
    """An SDR acts on replies nobody holds and on their own; a manager acts on all."""
    if not user.is_authenticated:
        return "Log in first."
    if is_manager(user):
        return None
    holder = reply_holder(reply)
    if holder is not None and holder.pk != user.pk:
        return f"{holder.get_username()} already has this reply; a manager can move it."
    return None
