from django.urls import path

from campaigns.views import live, monitoring, sdr_keys, wall

urlpatterns = [
    path("replies/", monitoring.replies, name="replies"),
    path("replies/<int:pk>/handled/", monitoring.reply_handled, name="reply_handled"),
    path("campaigns/<int:pk>/live/stats/", live.campaign_stats, name="campaign_stats"),
    path("campaigns/live/rows/", live.campaign_rows, name="campaign_rows"),
    path("wall-tokens/", wall.wall_tokens, name="wall_tokens"),
    path("wall-tokens/<int:pk>/revoke/", wall.wall_token_revoke_view, name="wall_token_revoke"),
    path("wall/<str:token>/", wall.wall, name="wall"),
    path("wall/<str:token>/screen/", wall.wall_screen, name="wall_screen"),
    path("integration/", monitoring.integration_health, name="integration_health"),
    path("integration/webhook/", monitoring.webhook_register, name="webhook_register"),
    path("sdr-keys/", sdr_keys.sdr_keys, name="sdr_keys"),
    path("sdr-keys/refresh/", sdr_keys.sdr_keys_refresh, name="sdr_keys_refresh"),
    path("sdr-keys/<int:user_id>/remove/", sdr_keys.sdr_key_remove, name="sdr_key_remove"),
    path("webhooks/leadterra", monitoring.webhook_leadterra, name="webhook_leadterra"),
]
