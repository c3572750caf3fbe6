"""The product's URLs plus the baseline: a bare view behind the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from leadterra_ui.urls import urlpatterns as product


def bare(request: HttpRequest) -> HttpResponse:
    """What any page costs before its own work: middleware, session, user, a tiny body."""
    return HttpResponse(f"<p>{request.user.get_username()}</p>")


urlpatterns = [path("_bench/bare/", bare, name="bench_bare"), *product]
