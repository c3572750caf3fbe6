from django.urls import path

from campaigns.views.placeholder import placeholder

urlpatterns = [
    path("pools/", placeholder("Pools"), name="pools"),
]
