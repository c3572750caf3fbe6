"""Who may do what. Views and services call these; hiding a button is never enough.

Roles are Django groups: SDR and Manager. Managers hold the custom permissions
declared on Campaign.Meta; everyone logged in may browse.
"""

from django.contrib.auth.models import Group, Permission

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


def can_edit_draft(user, campaign) -> bool:
    """Authors edit their own drafts; managers edit any draft; nobody edits a launched one."""
    if campaign.is_launched or campaign.status == campaign.Status.ARCHIVED:
        return False
    return campaign.owner_id == user.pk or is_manager(user)


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
