"""The SDR desk: the queue page, its live partial (304 when unchanged), the four actions,
speed to lead for managers, and the landing that sends SDRs to the desk after login."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_POST

from campaigns.models import Reply
from campaigns.permissions import is_manager
from campaigns.services.desk import desk_etag, desk_read
from campaigns.services.desk_actions import DeskRefusal, reply_claim, reply_forward, reply_lose, reply_snooze
from campaigns.services.speed import speed_board
from campaigns.views.desk_forms import ForwardForm, LostForm, SnoozeForm, VersionedForm, first_error

POLL_SECONDS = 1  # a reply that arrives shows within two seconds; unchanged polls answer 304


def landing(request: HttpRequest) -> HttpResponse:
    """After login: SDRs work from the desk, managers keep the campaign list."""
    return redirect("campaign_list" if is_manager(request.user) else "desk")


def _context(request: HttpRequest) -> dict:
    return {
        "desk": desk_read(user=request.user),
        "etag": desk_etag(user=request.user),
        "poll": POLL_SECONDS,
        # No ids: the forms repeat on every card, and the labels wrap their fields.
        "forward_form": ForwardForm(auto_id=False),
        "snooze_form": SnoozeForm(auto_id=False),
        "lost_form": LostForm(auto_id=False),
        "manager": is_manager(request.user),
    }


def desk(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/page.html", _context(request))


def _etag(request: HttpRequest) -> str:
    return desk_etag(user=request.user)


@cache_control(private=True, no_cache=True)
@condition(etag_func=_etag)
def desk_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/page.html#queue", _context(request))


def _act(request: HttpRequest, form, action) -> HttpResponse:
    """Run `action(form)` if the form is valid; every refusal is a message on the desk."""
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("desk")
    try:
        said = action(form.cleaned_data)
    except DeskRefusal as refusal:
        messages.error(request, str(refusal))
    except ValueError as refusal:  # the hand-off's own refusals (no SDR key, a bad category)
        messages.error(request, str(refusal))
    else:
        messages.success(request, said)
    return redirect("desk")


def _reply(pk: int) -> Reply:
    return get_object_or_404(Reply, pk=pk)


@require_POST
def desk_claim(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _reply(pk)

    def claim(data):
        reply_claim(reply_pk=reply.pk, actor=request.user, version=data["version"])
        return f"The reply from {reply.email} is yours: answer it now."

    return _act(request, VersionedForm(request.POST), claim)


@require_POST
def desk_forward(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _reply(pk)

    def forward(data):
        reply_forward(
            reply_pk=reply.pk,
            actor=request.user,
            version=data["version"],
            sdr_user=data["sdr"],
            category=data["category"] or None,
            note=data["note"],
            seniority=data["seniority"],
            employee_count=data["employee_count"],
            force_forward=data["force_forward"],
        )
        return f"Handing the reply from {reply.email} to {data['sdr'].get_username()}: Leadterra's answer shows here."

    return _act(request, ForwardForm(request.POST), forward)


@require_POST
def desk_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _reply(pk)
    form = SnoozeForm(request.POST)

    def snooze(data):
        done = reply_snooze(reply_pk=reply.pk, actor=request.user, version=data["version"], until=form.until())
        return f"Snoozed until {done.snoozed_until:%a %H:%M}; it comes back to the queue then."

    return _act(request, form, snooze)


@require_POST
def desk_lost(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _reply(pk)

    def lose(data):
        version, reason, note = data["version"], data["reason"], data["note"]
        reply_lose(reply_pk=reply.pk, actor=request.user, version=version, reason=reason, note=note)
        return f"The lead {reply.email} is marked lost."

    return _act(request, LostForm(request.POST), lose)


def speed(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/speed.html", {"board": speed_board(actor=request.user)})
