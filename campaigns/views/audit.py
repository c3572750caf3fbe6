"""The global audit trail: filterable by action, actor, campaign and date; read-only."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.models import AuditEvent, Campaign

PER_PAGE = 50


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    actor = forms.ChoiceField(required=False)
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("name"), required=False, empty_label="Any")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
        self.fields["action"].choices = [("", "Any")] + [(a, a) for a in actions]
        users = get_user_model().objects.order_by("username").values_list("pk", "username")
        self.fields["actor"].choices = [("", "Anyone"), ("system", "the system")] + [(str(pk), n) for pk, n in users]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filter(self, events):
        data = self.cleaned_data
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("actor") == "system":
            events = events.filter(actor__isnull=True)
        elif data.get("actor"):
            events = events.filter(actor_id=data["actor"])
        if data.get("campaign"):
            events = events.filter(campaign=data["campaign"])
        if data.get("since"):
            events = events.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(created_at__date__lte=data["until"])
        return events


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor", "campaign")
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "audit/log.html#results" if request.htmx else "audit/log.html"
    return render(request, template, context)
