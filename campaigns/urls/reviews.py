from django.urls import path

from campaigns.views import launch, reviews
from leadterra_ui.csp import allows_email_preview  # these pages embed an email preview

urlpatterns = [
    path("campaigns/<int:pk>/submit/", reviews.campaign_submit, name="campaign_submit"),
    path("campaigns/<int:pk>/review/", allows_email_preview(reviews.campaign_review), name="campaign_review"),
    path("campaigns/<int:pk>/review/approve/", allows_email_preview(reviews.campaign_approve), name="campaign_approve"),
    path("campaigns/<int:pk>/review/reject/", allows_email_preview(reviews.campaign_reject), name="campaign_reject"),
    path("campaigns/<int:pk>/lifecycle/", reviews.campaign_lifecycle, name="campaign_lifecycle"),
    path("campaigns/<int:pk>/launch/", launch.campaign_launch, name="campaign_launch"),
    path("campaigns/<int:pk>/launch/refresh/", launch.campaign_preflight_refresh, name="campaign_preflight_refresh"),
    path("campaigns/<int:pk>/launch/checks/", launch.campaign_preflight_checks, name="campaign_preflight_checks"),
    path("campaigns/<int:pk>/launch/retry/", launch.campaign_launch_retry, name="campaign_launch_retry"),
    path("campaigns/<int:pk>/pause/", launch.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", launch.campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/guard/", launch.campaign_guard, name="campaign_guard"),
]
