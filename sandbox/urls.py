"""The sandbox API, mounted under /sandbox/ only when SANDBOX_ENABLED."""

from django.urls import path, re_path

from . import control, sdr, sdr_control, sdr_drafts, sdr_followups, views

urlpatterns = [
    path("v1/sender-pools", views.sender_pools, name="sandbox_sender_pools"),
    path("v1/sender-accounts", views.sender_accounts, name="sandbox_sender_accounts"),
    path("v1/campaigns", views.campaigns, name="sandbox_campaigns"),
    path("v1/campaigns/<str:campaign_id>/leads/bulk", views.leads_bulk, name="sandbox_leads_bulk"),
    path("v1/campaigns/<str:campaign_id>/start", views.start, name="sandbox_start"),
    path("v1/campaigns/<str:campaign_id>/pause", views.pause, name="sandbox_pause"),
    path("v1/campaigns/<str:campaign_id>/stats", views.stats, name="sandbox_stats"),
    path("v1/replies", views.replies, name="sandbox_replies"),
    path("v1/suppression-list", views.suppression_list, name="sandbox_suppression_list"),
    path("v1/webhooks", views.webhooks, name="sandbox_webhooks"),
    path("v1/sdrs", sdr.sdrs, name="sandbox_sdrs"),
    path("v1/replies/<str:reply_id>/assign", sdr.assign, name="sandbox_assign"),
    path("v1/sdr/inbox", sdr.inbox, name="sandbox_sdr_inbox"),
    path("v1/sdr/gmail/status", sdr.gmail_status, name="sandbox_sdr_gmail_status"),
    path("v1/sdr/drafts/generate", sdr_drafts.generate, name="sandbox_sdr_drafts_generate"),
    path("v1/sdr/drafts/<str:draft_id>/send", sdr_drafts.send, name="sandbox_sdr_draft_send"),
    path("v1/sdr/followups/due", sdr_followups.due, name="sandbox_sdr_followups_due"),
    path("v1/sdr/followups/<str:followup_id>/complete", sdr_followups.complete, name="sandbox_sdr_followup_complete"),
    path("v1/sdr/followups/<str:followup_id>/skip", sdr_followups.skip, name="sandbox_sdr_followup_skip"),
    path(
        "v1/sdr/followups/<str:followup_id>/reschedule",
        sdr_followups.reschedule,
        name="sandbox_sdr_followup_reschedule",
    ),
    path(
        "v1/sdr/threads/<str:thread_id>/followup/schedule",
        sdr_followups.schedule,
        name="sandbox_sdr_followup_schedule",
    ),
    re_path(r"^v1/(?P<rest>.*)$", views.not_found, name="sandbox_not_found"),
    path("openapi.json", views.openapi, name="sandbox_openapi"),
    path("_control/state", control.state_view, name="sandbox_control_state"),
    path("_control/faults", control.faults_view, name="sandbox_control_faults"),
    path("_control/shapes", control.shapes_view, name="sandbox_control_shapes"),
    path("_control/clock", control.clock_view, name="sandbox_control_clock"),
    path("_control/rates", control.rates_view, name="sandbox_control_rates"),
    path("_control/rate-limit", control.rate_limit_view, name="sandbox_control_rate_limit"),
    path("_control/reset", control.reset_view, name="sandbox_control_reset"),
    path("_control/workspace", control.workspace_view, name="sandbox_control_workspace"),
    path("_control/leads", control.leads_view, name="sandbox_control_leads"),
    path("_control/deliveries", control.deliveries_view, name="sandbox_control_deliveries"),
    path("_control/sdrs", sdr_control.sdrs_view, name="sandbox_control_sdrs"),
    path("_control/sdrs/<str:sdr_id>/gmail", sdr_control.gmail_view, name="sandbox_control_sdr_gmail"),
    path("_control/threads/<str:thread_id>", sdr_control.thread_view, name="sandbox_control_thread"),
]
