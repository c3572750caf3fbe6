"""How views translate a service's refusal, in one place.

Services decide: a role that may not act raises PermissionDenied (Django answers 403), an action
that does not fit the campaign's state or content raises LifecycleError with a sentence. The
`campaign_action` decorator turns the second into a message on the page the person came from,
so no view repeats a try/except or a role check of its own.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.services.transitions import LifecycleError

CampaignView = Callable[[HttpRequest, Campaign], HttpResponse]


def campaign_for(pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("owner", "approved_by", "paused_by", "submitted_by"), pk=pk
    )


def refuse(request: HttpRequest, error: Exception | str, url: str) -> HttpResponse:
    """A clear refusal: the reason as a message on the page at `url`."""
    messages.error(request, str(error))
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def campaign_action(action: str | None = None, *, back_to: str = "campaign_detail"):
    """Wrap a view of one campaign (URL argument `pk`; the view receives the campaign).

    With `action`, the lifecycle service first answers whether this person may take it now
    (PermissionDenied -> 403 on GET as on POST; a state that does not allow it -> back to the
    campaign with the reason). A LifecycleError raised by the view's own service call sends
    the person to `back_to` with the reason.
    """

    def decorate(view: CampaignView) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
            campaign = campaign_for(pk)
            if action:
                try:
                    lifecycle.authorize(action, actor=request.user, campaign=campaign)
                except LifecycleError as error:
                    return refuse(request, error, reverse("campaign_detail", args=[campaign.pk]))
            try:
                return view(request, campaign)
            except LifecycleError as error:
                return refuse(request, error, reverse(back_to, args=[campaign.pk]))

        return wrapper

    return decorate
