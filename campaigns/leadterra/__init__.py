"""The Leadterra client: the only module that speaks HTTP to Leadterra.

Every method returns the dataclasses
in `campaigns.leadterra.types` (re-exported here), parsed from every documented response
variant, and raises a LeadterraError subclass on failure. No other module knows a URL
or a JSON key of Leadterra.

How a call goes: take a token from the shared rate budget (campaigns.ratelimit), send with
connect+read timeouts through this thread's Session, record one ApiCall row, then either
parse the body or turn the answer into a typed error. GETs are retried by our own layer
(campaigns/leadterra/retry.py: bounded backoff with jitter, Retry-After honoured but capped),
each retry an attempt of its own with its token and its log row; POSTs never are: a write
is retried only by the outbox, which knows how to make the retry safe.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import quote

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from campaigns import ratelimit
from campaigns.leadterra import parse, parse_sdr, retry
from campaigns.leadterra.sdr import SdrCalls
from campaigns.leadterra.types import (
    AlreadyAssigned,
    AuthFailed,
    CampaignData,
    CampaignStateData,
    Conflict,
    DraftData,
    DraftsResult,
    EnrollResult,
    FollowUpData,
    GmailStatusData,
    GuardrailIssue,
    GuardrailsBlocked,
    GuardrailsData,
    HandoffData,
    IcpFailed,
    InboxPage,
    Invalid,
    LeadterraError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RepliesPage,
    ReplyData,
    SdrData,
    SenderAccountData,
    SenderPoolData,
    SentData,
    StatsData,
    StepData,
    SuppressResult,
    ThreadData,
    Transient,
    WebhookData,
)

logger = logging.getLogger(__name__)

__all__ = [
    "AlreadyAssigned",
    "AuthFailed",
    "CampaignData",
    "CampaignStateData",
    "Conflict",
    "DraftData",
    "DraftsResult",
    "EnrollResult",
    "FollowUpData",
    "GmailStatusData",
    "GuardrailIssue",
    "GuardrailsBlocked",
    "GuardrailsData",
    "HandoffData",
    "IcpFailed",
    "InboxPage",
    "Invalid",
    "LeadterraClient",
    "LeadterraError",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "RepliesPage",
    "ReplyData",
    "SdrData",
    "SenderAccountData",
    "SenderPoolData",
    "SentData",
    "StatsData",
    "StepData",
    "SuppressResult",
    "ThreadData",
    "Transient",
    "WebhookData",
    "get_client",
]

USER_AGENT = f"leadterra-ops/{getattr(settings, 'APP_VERSION', '0')} (+internal dashboard)"
RETRY_AFTER_CAP = retry.RETRY_AFTER_CAP  # a GET waits at most this long in-line; longer waits go back to the outbox


_local = threading.local()


def _session() -> requests.Session:
    """One Session per thread: Sessions are not documented as thread-safe."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        # No retries down here: campaigns/leadterra/retry.py retries, one token and one log row an attempt.
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=4)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        _local.session = session
    return session


def _record(endpoint: str, status: int | None, started: float, error_code: str = "") -> None:
    """One cheap INSERT per call; the call log must never break the call itself."""
    from campaigns.models import ApiCall

    try:
        ApiCall.objects.create(
            endpoint=endpoint[:80],
            status_code=status,
            latency_ms=int((time.monotonic() - started) * 1000),
            error_code=error_code[:60],
        )
    except Exception as exc:  # e.g. the database is busy: lose one log row, not the call
        logger.warning("call log not written for %s: %s", endpoint, exc.__class__.__name__)


class LeadterraClient(SdrCalls):
    """One per thread. Base URL, key and timeouts come from settings at call time.

    SDR-scoped calls (campaigns/leadterra/sdr.py) take the SDR's personal key as `api_key`
    on each call, so no client ever holds a key and every call says whom it acts for."""

    def _call(
        self, method: str, template: str, path: str, *, json=None, params=None, headers=None, api_key=None, send=False
    ):
        """`api_key`: an SDR's personal key instead of LEADTERRA_API_KEY. `send`: the call is not
        idempotent, so a lost answer raises OutcomeUnknown instead of Transient (never retried)."""
        url = settings.LEADTERRA_API_BASE.rstrip("/") + path
        key = api_key or settings.LEADTERRA_API_KEY
        request = {"json": json, "params": params, "headers": {"Authorization": f"Bearer {key}", **(headers or {})}}
        endpoint = f"{method} {template}"
        retries = retry.Retries(method)
        while True:
            response, wait = self._attempt(method, url, endpoint, request, retries, api_key=api_key, send=send)
            if response is not None:
                break
            retry.sleep(wait)
        try:
            return parse.body(response, endpoint)
        except Transient:
            if send:  # a success we cannot read: it went out, but we do not know as what
                raise _unknown(endpoint, "the success answer was unreadable") from None
            raise

    def _attempt(self, method, url, endpoint, request, retries, *, api_key, send):
        """One HTTP attempt: a token from the shared budget, one call-log row. Returns (response,
        None) on success, (None, wait) when `retries` allows another attempt, else raises."""
        _take_token()
        timeout = (settings.LEADTERRA_CONNECT_TIMEOUT, settings.LEADTERRA_READ_TIMEOUT)
        started = time.monotonic()
        try:
            response = _session().request(method, url, timeout=timeout, **request)
        except requests.RequestException as exc:
            _record(endpoint, None, started, "timeout" if isinstance(exc, requests.Timeout) else "connection_error")
            wait = retries.after_error()
            if wait is None:
                raise _no_answer(exc, endpoint, send) from None
            return None, wait
        if response.status_code < 400:
            _record(endpoint, response.status_code, started)
            return response, None
        error = _error(response, endpoint, api_key)
        _record(endpoint, response.status_code, started, error.code)
        if isinstance(error, RateLimited):
            ratelimit.penalize(error.retry_after)
        wait = retries.after_status(response.status_code, response.headers)
        if wait is not None:
            return None, wait
        if send and response.status_code == 504:  # a gateway gave up waiting: it may have gone out
            raise _unknown(endpoint, "a gateway timed out (504)")
        raise error

    def list_sender_pools(self) -> list[SenderPoolData]:
        body = self._call("GET", "/v1/sender-pools", "/v1/sender-pools")
        return [parse.pool(item) for item in parse.items(body, ("pools", "senderPools", "data"), "sender pools")]

    def list_sender_accounts(self) -> list[SenderAccountData]:
        body = self._call("GET", "/v1/sender-accounts", "/v1/sender-accounts")
        return [
            parse.account(item) for item in parse.items(body, ("data", "senderAccounts", "accounts"), "sender accounts")
        ]

    def create_campaign(self, *, name: str, steps: list[StepData], idempotency_key: str) -> CampaignData:
        payload = {
            "name": name,
            "sequenceSteps": [
                {"subject": s.subject, "bodyHtml": s.body_html, "delayDays": s.delay_days} for s in steps
            ],
        }
        body = self._call(
            "POST", "/v1/campaigns", "/v1/campaigns", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        return parse.campaign(parse.unwrap(body, "campaign"))

    def enroll_leads(self, campaign_id: str, leads: list[dict], *, idempotency_key: str | None = None) -> EnrollResult:
        """`leads` are Leadterra lead dicts, built by merge_tags.lead_payload()."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        path = f"/v1/campaigns/{quote(campaign_id, safe='')}/leads/bulk"
        body = self._call("POST", "/v1/campaigns/:id/leads/bulk", path, json={"leads": leads}, headers=headers)
        return parse.enroll(body)

    def start_campaign(self, campaign_id: str) -> CampaignStateData:
        path = f"/v1/campaigns/{quote(campaign_id, safe='')}/start"
        body = self._call("POST", "/v1/campaigns/:id/start", path, json={})
        return parse.state(parse.unwrap(body, "campaign"), campaign_id, "running", "startedAt")

    def pause_campaign(self, campaign_id: str) -> CampaignStateData:
        path = f"/v1/campaigns/{quote(campaign_id, safe='')}/pause"
        body = self._call("POST", "/v1/campaigns/:id/pause", path, json={})
        return parse.state(parse.unwrap(body, "campaign"), campaign_id, "paused", "pausedAt")

    def get_stats(self, campaign_id: str) -> StatsData:
        path = f"/v1/campaigns/{quote(campaign_id, safe='')}/stats"
        body = self._call("GET", "/v1/campaigns/:id/stats", path)
        return parse.stats(parse.unwrap(body, "stats"), campaign_id)

    def list_replies(self, *, campaign_id: str | None = None, page: int = 1, per_page: int = 50) -> RepliesPage:
        params = {"page": page, "perPage": per_page}
        if campaign_id:
            params["campaignId"] = campaign_id
        body = self._call("GET", "/v1/replies", "/v1/replies", params=params)
        return parse.replies(body, page, per_page)

    def suppress(self, emails: list[str]) -> SuppressResult:
        if len(emails) > 1000:
            raise ValueError("Leadterra takes at most 1,000 emails a request; send chunks.")
        body = self._call("POST", "/v1/suppression-list", "/v1/suppression-list", json={"emails": emails})
        return parse.suppression(body)

    def register_webhook(self, *, url: str, events: list[str]) -> WebhookData:
        body = self._call("POST", "/v1/webhooks", "/v1/webhooks", json={"url": url, "events": list(events)})
        return parse.webhook(parse.unwrap(body, "webhook"))


def _error(response, endpoint: str, api_key: str | None) -> LeadterraError:
    if "/v1/sdr" in endpoint or "/assign" in endpoint:
        error = parse_sdr.error_for(response, endpoint, sdr_key=bool(api_key))
    else:
        error = parse.error_for(response, endpoint)
    if api_key and api_key in error.message:  # an SDR's key never reaches a log or a page
        error.message = error.message.replace(api_key, "[redacted]")
        error.args = (error.message,)
    return error


def _take_token() -> None:
    try:
        ratelimit.acquire()
    except ratelimit.BudgetExhausted as exc:
        raise RateLimited(
            "The shared Leadterra rate budget is exhausted; the call will be retried shortly.",
            retry_after=exc.retry_after,
            code="local_rate_budget",
            status=None,
        ) from None


def _no_answer(exc: requests.RequestException, endpoint: str, send: bool) -> LeadterraError:
    """The error for an attempt that got no answer (and will not be tried again)."""
    if isinstance(exc, requests.Timeout):
        if send and not isinstance(exc, requests.ConnectTimeout):
            return _unknown(endpoint, "no answer in time")
        return Transient(
            f"Leadterra did not answer {endpoint} in time ({exc.__class__.__name__}); it will be retried.",
            code="timeout",
        )
    if send and not _never_sent(exc):
        return _unknown(endpoint, f"the connection broke ({exc.__class__.__name__})")
    return Transient(
        f"Could not reach Leadterra for {endpoint} ({exc.__class__.__name__}); it will be retried.",
        code="connection_error",
    )


def _never_sent(exc: requests.RequestException) -> bool:
    """A connection that was never made (refused, no such host) sent nothing: safe to retry."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _unknown(endpoint: str, what: str) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"Leadterra may or may not have sent it: {what} on {endpoint}. "
        "Outcome unknown — check the thread before sending again.",
        code="outcome_unknown",
    )


def get_client() -> LeadterraClient:
    """The thread's client (it holds no state of its own; the Session is per thread)."""
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = LeadterraClient()
    return client
