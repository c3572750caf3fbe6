"""Per-SDR keys: which user acts as which Leadterra SDR, and that SDR's personal key.

The key is encrypted with Fernet under SDR_KEY_ENCRYPTION_KEY before it touches the database,
is decrypted only by `sdr_key_for` (for the client, inside a worker), and never appears in a
page, a log, an audit event or an exception message: pages show `key ending …abcd`.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import LeadterraSdr, Operation, SdrLink
from campaigns.permissions import can
from campaigns.services.operations import operation_enqueue


class SdrKeyError(Exception):
    """An SDR-scoped call cannot be made for this person; the message says why (never the key)."""


def _fernet() -> Fernet:
    secret = settings.SDR_KEY_ENCRYPTION_KEY
    if not secret:
        if not settings.DEBUG:
            raise ImproperlyConfigured("Set SDR_KEY_ENCRYPTION_KEY: SDR keys are encrypted with it.")
        secret = "sdr-keys:" + settings.SECRET_KEY  # stable across restarts of a development server
    # Any string works as the setting: it is stretched to the 32 bytes Fernet needs.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def key_encrypt(key: str) -> str:
    return _fernet().encrypt(key.encode()).decode()


def key_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SdrKeyError(
            "The stored SDR key cannot be decrypted with the current SDR_KEY_ENCRYPTION_KEY "
            "(it was changed); a manager must save the key again."
        ) from None


def _check(actor) -> None:
    if not can(actor, "manage_integration"):
        raise PermissionDenied("Only managers link users to Leadterra SDRs and store their keys.")


def _clean_key(key: str) -> str:
    key = (key or "").strip()
    if len(key) < 8 or any(ch.isspace() for ch in key):
        raise ValueError("That does not look like a Leadterra key: paste the SDR's whole personal key.")
    return key


@transaction.atomic
def sdr_link_save(*, user, sdr_id: str, key: str = "", actor) -> SdrLink:
    """Link `user` to the listed SDR `sdr_id`; store `key` when given (replacing the old one)."""
    _check(actor)
    sdr = LeadterraSdr.objects.filter(sdr_id=sdr_id, listed=True).first()
    if sdr is None:
        raise ValueError("Pick an SDR from Leadterra's list (refresh the list if they are missing).")
    link, created = SdrLink.objects.select_for_update().get_or_create(user=user, defaults={"sdr_id": sdr.sdr_id})
    changed_sdr = not created and link.sdr_id != sdr.sdr_id
    if changed_sdr and not key:
        raise ValueError("A different SDR has a different key: paste the new SDR's personal key too.")
    link.sdr_id, link.sdr_name, link.sdr_email = sdr.sdr_id, sdr.name, sdr.email
    details = {"user": user.get_username(), "sdr_id": sdr.sdr_id, "sdr_name": sdr.name}
    if key:
        action = "sdr_key.replaced" if link.has_key else "sdr_key.set"
        clean = _clean_key(key)
        link.key_encrypted, link.key_last4 = key_encrypt(clean), clean[-4:]
        link.key_saved_at, link.key_saved_by = timezone.now(), actor
        audit_record(actor=actor, action=action, key_ending=link.key_last4, **details)
    elif created or changed_sdr:
        audit_record(actor=actor, action="sdr_link.set", **details)
    link.save()
    return link


@transaction.atomic
def sdr_link_remove(*, user, actor) -> None:
    _check(actor)
    link = SdrLink.objects.filter(user=user).first()
    if link is None:
        return
    audit_record(
        actor=actor, action="sdr_key.removed", user=user.get_username(), sdr_id=link.sdr_id, key_ending=link.key_last4
    )
    link.delete()


def sdr_key_for(user) -> str:
    """The personal key of the SDR `user` acts as, for an SDR-scoped client call.

    Raises SdrKeyError with a sentence when none is linked or the stored key is unreadable."""
    link = SdrLink.objects.filter(user_id=getattr(user, "pk", user)).first()
    if link is None or not link.has_key:
        name = getattr(user, "get_username", lambda: f"user #{user}")()
        raise SdrKeyError(
            f"{name} is not linked to a Leadterra SDR with a key; a manager links it on the SDR keys page."
        )
    return key_decrypt(link.key_encrypted)


def sdr_id_for(user) -> str:
    link = SdrLink.objects.filter(user_id=getattr(user, "pk", user)).first()
    if link is None:
        raise SdrKeyError(f"{user} is not linked to a Leadterra SDR; a manager links it on the SDR keys page.")
    return link.sdr_id


# --- the SDR list (an operation fetches it; pages read the table) -----------------------


def sdrs_refresh_enqueue(*, actor) -> Operation:
    """One refresh at a time: reuse the active one rather than stacking API calls."""
    _check(actor)
    with transaction.atomic():
        active = (
            Operation.objects.select_for_update()
            .filter(kind=Operation.Kind.REFRESH_SDRS, status__in=Operation.ACTIVE_STATES)
            .first()
        )
        return active or operation_enqueue(kind=Operation.Kind.REFRESH_SDRS, actor=actor)


@transaction.atomic
def sdrs_apply(sdrs) -> dict:
    """Make the local list equal to one `GET /v1/sdrs`; refresh the names links show."""
    now, seen = timezone.now(), []
    for sdr in sdrs:
        seen.append(sdr.id)
        LeadterraSdr.objects.update_or_create(
            sdr_id=sdr.id,
            defaults={
                "name": sdr.name,
                "email": sdr.email,
                "gmail_connected": sdr.gmail_connected,
                "listed": True,
                "refreshed_at": now,
            },
        )
        SdrLink.objects.filter(sdr_id=sdr.id).update(sdr_name=sdr.name, sdr_email=sdr.email)
    gone = LeadterraSdr.objects.exclude(sdr_id__in=seen).update(listed=False)
    return {"sdrs": len(seen), "unlisted": gone}


def sdr_keys_overview(*, actor) -> dict:
    """What the keys page shows a manager: every active user with their link, the SDRs last
    listed by Leadterra, and the latest refresh of that list."""
    _check(actor)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True).order_by("username")
    links = {link.user_id: link for link in SdrLink.objects.select_related("key_saved_by")}
    return {
        "rows": [{"user": u, "link": links.get(u.pk)} for u in users],
        "sdrs": LeadterraSdr.objects.filter(listed=True),
        "refresh": Operation.objects.filter(kind=Operation.Kind.REFRESH_SDRS).first(),
    }
