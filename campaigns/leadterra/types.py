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
