from django.urls import path

from campaigns.views import audit

urlpatterns = [
    path("audit/", audit.audit_log, name="audit_log"),
]
