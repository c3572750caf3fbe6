"""Which operations need a person: the Operations page opens on these, routine work is one tab away."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from campaigns.models import Operation

# Queued or running with no change for this long is stuck, not routine: the worker or the broker is away.
WAITING_LONG = timedelta(minutes=5)
NEEDS_ATTENTION = "attention"
ALL = "all"
VIEWS = (NEEDS_ATTENTION, ALL)


def needs_attention_q(now=None) -> Q:
    """Failed, retrying, outcome unknown, or queued/running without a change for `WAITING_LONG`."""
    Status = Operation.Status
    waiting_since = (now or timezone.now()) - WAITING_LONG
    return Q(status__in=[Status.FAILED, Status.RETRYING, Status.OUTCOME_UNKNOWN]) | Q(
        status__in=[Status.QUEUED, Status.RUNNING], updated_at__lte=waiting_since
    )


def operations_view(ops: QuerySet, view: str) -> tuple[QuerySet, dict[str, int]]:
    """`ops` narrowed to the chosen view (an unknown name means needs attention), and each view's count."""
    attention = ops.filter(needs_attention_q())
    counts = {NEEDS_ATTENTION: attention.count(), ALL: ops.count()}
    return (ops if view == ALL else attention), counts
