"""The sandbox's world, stored on the `sandbox` database alias (see router.py).

Simulated times are plain floats (seconds since the Unix epoch, simulated): the
advance loop reads and writes hundreds of thousands of them in bulk, and floats
keep that SQL simple and fast on SQLite and PostgreSQL alike.
"""

import secrets

from django.db import models

# Lead.kind: what the lead's next event is. Only leads with a due event are indexed.
IDLE, SEND, REPLY = 0, 1, 2

LEAD_ACTIVE, LEAD_DONE, LEAD_REPLIED, LEAD_BOUNCED, LEAD_SUPPRESSED = (
    "active",
    "done",
    "replied",
    "bounced",
    "suppressed",
)


def new_id(prefix: str) -> str:
    # Opaque, ULID-like: clients must never parse them.
    return prefix + secrets.token_hex(8).upper()


class Control(models.Model):
    """The one row that holds the clock and run-time switches (faults, shapes, rates)."""

    sim_epoch = models.FloatField()  # simulated time at real_epoch
    real_epoch = models.FloatField()
    seconds_per_day = models.FloatField(null=True)  # None: settings.SANDBOX_SECONDS_PER_DAY; 0: frozen
    faults = models.JSONField(default=dict)
    script = models.JSONField(default=list)  # faults for the next requests, consumed in order
    shapes = models.JSONField(default=dict)
    rates = models.JSONField(default=dict)
    rate_limit_rps = models.FloatField(null=True)  # None: settings.SANDBOX_RATE_LIMIT_RPS


class Workspace(models.Model):
    api_key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, default="Sandbox workspace")
    seed = models.BigIntegerField(default=7)
    deleted = models.BooleanField(default=False)  # its key then answers 404 workspace_not_found
    advanced_to = models.FloatField()  # the world is simulated up to this instant
    created_at = models.FloatField()


class Pool(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="pools")
    public_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    daily_capacity = models.PositiveIntegerField()
    window_day = models.BigIntegerField(default=-1)  # the simulated day the counters below belong to
    day_limit = models.PositiveIntegerField(default=0)  # capacity × share of active senders, for window_day
    sent_in_window = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]


class Sender(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="senders")
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="senders")
    public_id = models.CharField(max_length=40, unique=True)
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20)  # active | warming | paused
    active_at = models.FloatField(null=True)  # a warming sender turns active at this simulated time

    class Meta:
        ordering = ["id"]


class Campaign(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    public_id = models.CharField(max_length=40, unique=True)
    number = models.PositiveIntegerField(default=0)  # 1, 2, … within the workspace: feeds the dice
    name = models.CharField(max_length=500)
    status = models.CharField(max_length=20, default="draft")
    steps = models.JSONField(default=list)  # [{subject, bodyHtml, delayDays}]
    created_at = models.FloatField()
    started_at = models.FloatField(null=True)
    paused_at = models.FloatField(null=True)
    # Counters, bumped in bulk by the advance loop: stats never scan leads for them.
    enrolled = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]


class Lead(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="leads")
    email = models.CharField(max_length=254)  # lower-cased: the upsert key
    # Outcomes are hashed from this (email × campaign number), never from the row id, so the
    # same seed gives the same world after any reset.
    dice = models.BigIntegerField(default=0)
    fields = models.JSONField(default=dict)  # every key the client sent, customFields included
    state = models.CharField(max_length=12, default=LEAD_ACTIVE)
    step = models.PositiveSmallIntegerField(default=0)  # index of the next step to send
    kind = models.PositiveSmallIntegerField(default=IDLE)  # IDLE | SEND | REPLY
    next_due = models.FloatField(null=True)  # when `kind` happens
    held_due = models.FloatField(null=True)  # a SEND held by a pause
    last_sent_at = models.FloatField(null=True)
    reply_class = models.CharField(max_length=20, blank=True)  # drawn at send, received at next_due

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "email"], name="sandbox_lead_unique_email")]
        indexes = [
            # The advance loop's queue: due events of one kind, oldest first.
            models.Index(fields=["workspace", "kind", "next_due"], name="sandbox_lead_due"),
            models.Index(fields=["campaign", "kind", "next_due"], name="sandbox_lead_campaign_due"),
            models.Index(fields=["campaign", "held_due"], name="sandbox_lead_held"),
        ]


class Suppression(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    email = models.CharField(max_length=254)
    reason = models.CharField(max_length=20)  # api | hard_bounce | unsubscribe
    created_at = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "email"], name="sandbox_suppression_unique")]


class Reply(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE)
    public_id = models.CharField(max_length=40, unique=True)
    email = models.CharField(max_length=254)
    classification = models.CharField(max_length=20)
    snippet = models.TextField()
    received_at = models.FloatField()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-received_at", "-id"], name="sandbox_reply_newest"),
            models.Index(fields=["campaign", "-received_at", "-id"], name="sandbox_reply_campaign"),
        ]


class Webhook(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    public_id = models.CharField(max_length=40, unique=True)
    url = models.CharField(max_length=2000)
    events = models.JSONField()
    created_at = models.FloatField()


class Delivery(models.Model):
    """One event for one webhook; retried on the documented schedule, compressed by the clock."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    body = models.TextField()  # the raw JSON, signed as is
    status = models.CharField(max_length=12, default="pending")  # pending | delivered | failed
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.FloatField()  # simulated time
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="sandbox_delivery_due")]


class IdempotentResponse(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    body = models.TextField()
    created_real = models.FloatField()  # replay window is 24 real hours

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="sandbox_idempotency_unique")]


# --- the SDR area (leadterra-api.md §5): SDRs with personal keys, threads, drafts, follow-ups ---


class Sdr(models.Model):
    """A human SDR of the workspace. Their personal key acts for them on the /v1/sdr/ calls."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sdrs")
    public_id = models.CharField(max_length=40, unique=True)
    api_key = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254)
    active = models.BooleanField(default=True)  # an inactive SDR's key answers 401; assigning to it 400
    gmail_email = models.CharField(max_length=254, blank=True)
    health_state = models.CharField(max_length=20, default="active")  # active|needs_reauth|rate_limited|disconnected
    last_synced_at = models.FloatField(null=True)
    last_sync_error = models.TextField(blank=True)
    sends = models.PositiveIntegerField(default=0)  # messages sent through drafts/:id/send: tests count them

    class Meta:
        ordering = ["id"]


class Thread(models.Model):
    """A conversation in one SDR's inbox, opened by assigning a reply to them (a hand-off)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    sdr = models.ForeignKey(Sdr, on_delete=models.CASCADE, related_name="threads")
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="threads")
    public_id = models.CharField(max_length=40, unique=True)
    handoff_id = models.CharField(max_length=40, unique=True)
    gmail_thread_id = models.CharField(max_length=40)
    contact_email = models.CharField(max_length=254)
    contact_name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500)
    status = models.CharField(max_length=20, default="new")
    category = models.CharField(max_length=1, blank=True)  # A | B | C | ""
    priority_score = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict)  # the hand-off's copy of the thread at assignment
    snoozed_until = models.FloatField(null=True)
    superseded = models.BooleanField(default=False)  # a forceForward moved the reply to another SDR
    created_at = models.FloatField()
    last_message_at = models.FloatField()

    class Meta:
        ordering = ["id"]


class Draft(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="drafts")
    public_id = models.CharField(max_length=40, unique=True)
    subject = models.CharField(max_length=500)
    body_text = models.TextField()
    body_html = models.TextField()
    approach = models.CharField(max_length=40)
    confidence = models.FloatField()
    rationale = models.TextField()
    created_at = models.FloatField()


class FollowUp(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="followups")
    public_id = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=12, default="pending")  # pending | completed | skipped
    due_at = models.FloatField()
    reason = models.TextField(blank=True)
    created_at = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="sandbox_followup_due")]
