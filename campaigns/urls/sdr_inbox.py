from django.urls import path

from campaigns.views import sdr_inbox, sdr_thread

urlpatterns = [
    path("sdr/inbox/", sdr_inbox.sdr_inbox, name="sdr_inbox"),
    path("sdr/inbox/refresh/", sdr_inbox.sdr_inbox_refresh, name="sdr_inbox_refresh"),
    path(
        "sdr/followups/<str:followup_id>/complete/",
        sdr_inbox.sdr_followup,
        {"action": "complete"},
        name="sdr_followup_complete",
    ),
    path("sdr/followups/<str:followup_id>/skip/", sdr_inbox.sdr_followup, {"action": "skip"}, name="sdr_followup_skip"),
    path(
        "sdr/followups/<str:followup_id>/reschedule/",
        sdr_inbox.sdr_followup,
        {"action": "reschedule"},
        name="sdr_followup_reschedule",
    ),
    path("sdr/threads/<str:thread_id>/", sdr_thread.sdr_thread, name="sdr_thread"),
    path("sdr/threads/<str:thread_id>/drafts/", sdr_thread.sdr_drafts_generate, name="sdr_drafts_generate"),
    path("sdr/threads/<str:thread_id>/drafts/<int:draft_pk>/edit/", sdr_thread.sdr_draft_edit, name="sdr_draft_edit"),
    path("sdr/threads/<str:thread_id>/drafts/<int:draft_pk>/send/", sdr_thread.sdr_draft_send, name="sdr_draft_send"),
    path("sdr/threads/<str:thread_id>/followup/", sdr_thread.sdr_followup_schedule, name="sdr_followup_schedule"),
]
