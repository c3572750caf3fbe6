"""Logging filters: expected refusals as one line, and no wall token in any log line.

A 403 raised as PermissionDenied reaches `django.request` with its traceback, though it is an
ordinary answer ("You may not approve it."); a screenful per refusal buries real errors.
The wall's URL is its only credential (/wall/<token>/), and access logs keep every path.
"""

import logging
import re

from django.core.exceptions import PermissionDenied
from django.http import Http404

WALL_TOKEN = re.compile(r"(/wall/)[^/\s?#\"']+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """`text` with every wall token replaced; anything else is left as it was."""
    return WALL_TOKEN.sub(REDACTED, text)


class OneLineRefusals(logging.Filter):
    """`403 GET /campaigns/3/review/ user=sdr: You may not approve it.` instead of a traceback,
    and 404s in the same shape. Anything else (a 500 above all) keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        status = getattr(record, "status_code", None)
        exc = record.exc_info[1] if record.exc_info else None
        if request is None or status not in (403, 404):
            return True
        if exc is not None and not isinstance(exc, (PermissionDenied, Http404)):
            return True
        user = getattr(request, "user", None)
        who = user.get_username() if user is not None and user.is_authenticated else "anonymous"
        # Without an exception, Django's own wording: "Not Found: /x", "Forbidden (CSRF token missing.): /x".
        reason = str(exc) if exc is not None else record.getMessage().removesuffix(f": {request.path}")
        record.msg = "%s %s %s user=%s: %s"
        record.args = (status, request.method, request.path, who, reason or "refused")
        record.exc_info = None
        record.exc_text = None
        return True


class RedactWallTokens(logging.Filter):
    """Rewrites the message of any record that names a wall URL (runserver's access lines, 404s)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/wall/" in message:
            record.msg = redact(message)
            record.args = ()
        return True
