from django.urls import path

from campaigns.views.placeholder import placeholder

urlpatterns = [
    path("suppression/", placeholder("Suppression"), name="suppression"),
]
