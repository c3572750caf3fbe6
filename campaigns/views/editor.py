"""The sequence editor: one form, enhanced with HTMX.

- GET  edit/    the page.
- POST change/  add/remove/duplicate/move a step: re-renders the editor from the posted
                state (nothing saved, nothing lost).
- POST check/   while typing: inline messages, timeline, coverage and preview as
                out-of-band fragments; the inputs themselves are never re-rendered.
- POST save/    version-checked save; a conflict or invalid input re-renders the
                author's content untouched.
Without JavaScript the same form posts normally and gets whole pages back.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns import lead_fields, merge_tags
from campaigns.content_checks import step_warnings
from campaigns.editor_state import EditorState, apply_op, state_from_campaign, state_from_post, timeline
from campaigns.email_safe import removed_parts
from campaigns.models import Campaign, Lead
from campaigns.services.campaigns import VersionConflict, campaign_content_save, check_editable, sanitised_content
from campaigns.services.preview import custom_field_names, preview_choice, token_coverage
from campaigns.services.versions import campaign_snapshot, content_hash
from campaigns.views.htmx import toast

LEAD_CHOICES = 50


def _editable(pk: int, actor) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    check_editable(campaign=campaign, actor=actor)  # PermissionDenied (403) saying why
    return campaign


def _step_rows(state, known: set[str]) -> list[dict]:
    days = timeline(state.steps)
    return [
        {
            "step": step,
            "index": i,
            "subject_id": f"step-{i}-subject",
            "body_id": f"step-{i}-body",
            "day": days[i],
            "subject_issues": merge_tags.check_text(step.subject, known),
            "body_issues": merge_tags.check_text(step.body_html, known),
            "warnings": step_warnings(step.subject, step.body_html),
        }
        for i, step in enumerate(state.steps)
    ]


def _context(request: HttpRequest, campaign: Campaign, state: EditorState, **extra) -> dict:
    custom = custom_field_names(campaign)
    known = set(lead_fields.STANDARD_FIELDS) | set(custom)
    steps = state.step_dicts()
    choice = request.POST.get("preview_lead") or request.GET.get("lead") or "worst"
    days = timeline(state.steps)
    # Compared as it would be stored: typing `&` where `&amp;` is saved is no unsaved change.
    saved = content_hash(campaign_snapshot(campaign)) == content_hash(sanitised_content(state.content()))
    return {
        "campaign": campaign,
        "state": state,
        "rows": _step_rows(state, known),
        "days": days,
        "total_days": days[-1] if days else 0,
        "standard_tokens": list(lead_fields.STANDARD_FIELDS),
        "custom_tokens": custom,
        "lead_choices": Lead.objects.filter(campaign=campaign).order_by("pk").values("pk", "email")[:LEAD_CHOICES],
        "preview_lead": choice,
        "preview": preview_choice(campaign, choice, steps),
        "coverage": token_coverage(campaign, steps),
        "is_saved": saved and state.base_version == campaign.version,
        **extra,
    }


def _render_editor(
    request: HttpRequest, campaign: Campaign, state: EditorState, status: int = 200, **extra
) -> HttpResponse:
    template = "campaigns/editor.html#editor" if request.htmx else "campaigns/editor.html"
    return render(request, template, _context(request, campaign, state, **extra), status=status)


def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    try:
        check_editable(campaign=campaign, actor=request.user)
    except PermissionDenied as refusal:  # the page says why, and what is possible instead
        return render(request, "campaigns/locked.html", {"campaign": campaign, "reason": str(refusal)}, status=403)
    return _render_editor(request, campaign, state_from_campaign(campaign))


@require_POST
def editor_change(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _editable(pk, request.user)
    state, focus_index, message = apply_op(state_from_post(request.POST), request.POST.get("op", ""))
    response = _render_editor(request, campaign, state)
    return toast(response, message, "info", _focus_target(request.POST.get("op", ""), focus_index, len(state.steps)))


def _focus_target(op: str, index: int | None, count: int) -> str:
    """Keep keyboard users where they were: on the moved step's button, or the new step."""
    verb = op.partition(":")[0]
    if index is None or count == 0:
        return "add-step"
    if verb in {"add", "duplicate"}:
        return f"step-{index}-subject"
    if verb == "up":
        return f"step-{index}-up" if index > 0 else f"step-{index}-down"
    if verb == "down":
        return f"step-{index}-down" if index < count - 1 else f"step-{index}-up"
    return f"step-{index}-remove"


@require_POST
def editor_check(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _editable(pk, request.user)
    state = state_from_post(request.POST)
    return render(request, "campaigns/editor.html#check", _context(request, campaign, state))


def _removed_note(content: dict) -> str:
    """What the email policy took out of the bodies as typed, so nobody wonders where it went."""
    parts = [
        f"step {i + 1}: {', '.join(removed)}"
        for i, step in enumerate(content["steps"])
        if (removed := removed_parts(step["body_html"]))
    ]
    return f" Removed as unsafe for email ({'; '.join(parts)})." if parts else ""


@require_POST
def editor_save(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _editable(pk, request.user)
    state, was = state_from_post(request.POST), campaign.status
    if not state.is_valid:
        response = _render_editor(request, campaign, state, status=200 if request.htmx else 400)
        return toast(response, "Not saved: fix the fields marked in red.", "error")
    try:
        version = campaign_content_save(
            campaign=campaign, actor=request.user, content=state.content(), base_version=state.base_version
        )
    except VersionConflict as conflict:
        # Keep the author's content; the next Save is a deliberate overwrite of `conflict.current`.
        state.base_version = conflict.current
        response = _render_editor(request, campaign, state, status=200 if request.htmx else 409, conflict=conflict)
        return toast(response, f"Not saved: {conflict.by} saved a newer version meanwhile.", "warning")
    voided = was != campaign.status and campaign.status == Campaign.Status.DRAFT
    note = " It is a draft again and needs a new review." if voided else ""
    message = f"Saved as version {version.number}.{note}" if version else "Nothing to save: no changes."
    removed = _removed_note(state.content())
    level = "warning" if voided or removed else ("success" if version else "info")
    message += removed
    if not request.htmx:  # post/redirect/get for the no-JavaScript form
        messages.add_message(request, messages.WARNING if voided else messages.SUCCESS, message)
        return redirect("campaign_edit", pk=campaign.pk)
    return toast(_render_editor(request, campaign, state_from_campaign(campaign)), message, level)
