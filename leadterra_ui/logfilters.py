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
    """`403 GET /campaigns/3/review/ user=sdr: You may not approve it.` instead of a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        request = getattr(record, "request", None)
        if isinstance(exc, (PermissionDenied, Http404)) and request is not None:
            user = getattr(request, "user", None)
            who = user.get_username() if user is not None and user.is_authenticated else "anonymous"
            status = getattr(record, "status_code", 403 if isinstance(exc, PermissionDenied) else 404)
            reason = str(exc) or ("Permission denied." if isinstance(exc, PermissionDenied) else "Not found.")
            record.msg = "%s %s %s user=%s: %s"
            record.args = (status, request.method, request.path, who, reason)
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
