"""Operations: the status fragment (polls while active), the Operations page, retry and cancel."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, Operation
from campaigns.permissions import can
from campaigns.services.operation_queries import ALL, NEEDS_ATTENTION, WAITING_LONG, operations_view
from campaigns.services.operations import OperationStateError, operation_cancel, operation_retry, operation_settle
from campaigns.views.htmx import poll_status, toast
from campaigns.views.redirects import redirect_back

PAGE_SIZE = 50


def operation_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment re-renders itself every second; 286 tells htmx to stop once the op ended."""
    op = get_object_or_404(Operation.objects.select_related("campaign"), pk=pk)
    return render(request, "operations/_status.html", {"op": op}, status=poll_status(live=op.is_active))


def operations(request: HttpRequest) -> HttpResponse:
    """Opens on what needs a person; `view=all` shows routine work too. Filters apply within the view."""
    ops = Operation.objects.select_related("campaign", "created_by").order_by("-created_at", "-id")
    filters = {key: request.GET.get(key, "") for key in ("kind", "status", "campaign")}
    if filters["kind"] in Operation.Kind.values:
        ops = ops.filter(kind=filters["kind"])
    if filters["status"] in Operation.Status.values:
        ops = ops.filter(status=filters["status"])
    if filters["campaign"].isdigit():
        ops = ops.filter(campaign_id=int(filters["campaign"]))
    view = ALL if request.GET.get("view") == ALL else NEEDS_ATTENTION
    ops, counts = operations_view(ops, view)
    page = Paginator(ops, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "view": view,
        "view_counts": counts,
        "filter_query": urlencode({key: value for key, value in filters.items() if value}),
        "waiting_long_minutes": int(WAITING_LONG.total_seconds() // 60),
        "kinds": Operation.Kind.choices,
        "statuses": Operation.Status.choices,
        "campaigns": Campaign.objects.filter(operations__isnull=False).distinct().order_by("name")[:300],
        "can_manage": can(request.user, "manage_operations"),
        "any_active": any(op.is_active for op in page.object_list),
    }
    template = "operations/list.html#table" if request.htmx else "operations/list.html"
    return render(request, template, context)


@require_POST
def operation_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, operation_retry, "Queued again: it resumes from its last checkpoint.")


@require_POST
def operation_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, operation_cancel, "Cancelled: it will not be sent again.")


@require_POST
def operation_settle_view(request: HttpRequest, pk: int) -> HttpResponse:
    """After checking the thread: no retry for an unknown outcome, only what really happened."""
    sent = request.POST.get("sent") == "1"
    done = "marked as sent." if sent else "marked as not sent; send it again from the thread if it is still wanted."
    return _act(request, pk, lambda **kw: operation_settle(sent=sent, **kw), done)


def _act(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    op = get_object_or_404(Operation, pk=pk)
    try:
        op = action(operation=op, actor=request.user)
        level, message = "success", f"{op.get_kind_display()} #{op.pk}: {done}"
    except OperationStateError as exc:
        op.refresh_from_db()
        level, message = "error", str(exc)
    if request.htmx:
        return toast(render(request, "operations/_status.html", {"op": op}), message, level)
    getattr(messages, level)(request, message)
    return redirect_back(request, "operations")
