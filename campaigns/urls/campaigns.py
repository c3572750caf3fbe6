from django.urls import path
from django.views.generic import RedirectView

from campaigns.views import campaigns, editor
from leadterra_ui.csp import allows_email_preview  # these pages embed an email preview

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="campaign_list"), name="home"),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", allows_email_preview(campaigns.campaign_detail), name="campaign_detail"),
    path("campaigns/<int:pk>/duplicate/", campaigns.campaign_duplicate, name="campaign_duplicate"),
    path("campaigns/<int:pk>/archive/", campaigns.campaign_archive, name="campaign_archive"),
    path("campaigns/<int:pk>/edit/", allows_email_preview(editor.campaign_edit), name="campaign_edit"),
    path("campaigns/<int:pk>/edit/change/", allows_email_preview(editor.editor_change), name="editor_change"),
    path("campaigns/<int:pk>/edit/check/", editor.editor_check, name="editor_check"),
    path("campaigns/<int:pk>/edit/save/", allows_email_preview(editor.editor_save), name="editor_save"),
]
