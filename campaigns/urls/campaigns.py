from django.urls import path
from django.views.generic import RedirectView

from campaigns.views import campaigns

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="campaign_list"), name="home"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
]
