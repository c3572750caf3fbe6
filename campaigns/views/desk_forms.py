"""The desk's forms: each says which field is wrong, in words, and carries the reply's desk version."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.services.desk import assignable_sdrs
from campaigns.services.desk_actions import LOST_REASONS

SNOOZES = {"30m": timedelta(minutes=30), "1h": timedelta(hours=1), "3h": timedelta(hours=3)}
SNOOZE_CHOICES = [("30m", "30 minutes"), ("1h", "1 hour"), ("3h", "3 hours"), ("tomorrow", "Tomorrow 9:00")]
SENIORITY = [("", "—"), ("c_level", "C-level"), ("vp", "VP"), ("director", "Director"), ("manager", "Manager")]
SENIORITY += [("individual", "Individual contributor")]


class VersionedForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput, error_messages={"required": "Reload the desk."})


class ForwardForm(VersionedForm):
    sdr = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        label="To",
        empty_label="Pick an SDR",
        error_messages={"invalid_choice": "Pick an SDR from the list.", "required": "Pick an SDR to hand it to."},
    )
    category = forms.ChoiceField(choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C")], required=False)
    seniority = forms.ChoiceField(choices=SENIORITY, required=False, label="Seniority (ICP)")
    employee_count = forms.IntegerField(
        min_value=1,
        max_value=10_000_000,
        required=False,
        label="Employees (ICP)",
        error_messages={"invalid": "Employees must be a whole number.", "min_value": "Employees must be at least 1."},
    )
    note = forms.CharField(max_length=500, required=False, widget=forms.TextInput(attrs={"size": 40}))
    force_forward = forms.BooleanField(required=False)  # managers only: the service refuses anyone else

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = [link.user_id for link in assignable_sdrs()]
        self.fields["sdr"].queryset = get_user_model().objects.filter(pk__in=users).order_by("username")


class SnoozeForm(VersionedForm):
    for_ = forms.ChoiceField(choices=SNOOZE_CHOICES, label="Snooze for")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["for"] = self.fields.pop("for_")

    def until(self):
        now = timezone.now()
        choice = self.cleaned_data["for"]
        if choice in SNOOZES:
            return now + SNOOZES[choice]
        tomorrow = timezone.localtime(now) + timedelta(days=1)
        return tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)


class LostForm(VersionedForm):
    reason = forms.ChoiceField(
        choices=list(LOST_REASONS.items()), error_messages={"invalid_choice": "Pick a reason from the list."}
    )
    note = forms.CharField(max_length=200, required=False)


def first_error(form: forms.Form) -> str:
    """The first problem, naming the field: 'Employees (ICP): Employees must be a whole number.'"""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields and form.fields[name].label else name.title()
        return f"{label}: {errors[0]}" if name != "__all__" else errors[0]
    return "Check the form."
