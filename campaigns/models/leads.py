from django.conf import settings
from django.db import models


class Lead(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for launch"
        ENROLLED = "enrolled", "Enrolled"
        SKIPPED = "skipped", "Skipped (suppressed)"
        REJECTED = "rejected", "Rejected by Leadterra"

    # No index of its own: (campaign, email) and (campaign, id) below lead with it. Every index
    # is paid for on each imported row.
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="leads", db_index=False)
    email = models.CharField(max_length=320, help_text="Normalised: domain lower-cased, IDNA-decoded.")
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    # No index of its own either: every read by status is a campaign's, served by
    # (campaign, status, id) below; on PostgreSQL it was two more indexes (the btree and its
    # LIKE twin) written for every imported lead and never read.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, help_text="Why Leadterra rejected it (422 item message).")
    is_role_address = models.BooleanField(default=False)
    # The database keeps this one honest (a constraint, checked at the apply's commit): the cost
    # is measured in docs/imports.md and is small next to writing the lead's indexes.
    source_import = models.ForeignKey(
        "campaigns.LeadImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "email"], name="uniq_lead_email")]
        indexes = [
            # (campaign, status) alone is a prefix of the third.
            # Keyset pagination of the leads table (WHERE campaign [AND status] ORDER BY id)
            # walks these indexes instead of sorting 100,000 rows per page.
            models.Index(fields=["campaign", "id"], name="lead_campaign_id"),
            models.Index(fields=["campaign", "status", "id"], name="lead_campaign_status_id"),
        ]

    def __str__(self):
        return self.email


class LeadImport(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded (map columns)"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    has_header = models.BooleanField(default=True, help_text="False when the first row already holds data.")
    headers = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True, help_text="Things the uploader should know (mixed encodings).")
    mapping = models.JSONField(default=dict, blank=True, help_text="column index -> field name")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error_report = models.FileField(upload_to="import-reports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Recovery (see docs/imports.md): the worker holding a running import writes heartbeat_at
    # every few seconds; the sweeper resumes one whose holder went quiet, from the checkpoint.
    holder = models.CharField(max_length=40, blank=True, help_text="Which run holds the import (a fresh id per claim).")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last proof of life of the holder.")
    checkpoint_row = models.PositiveIntegerField(default=0, help_text="File row up to which rows are staged.")
    checkpoint_offset = models.BigIntegerField(
        null=True, blank=True, help_text="Where in the decoded text the checkpoint row ends (None: unknown)."
    )
    resumes = models.PositiveSmallIntegerField(default=0)
    lost_at_row = models.PositiveIntegerField(null=True, blank=True, help_text="Where the last lost worker stopped.")
    run_started_at = models.DateTimeField(null=True, blank=True, help_text="When the current holder began.")
    run_started_rows = models.PositiveIntegerField(default=0, help_text="Rows done when the current holder began.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="leadimport_status_beat")]


class LeadImportRow(models.Model):
    """One row of a running import's file, staged (COPY on PostgreSQL, multi-row INSERTs elsewhere).

    Every data row is staged, a refused one with its problem, so a resumed import still
    reports it. Duplicates, suppression and the upsert into the leads are decided by a few
    set-based statements at the end, in one short transaction: a cancelled or failed import
    leaves the leads as they were. Staged rows are deleted when the import ends.
    """

    # No database constraint: its check ran once per staged row at every batch's commit, and
    # staged rows only ever belong to a live import (deleted with it by Django's cascade).
    # No index either: every statement over staged rows reads all of an import's rows (a
    # sequential scan), and the index on (import, row) cost ~15% of staging a large file.
    lead_import = models.ForeignKey(
        LeadImport, on_delete=models.CASCADE, related_name="staged_rows", db_constraint=False, db_index=False
    )
    row_number = models.PositiveIntegerField()
    email = models.TextField(help_text="Normalised; as written in the file (any length) when `problem` is set.")
    first_name = models.CharField(max_length=200, blank=True)  # '' = the row gave no value
    last_name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    custom_fields = models.JSONField(default=dict)
    is_role_address = models.BooleanField(default=False)
    problem = models.TextField(blank=True, help_text="Why the row was refused while reading it ('' = valid).")
    outcome = models.CharField(max_length=12, blank=True, help_text="Set at the end: lead, duplicate, suppressed.")
    first_row = models.PositiveIntegerField(null=True, blank=True, help_text="For a duplicate: the row it repeats.")


class SuppressedEmail(models.Model):
    """Local mirror of Leadterra's suppression list (which cannot be listed or undone)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        REPLY = "reply", "Reply"
        BOUNCE = "bounce", "Bounce"
        IMPORT = "import", "Import"

    email = models.CharField(max_length=320, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    pushed_at = models.DateTimeField(null=True, blank=True, help_text="When Leadterra accepted it.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.email
