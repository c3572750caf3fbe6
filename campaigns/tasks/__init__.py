"""Celery tasks: thin adapters (ids in, one service call out), one module per area.

Every task has an explicit name `campaigns.tasks.<name>` so that the beat schedule
and queued messages do not depend on which module a task lives in.
"""

from .leads import run_import, sweep_imports
from .monitoring import poll_replies, poll_stats, poll_stats_batch
from .operations import prune_call_log, run_operation, sweep_operations
from .pools import refresh_pools
from .sdr import refresh_sdr_inbox
from .system import heartbeat

__all__ = [
    "heartbeat",
    "poll_replies",
    "poll_stats",
    "poll_stats_batch",
    "prune_call_log",
    "refresh_pools",
    "refresh_sdr_inbox",
    "run_import",
    "sweep_imports",
    "run_operation",
    "sweep_operations",
]
