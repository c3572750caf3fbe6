from django.urls import path

from campaigns.views import operations as views

urlpatterns = [
    path("operations/", views.operations, name="operations"),
    path("operations/<int:pk>/status/", views.operation_status, name="operation_status"),
    path("operations/<int:pk>/retry/", views.operation_retry_view, name="operation_retry"),
    path("operations/<int:pk>/cancel/", views.operation_cancel_view, name="operation_cancel"),
    path("operations/<int:pk>/settle/", views.operation_settle_view, name="operation_settle"),
]
