"""One SDR thread: the conversation, the lead, drafts to write, edit and send, follow-ups.

Writes go through the outbox; while drafts are being written or an answer sent, the work
area re-renders itself every second and stops once nothing is under way. A refused action
re-renders the page with the reason and the text the SDR typed, so nothing is lost.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from campaigns.answer_text import issue_in_words, scores_in_words
from campaigns.services.sdr_inbox import inbox_state
from campaigns.services.sdr_threads import (
    ThreadRefusal,
    draft_edit_save,
    draft_send,
    drafts_generate_enqueue,
    followup_schedule,
    thread_page,
)
from campaigns.views.htmx import poll_status

TYPED_MAX = 20_000  # longer text is refused anyway; do not echo megabytes back


def _context(request: HttpRequest, thread_id: str) -> dict:
    context = thread_page(actor=request.user, thread_id=thread_id)
    for row in context["drafts"]:
        checks = row["guardrails"]
        if checks:
            row["issues"] = [issue_in_words(i) for i in checks.get("issues", [])]
            row["scores"] = scores_in_words(checks)
    context["state"] = inbox_state(context["owner"])
    return context


@require_GET
def sdr_thread(request: HttpRequest, thread_id: str) -> HttpResponse:
    context = _context(request, thread_id)
    if request.htmx and request.GET.get("part") == "work":
        return render(request, "sdr/thread.html#work", context, status=poll_status(live=context["busy"]))
    return render(request, "sdr/thread.html", context)


def _refused(request: HttpRequest, thread_id: str, refusal: Exception, draft_pk=None, text="") -> HttpResponse:
    """The page again, status 400, with the reason and what the SDR typed kept in its box."""
    context = _context(request, thread_id)
    context["error"] = str(refusal)
    for row in context["drafts"]:
        if draft_pk is not None and str(row["draft"].pk) == str(draft_pk) and len(text) <= TYPED_MAX:
            row["typed"] = text
    context["typed_instructions"] = request.POST.get("instructions", "")[:TYPED_MAX]
    return render(request, "sdr/thread.html", context, status=400)


@require_POST
def sdr_drafts_generate(request: HttpRequest, thread_id: str) -> HttpResponse:
    try:
        drafts_generate_enqueue(
            actor=request.user,
            thread_id=thread_id,
            count=request.POST.get("variants", ""),
            instructions=request.POST.get("instructions", ""),
        )
    except (ValueError, ThreadRefusal) as refusal:
        return _refused(request, thread_id, refusal)
    messages.success(request, "Leadterra is writing the drafts; they appear here in a moment.")
    return redirect("sdr_thread", thread_id)


@require_POST
def sdr_draft_edit(request: HttpRequest, thread_id: str, draft_pk: int) -> HttpResponse:
    text = request.POST.get("text", "")
    try:
        draft_edit_save(actor=request.user, thread_id=thread_id, draft_pk=draft_pk, text=text)
    except (ValueError, ThreadRefusal) as refusal:
        return _refused(request, thread_id, refusal, draft_pk, text)
    messages.success(request, "Edit saved.")
    return redirect("sdr_thread", thread_id)


@require_POST
def sdr_draft_send(request: HttpRequest, thread_id: str, draft_pk: int) -> HttpResponse:
    text = request.POST.get("text", "")
    try:
        draft_send(actor=request.user, thread_id=thread_id, draft_pk=draft_pk, text=text)
    except (ValueError, ThreadRefusal) as refusal:
        return _refused(request, thread_id, refusal, draft_pk, text)
    messages.success(request, "Sending the answer through Leadterra's pre-send checks.")
    return redirect("sdr_thread", thread_id)


@require_POST
def sdr_followup_schedule(request: HttpRequest, thread_id: str) -> HttpResponse:
    try:
        followup_schedule(actor=request.user, thread_id=thread_id, due_date=request.POST.get("due_date", ""))
    except (ValueError, ThreadRefusal) as refusal:
        return _refused(request, thread_id, refusal)
    messages.success(request, "Scheduling the follow-up in Leadterra.")
    return redirect("sdr_thread", thread_id)
