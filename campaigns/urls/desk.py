from django.urls import path

from campaigns.views import desk

urlpatterns = [
    path("start/", desk.landing, name="landing"),
    path("desk/", desk.desk, name="desk"),
    path("desk/queue/", desk.desk_queue, name="desk_queue"),
    path("desk/<int:pk>/claim/", desk.desk_claim, name="desk_claim"),
    path("desk/<int:pk>/forward/", desk.desk_forward, name="desk_forward"),
    path("desk/<int:pk>/snooze/", desk.desk_snooze, name="desk_snooze"),
    path("desk/<int:pk>/lost/", desk.desk_lost, name="desk_lost"),
    path("desk/speed/", desk.speed, name="desk_speed"),
]
