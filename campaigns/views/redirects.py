"""The one way to follow a redirect target taken from user input (`next`)."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

MAX_NEXT_LENGTH = 2000  # a page of ours never needs more; longer is noise or an attack


def safe_next(request, target: str | None) -> str | None:
    """`target` when it points into this site over the request's own scheme, else None.

    Django's check refuses other hosts, scheme-relative `//host`, `javascript:` and the
    backslash tricks browsers read as `//`."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    hosts = {request.get_host()}
    ours = url_has_allowed_host_and_scheme(target, allowed_hosts=hosts, require_https=request.is_secure())
    return target if ours else None


def redirect_back(request, default: str, *args, **kwargs):
    """Redirect to the `next` the form posted (or the query carried) if it is ours, else to `default`
    (a URL name with its arguments, as for `redirect`)."""
    target = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    return redirect(target) if target else redirect(default, *args, **kwargs)
