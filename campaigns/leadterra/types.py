"""The client's vocabulary: typed errors and the small dataclasses every method returns.

Errors carry Leadterra's `code` string and a `message` a person can act on; neither ever
contains the API key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class LeadterraError(Exception):
    """A failed call. `code` is Leadterra's error code string; `message` is for people."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


class Transient(LeadterraError):
    """Worth retrying: timeouts, dropped connections, 5xx."""


class RateLimited(Transient):
    def __init__(self, message: str, *, retry_after: float, code: str = "rate_limited", status: int | None = 429):
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class AuthFailed(LeadterraError):
    """401: the API key is missing, wrong or revoked."""


class NotFound(LeadterraError):
    """404: workspace_not_found or campaign_not_found."""


class Invalid(LeadterraError):
    """400 or 422. `errors` holds the 422 items: [{"index": i, "field": ..., "message": ...}]."""

    def __init__(self, message: str, *, errors: list[dict] | None = None, code: str = "", status: int | None = None):
        super().__init__(message, code=code, status=status)
        self.errors = errors or []


@dataclass(frozen=True)
class SenderPoolData:
    id: str
    name: str
    daily_capacity: int
    remaining: int
    sender_count: int
    sender_account_ids: tuple[str, ...] = ()
    resets_at: datetime | None = None


@dataclass(frozen=True)
class SenderAccountData:
    id: str
    email: str
    name: str
    status: str  # any string, kept as is


@dataclass(frozen=True)
class StepData:
    subject: str
    body_html: str
    delay_days: int = 0


@dataclass(frozen=True)
class CampaignData:
    id: str
    name: str
    status: str
    created_at: datetime | None = None
    step_count: int | None = None


@dataclass(frozen=True)
class CampaignStateData:
    id: str
    status: str
    at: datetime | None = None  # startedAt / pausedAt


@dataclass(frozen=True)
class EnrollResult:
    enrolled: int
    updated: int
    total: int
    skipped: int = 0


@dataclass(frozen=True)
class StatsData:
    campaign_id: str
    total_enrolled: int
    sent: int
    delivered: int
    bounced: int
    replied: int
    queued: int
    open_rate: float
    reply_rate: float


@dataclass(frozen=True)
class ReplyData:
    id: str
    email: str
    campaign_id: str
    classification: str
    received_at: datetime | None
    snippet: str


@dataclass(frozen=True)
class RepliesPage:
    replies: list[ReplyData] = field(default_factory=list)
    page: int = 1
    per_page: int = 50
    total: int | None = None  # only the paginated envelope says

    @property
    def has_more(self) -> bool:
        if self.total is not None:
            return self.page * self.per_page < self.total
        return len(self.replies) >= self.per_page


@dataclass(frozen=True)
class SuppressResult:
    suppressed: int
    already_suppressed: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class WebhookData:
    id: str
    url: str
    events: tuple[str, ...]
    status: str
    created_at: datetime | None = None


# --- the SDR area (leadterra-api.md §5) ---------------------------------------


class OutcomeUnknown(LeadterraError):
    """A send whose outcome cannot be known: the request may have gone out (a timeout, a dropped
    connection, a gateway timeout, an unreadable success). Sending is not idempotent, so this is
    deliberately not Transient: nobody may resend without checking the thread first."""


class Conflict(LeadterraError):
    """409: the call clashes with the remote state (e.g. the SDR's Gmail is unavailable, a follow-up is closed)."""


class AlreadyAssigned(Conflict):
    """409 on assign: the reply was already forwarded. Says to whom, so a person can see it."""

    def __init__(self, message: str, *, sdr_id: str = "", sdr_name: str = "", sdr_email: str = "", thread_id: str = ""):
        super().__init__(message, code="already_forwarded", status=409)
        self.sdr_id, self.sdr_name, self.sdr_email, self.thread_id = sdr_id, sdr_name, sdr_email, thread_id


class IcpFailed(Invalid):
    """400 with icpFailed: the lead is outside the ideal customer profile. `reasons` when Leadterra gives them."""

    def __init__(self, message: str, *, reasons: list[str] | None = None, code: str = "icp_failed"):
        super().__init__(message, code=code, status=400)
        self.reasons = reasons or []


@dataclass(frozen=True)
class SdrData:
    id: str
    name: str
    email: str
    gmail_connected: bool
    gmail_email: str


@dataclass(frozen=True)
class HandoffData:
    handoff_id: str
    thread_id: str
    message_id: str
    gmail_thread_id: str


@dataclass(frozen=True)
class ThreadData:
    id: str
    contact_email: str
    contact_name: str
    subject: str
    status: str  # any string, kept as is
    category: str  # "A" | "B" | "C" | ""
    priority_score: float
    last_message_at: datetime | None


@dataclass(frozen=True)
class InboxPage:
    threads: list[ThreadData]
    total: int
    has_more: bool


@dataclass(frozen=True)
class DraftData:
    """A drafted answer with its insight (matched by draftId); the insight fields may be empty."""

    id: str
    subject: str
    body_text: str
    body_html: str
    approach: str = ""
    confidence: float | None = None
    rationale: str = ""


@dataclass(frozen=True)
class DraftsResult:
    drafts: list[DraftData]
    applied_rules: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GuardrailIssue:
    code: str
    severity: str  # "block" | "warn" | any other string, or "" when Leadterra sends bare strings
    message: str


@dataclass(frozen=True)
class GuardrailsData:
    blocked: bool
    issues: tuple[GuardrailIssue, ...] = ()
    overall: float | None = None
    readability: float | None = None
    personalization: float | None = None
    link_quality: float | None = None


class GuardrailsBlocked(Invalid):
    """422 on send: the pre-send checks blocked it. Nothing was sent; fix and send again."""

    def __init__(self, message: str, *, guardrails: GuardrailsData, code: str = "guardrails_blocked"):
        super().__init__(message, code=code, status=422)
        self.guardrails = guardrails


@dataclass(frozen=True)
class SentData:
    message_id: str
    guardrails: GuardrailsData | None


@dataclass(frozen=True)
class GmailStatusData:
    connected: bool
    email: str
    health_state: str  # active | needs_reauth | rate_limited | disconnected | any other string
    last_synced_at: datetime | None = None
    last_sync_error: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.health_state != "active" or not self.connected


@dataclass(frozen=True)
class FollowUpData:
    id: str
    status: str
    due_at: datetime | None
    thread_id: str = ""
    sdr_id: str = ""
