"""Choose the Celery broker.

Production and tests always use Redis at REDIS_URL. `make run` sets
BROKER_FALLBACK=1: when nothing answers at REDIS_URL it falls back to Celery's
filesystem transport in a local folder, so the product can be tried on a machine
with no Redis at all. That mode has no shared rate budget and no visibility
timeout, so it is for trying the product only, and says so once per process.
"""

import socket
import sys
from pathlib import Path
from urllib.parse import urlparse


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout):
            return True
    except OSError:
        return False


def choose_broker(redis_url: str, allow_fallback: bool, folder: Path) -> tuple[str, dict]:
    """Return (broker_url, extra transport options)."""
    if not allow_fallback or redis_answers(redis_url):
        return redis_url, {}
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    print(
        f"WARNING: no Redis answers at {redis_url}; using Celery's filesystem transport in "
        f"{folder}. This mode is for trying the product only: start Redis for real use.",
        file=sys.stderr,
    )
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
    return "filesystem://", options
