from django.urls import path

from campaigns.views import pools

urlpatterns = [
    path("pools/", pools.pools_page, name="pools"),
    path("pools/refresh/", pools.pools_refresh, name="pools_refresh"),
    path("pools/plan/", pools.workspace_plan_page, name="workspace_plan"),
    path("campaigns/<int:pk>/plan/", pools.campaign_plan_fragment, name="campaign_plan"),
]
