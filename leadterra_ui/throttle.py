"""Hooks for django-axes (login throttling): whose address a request is, and the lockout page."""

import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


def client_ip(request) -> str | None:
    """Behind our TLS proxy every request comes from the proxy: the client is the address the
    proxy appended last to X-Forwarded-For (earlier entries are whatever the client sent)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        "Too many failed sign-ins for this account or address; "
        f"try again in {minutes} minutes or ask a manager to unlock it."
    )


def lockout_response(request, response=None, credentials=None):
    """The login page again, with the reason, answered 429 (never the password back)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)
