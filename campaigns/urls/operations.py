from django.urls import path

from campaigns.views.placeholder import placeholder

urlpatterns = [
    path("operations/", placeholder("Operations"), name="operations"),
]
