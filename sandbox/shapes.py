"""Response-shape variants: every documented envelope of leadterra-api.md §2, switchable at run time."""

from .models import Campaign, Pool

# endpoint -> (variants, default). The defaults are the most informative variant.
VARIANTS = {
    "sender-pools": (("array", "quickstart", "guide"), "array"),
    "sender-accounts": (("array", "data"), "array"),
    "campaigns": (("flat", "wrapped", "flat_step_count", "wrapped_step_count"), "flat"),
    "leads": (("basic", "skipped"), "skipped"),
    "replies": (("array", "data", "paginated"), "paginated"),
    "suppression-list": (("count", "result"), "result"),
    "webhooks": (("flat", "wrapped"), "flat"),
    "timestamps": (("seconds", "millis"), "seconds"),
}


def defaults() -> dict:
    return {name: default for name, (_, default) in VARIANTS.items()}


def problems(requested: dict) -> list[str]:
    found = []
    for name, value in requested.items():
        if name not in VARIANTS:
            found.append(f"unknown endpoint {name!r}")
        elif value not in VARIANTS[name][0]:
            found.append(f"{name}: {value!r} is not one of {', '.join(VARIANTS[name][0])}")
    return found


def _shape(call, name: str) -> str:
    return call.shape(name, VARIANTS[name][1])


def pools(call, pools: list[Pool], senders: dict) -> list | dict:
    """api-reference: bare array, remainingVolume, senderAccountIds; quickstart: senderPools,
    remainingToday, senderCount; create-campaign guide: pools, remainingVolume, senderCount."""
    shape = _shape(call, "sender-pools")
    items = []
    for pool in pools:
        ids = senders.get(pool.pk, [])
        item = {"id": pool.public_id, "name": pool.name, "dailyCapacity": pool.daily_capacity}
        remaining = max(0, pool.day_limit - pool.sent_in_window)
        if shape == "quickstart":
            item.update(remainingToday=remaining, senderCount=len(ids))
        elif shape == "guide":
            item.update(remainingVolume=remaining, senderCount=len(ids))
        else:
            item.update(remainingVolume=remaining, senderAccountIds=ids)
        items.append(item)
    return {"senderPools": items} if shape == "quickstart" else {"pools": items} if shape == "guide" else items


def envelope(call, name: str, items: list) -> list | dict:
    return {"data": items} if _shape(call, name) == "data" else items


def campaign(call, c: Campaign) -> dict:
    shape = _shape(call, "campaigns")
    body = {
        "id": c.public_id,
        "name": c.name,
        "status": c.status,
        "sequenceSteps": c.steps,
        "createdAt": call.iso(c.created_at),
    }
    if shape.endswith("step_count"):
        body["stepCount"] = len(c.steps)
    return {"campaign": body} if shape.startswith("wrapped") else body


def replies(call, items: list, page: int, per_page: int, total: int) -> list | dict:
    shape = _shape(call, "replies")
    if shape == "paginated":
        return {"replies": items, "pagination": {"total": total, "page": page, "perPage": per_page}}
    return {"data": items} if shape == "data" else items


def suppression(call, added: int, total: int) -> dict:
    if _shape(call, "suppression-list") == "count":
        return {"suppressed": added}
    return {"result": {"suppressed": added, "alreadySuppressed": total - added, "total": total}}
