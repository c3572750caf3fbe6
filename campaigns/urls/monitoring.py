from django.urls import path

from campaigns.views.placeholder import placeholder

urlpatterns = [
    path("replies/", placeholder("Replies"), name="replies"),
]
urlpatterns += [
    path("wall-tokens/", placeholder("Wall"), name="wall_tokens"),
    path("integration/", placeholder("Integration health"), name="integration_health"),
]
