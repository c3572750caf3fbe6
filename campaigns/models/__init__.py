"""The product's data, one module per area."""

from .audit import AuditEvent
from .campaign import Campaign, CampaignVersion, SequenceStep
from .leads import Lead, LeadImport, LeadImportRow, SuppressedEmail
from .monitoring import Reply, StatsSnapshot, SyncState, WallToken, WebhookEvent
from .operations import ApiCall, Operation
from .pools import PoolSnapshot, SenderAccount, SenderPool
from .sdr import LeadterraSdr, ReplyHandoff, SdrLink
from .sdr_inbox import SdrDraft, SdrFollowUp, SdrInbox, SdrThread

__all__ = [
    "ApiCall",
    "AuditEvent",
    "Campaign",
    "CampaignVersion",
    "Lead",
    "LeadterraSdr",
    "LeadImport",
    "LeadImportRow",
    "Operation",
    "PoolSnapshot",
    "Reply",
    "ReplyHandoff",
    "SdrDraft",
    "SdrFollowUp",
    "SdrInbox",
    "SdrLink",
    "SdrThread",
    "SenderAccount",
    "SenderPool",
    "SequenceStep",
    "StatsSnapshot",
    "SuppressedEmail",
    "SyncState",
    "WallToken",
    "WebhookEvent",
]
