from django.urls import path

from campaigns.views.placeholder import placeholder

urlpatterns = [
    path("audit/", placeholder("Audit"), name="audit_log"),
]
