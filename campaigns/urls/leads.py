from django.urls import path

from campaigns.views import leads, suppression

urlpatterns = [
    path("campaigns/<int:pk>/leads/", leads.lead_list, name="lead_list"),
    path("campaigns/<int:pk>/leads/import/", leads.lead_import_upload, name="lead_import_upload"),
    path("campaigns/<int:pk>/leads/enroll/", leads.lead_enroll, name="lead_enroll"),
    path("imports/<int:pk>/", leads.lead_import_detail, name="lead_import_detail"),
    path("imports/<int:pk>/map/", leads.lead_import_map, name="lead_import_map"),
    path("imports/<int:pk>/cancel/", leads.lead_import_cancel_view, name="lead_import_cancel"),
    path("imports/<int:pk>/problems.csv", leads.lead_import_report, name="lead_import_report"),
    path("suppression/", suppression.suppression, name="suppression"),
    path("suppression/push/", suppression.suppression_push, name="suppression_push"),
]
