"""The dashboard's URLs, one module per area (each owns its own patterns)."""

from django.urls import include, path

urlpatterns = [
    path("", include("campaigns.urls.campaigns")),
    path("", include("campaigns.urls.leads")),
    path("", include("campaigns.urls.pools")),
    path("", include("campaigns.urls.reviews")),
    path("", include("campaigns.urls.monitoring")),
    path("", include("campaigns.urls.operations")),
    path("", include("campaigns.urls.audit")),
    path("", include("campaigns.urls.sdr_inbox")),
    path("", include("campaigns.urls.desk")),
]
