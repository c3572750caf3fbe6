"""The wall: token management for managers, and the public read-only screen for a TV."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import condition, require_POST

from campaigns.models import WallToken
from campaigns.permissions import can, require
from campaigns.services.desk import sla_seconds
from campaigns.services.wall import wall_token_create, wall_token_revoke, wall_token_seen
from campaigns.services.wall_screen import WallVersion, wall_board, wall_version
from campaigns.views.live import page_number, with_poll_time


def refresh_seconds() -> int:
    """The TV pages through campaigns on every refresh, so it refreshes slower than a desk tab."""
    return getattr(settings, "WALL_REFRESH_SECONDS", 10)


class WallTokenForm(forms.Form):
    label = forms.CharField(max_length=100, strip=True, help_text="Where the screen hangs, e.g. “Sales floor TV”.")


def wall_tokens(request: HttpRequest) -> HttpResponse:
    manage = can(request.user, "manage_wall_tokens")
    form = WallTokenForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "manage_wall_tokens")
        if form.is_valid():
            token = wall_token_create(label=form.cleaned_data["label"], actor=request.user)
            messages.success(request, f"Wall link for “{token.label}” created. Open it on the screen.")
            return redirect("wall_tokens")
    tokens = WallToken.objects.select_related("created_by")
    return render(request, "wall/tokens.html", {"tokens": tokens, "form": form, "manage": manage})


@require_POST
def wall_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "manage_wall_tokens")
    token = get_object_or_404(WallToken, pk=pk)
    wall_token_revoke(token=token, actor=request.user)
    messages.success(request, f"“{token.label}” revoked: that screen goes blank at its next refresh.")
    return redirect("wall_tokens")


def _live_token(token: str) -> WallToken:
    found = WallToken.objects.filter(token=token, revoked_at__isnull=True).first()
    if found is None:
        raise Http404("This wall link is unknown or was revoked.")
    wall_token_seen(token=found)
    return found


@login_not_required
@never_cache
def wall(request: HttpRequest, token: str) -> HttpResponse:
    found = _live_token(token)
    return render(request, "wall/page.html", _screen(found, wall_version(page=1)))


def _screen(token: WallToken, version: WallVersion) -> dict:
    """The board, the waiting panel (it takes its room from the rows) and the SLA its waits
    tick against in the browser."""
    return {
        "token": token,
        "board": wall_board(version),
        "waiting": version.waiting,
        "sla": sla_seconds(),
        "refresh": refresh_seconds(),
    }


def _screen_etag(request: HttpRequest, token: str) -> str:
    """A few small queries of cheap facts (services/wall_screen.py), whatever the number of
    campaigns: an unchanged screen is a 304 before a row is read. Kept for the view, which
    draws a changed one from them. The TV's browser revalidates each page's URL with its ETag."""
    request.wall_token = _live_token(token)
    version = request.wall_version = wall_version(page=page_number(request))
    request.live_updated = version.data_at
    return version.etag(token, request.wall_token.label)


@login_not_required
@with_poll_time
@cache_control(private=True, no_cache=True)
@condition(etag_func=_screen_etag)
def wall_screen(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "wall/page.html#screen", _screen(request.wall_token, request.wall_version))
