"""The wall: token management for managers, and the public read-only screen for a TV."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from campaigns.models import WallToken
from campaigns.permissions import can, require
from campaigns.services.live import wall_board
from campaigns.services.wall import wall_pause_reasons, wall_token_create, wall_token_revoke, wall_token_seen


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


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


@login_not_required
@never_cache
def wall(request: HttpRequest, token: str) -> HttpResponse:
    found = _live_token(token)
    return render(request, "wall/page.html", _screen_context(found, page=1))


@login_not_required
@never_cache
def wall_screen(request: HttpRequest, token: str) -> HttpResponse:
    found = _live_token(token)
    return render(request, "wall/page.html#screen", _screen_context(found, page=_page_number(request)))


def _screen_context(token: WallToken, *, page: int) -> dict:
    board = wall_board(page=page)
    paused = [row.name for row in board.rows if row.status == "paused"]
    reasons = wall_pause_reasons(paused) if paused else {}
    return {"token": token, "board": board, "reasons": reasons, "refresh": refresh_seconds()}
