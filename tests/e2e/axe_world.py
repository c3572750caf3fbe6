"""Every URL name of the dashboard, and how the accessibility test reaches it: a page to visit
(with the objects it needs) or an exclusion with its reason. A URL name in neither fails the test,
so a new page cannot be forgotten."""

from datetime import timedelta

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from campaigns.models import Operation, Reply, WallToken
from tests.e2e.axe_sdr_world import build_sdr_world
from tests.leads_helpers import upload
from tests.lifecycle_support import campaign_in, fresh_pools

# url name -> the world key of the object whose pk it takes (None: no argument).
PAGES = {
    "login": None,
    "campaign_list": None,
    "campaign_create": None,
    "campaign_detail": "running",
    "campaign_edit": "draft",
    "lead_list": "draft",
    "lead_import_upload": "draft",
    "lead_enroll": "running",
    "lead_import_detail": "done_import",
    "lead_import_map": "new_import",
    "suppression": None,
    "pools": None,
    "workspace_plan": None,
    "campaign_review": "in_review",
    "campaign_launch": "approved",
    "campaign_pause": "running",
    "campaign_resume": "paused",
    "replies": None,
    "wall_tokens": None,
    "wall": "token",
    "integration_health": None,
    "sdr_keys": None,
    "operations": None,
    "audit_log": None,
    "desk": None,
    "desk_speed": None,
    "sdr_inbox": None,
    "sdr_thread": "thread",
}

# Fragments that htmx swaps into a page: axe sees them in place (the live-states test).
FRAGMENT = "a fragment swapped into a visited page; checked in place after the swap"
POST_ONLY = "a POST action that redirects; the page it lands on is visited"
EXCLUDED = {
    "home": "a redirect to campaign_list",
    "logout": POST_ONLY,
    "healthz": "plain text for the load balancer, not a page",
    "lead_import_report": "a CSV download",
    "webhook_leadterra": "Leadterra's webhook receiver (HMAC, JSON), not a page",
    "campaign_stats": FRAGMENT,
    "campaign_rows": FRAGMENT,
    "wall_screen": FRAGMENT,
    "campaign_plan": FRAGMENT,
    "campaign_lifecycle": FRAGMENT,
    "operation_status": FRAGMENT,
    "campaign_preflight_checks": FRAGMENT,
    "editor_check": FRAGMENT,
    "editor_change": FRAGMENT,
    "desk_queue": FRAGMENT,
    "landing": "a redirect to the desk (SDRs) or campaign_list (managers)",
    **{
        name: POST_ONLY
        for name in [
            "campaign_duplicate",
            "campaign_archive",
            "editor_save",
            "lead_import_cancel",
            "suppression_push",
            "pools_refresh",
            "campaign_submit",
            "campaign_approve",
            "campaign_reject",
            "campaign_preflight_refresh",
            "campaign_launch_retry",
            "campaign_guard",
            "reply_handled",
            "wall_token_revoke",
            "webhook_register",
            "sdr_keys_refresh",
            "sdr_key_remove",
            "operation_retry",
            "operation_cancel",
            "operation_settle",
            "desk_claim",
            "desk_forward",
            "desk_snooze",
            "desk_lost",
            "sdr_inbox_refresh",
            "sdr_followup_complete",
            "sdr_followup_skip",
            "sdr_followup_reschedule",
            "sdr_drafts_generate",
            "sdr_draft_edit",
            "sdr_draft_send",
            "sdr_followup_schedule",
        ]
    },
}
# Not ours to fix: Django's admin and the embedded fake of Leadterra's API.
FOREIGN_PREFIXES = ("admin/", "sandbox/")


def url_names() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if route.startswith(FOREIGN_PREFIXES):
                continue
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and p.name:
                yield p.name

    return set(walk(get_resolver().url_patterns))


def build_world(sdr, manager) -> dict:
    """One campaign in each state a page cares about, an import at two stages, operations,
    replies and a wall token: enough that every visited page has rows, badges and buttons."""
    from campaigns.services.leads import lead_import_create

    pool = fresh_pools(remaining=640)
    pool.sender_count = 6
    pool.save()
    world = {
        state: campaign_in(state, owner=sdr, approver=manager, name=f"{state.replace('_', ' ').capitalize()} campaign")
        for state in ["draft", "in_review", "approved", "running", "paused", "launch_failed"]
    }
    csv = b"email,first_name,company\nada@example.com,Ada,Engines\nbad-address,Bob,\n"
    world["new_import"] = lead_import_create(campaign=world["draft"], actor=sdr, upload=upload(csv))
    world["done_import"] = lead_import_create(campaign=world["draft"], actor=sdr, upload=upload(csv, "done.csv"))
    world["done_import"].status, world["done_import"].counts = "succeeded", {"imported": 1, "invalid": 1}
    world["done_import"].total_rows = world["done_import"].processed_rows = 2
    world["done_import"].save()
    now = timezone.now()
    for status in ["failed", "retrying", "succeeded", "queued"]:
        Operation.objects.create(
            kind="pause", campaign=world["running"], status=status, attempts=1, last_error="Leadterra had a 503."
        )
    for n, cls in enumerate(["interested", "not_interested", "out_of_office"]):
        Reply.objects.create(
            remote_id=f"rpl_{n}",
            campaign=world["running"],
            email=f"r{n}@example.com",
            classification=cls,
            received_at=now - timedelta(minutes=20 * (n + 1)),
        )
    world["token"] = WallToken.objects.create(label="Sales floor", created_by=manager)
    build_sdr_world(world, sdr, manager)
    return world


def page_url(name: str, world: dict) -> str:
    from django.urls import reverse

    key = PAGES[name]
    if name == "sdr_inbox":  # the SDR's own inbox; a manager opens it by username
        return reverse(name) + f"?sdr={world['inbox_owner']}"
    if key is None:
        return reverse(name)
    obj = world[key]
    if isinstance(obj, str):  # an id Leadterra gave (an SDR thread)
        return reverse(name, args=[obj])
    return reverse(name, args=[obj.token if name == "wall" else obj.pk])
