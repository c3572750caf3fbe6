"""/sdr-keys/: managers link each user to a Leadterra SDR and store that SDR's personal key.

The key is write-only here: the field never re-renders it and the page shows only its last
four characters, when and by whom it was saved. The SDR list is read from the local table a
"Refresh SDR list" operation fills; this page never calls Leadterra.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns.services.sdr_keys import sdr_keys_overview, sdr_link_remove, sdr_link_save, sdrs_refresh_enqueue


class SdrKeyForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    sdr_id = forms.CharField(max_length=64, label="Leadterra SDR")
    key = forms.CharField(
        required=False,
        strip=True,
        label="Personal key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the saved key.",
    )


def sdr_keys(request: HttpRequest) -> HttpResponse:
    context = sdr_keys_overview(actor=request.user)  # refuses anyone but a manager, GET included
    status = 200
    if request.method == "POST":
        form = SdrKeyForm(request.POST)
        if form.is_valid():
            user = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"])
            try:
                link = sdr_link_save(
                    user=user, sdr_id=form.cleaned_data["sdr_id"], key=form.cleaned_data["key"], actor=request.user
                )
            except ValueError as refusal:
                messages.error(request, f"{user.get_username()}: {refusal}")
                status = 400
            else:
                messages.success(request, f"{user.get_username()} acts as {link.sdr_name or link.sdr_id}.")
                return redirect("sdr_keys")
        else:
            messages.error(request, "Pick a user and an SDR.")
            status = 400
    return render(request, "sdr_keys/page.html", context, status=status)


@require_POST
def sdr_keys_refresh(request: HttpRequest) -> HttpResponse:
    sdrs_refresh_enqueue(actor=request.user)
    messages.success(request, "Fetching the SDR list from Leadterra; reload in a moment.")
    return redirect("sdr_keys")


@require_POST
def sdr_key_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    sdr_link_remove(user=user, actor=request.user)
    messages.success(request, f"{user.get_username()} is no longer linked to a Leadterra SDR; their key is deleted.")
    return redirect("sdr_keys")
