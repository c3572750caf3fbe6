"""The Leadterra client: the only module that speaks HTTP to Leadterra.

CONTRACT (other areas code against these names; the client/outbox work implements them):
every method returns the dataclasses below, parsed from every documented response
variant, and raises a LeadterraError subclass on failure. No other module knows a URL
or a JSON key of Leadterra.
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


class LeadterraClient:
    """One per process (or thread). Base URL and key come from settings."""

    def list_sender_pools(self) -> list[SenderPoolData]:
        raise NotImplementedError

    def list_sender_accounts(self) -> list[SenderAccountData]:
        raise NotImplementedError

    def create_campaign(self, *, name: str, steps: list[StepData], idempotency_key: str) -> CampaignData:
        raise NotImplementedError

    def enroll_leads(self, campaign_id: str, leads: list[dict], *, idempotency_key: str | None = None) -> EnrollResult:
        """`leads` are Leadterra lead dicts, built by merge_tags.lead_payload()."""
        raise NotImplementedError

    def start_campaign(self, campaign_id: str) -> CampaignStateData:
        raise NotImplementedError

    def pause_campaign(self, campaign_id: str) -> CampaignStateData:
        raise NotImplementedError

    def get_stats(self, campaign_id: str) -> StatsData:
        raise NotImplementedError

    def list_replies(self, *, campaign_id: str | None = None, page: int = 1, per_page: int = 50) -> RepliesPage:
        raise NotImplementedError

    def suppress(self, emails: list[str]) -> SuppressResult:
        raise NotImplementedError

    def register_webhook(self, *, url: str, events: list[str]) -> WebhookData:
        raise NotImplementedError


def get_client() -> LeadterraClient:
    """The process's (or thread's) client."""
    return LeadterraClient()
