from django import forms
from django.shortcuts import get_object_or_404, redirect, render

from campaigns.models import Campaign
from campaigns.services.campaigns import campaign_create as create_campaign


class CampaignCreateForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)


def campaign_list(request):
    campaigns = Campaign.objects.exclude(status=Campaign.Status.ARCHIVED).select_related("owner")
    return render(request, "campaigns/list.html", {"campaigns": campaigns})


def campaign_create(request):
    form = CampaignCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = create_campaign(owner=request.user, name=form.cleaned_data["name"])
        return redirect("campaign_detail", pk=campaign.pk)
    return render(request, "campaigns/create.html", {"form": form})


def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    return render(request, "campaigns/detail.html", {"campaign": campaign})
