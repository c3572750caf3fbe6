"""Choose the Celery broker.

Production and tests always use Redis at REDIS_URL. With BROKER_FALLBACK on, when
nothing answers at REDIS_URL, Celery's filesystem transport in a local folder is used
instead, so the product can be tried on a machine with no Redis at all. That mode has
no shared rate budget and no visibility timeout, so it is for trying the product only.

`make run` runs `python -m leadterra_ui.broker` once, which prints the one warning,
and starts every process with BROKER_FALLBACK=quiet so they do not repeat it.
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


def warning(redis_url: str, folder: Path) -> str:
    return (
        f"WARNING: no Redis answers at {redis_url}; using Celery's filesystem transport in "
        f"{folder}. This mode is for trying the product only: start Redis for real use."
    )


def choose_broker(redis_url: str, fallback: str, folder: Path) -> tuple[str, dict]:
    """Return (broker_url, extra transport options).

    `fallback` is BROKER_FALLBACK: "" or "0" (never), "1" (fall back and warn) or
    "quiet" (fall back; the warning was printed once already).
    """
    if fallback in ("", "0", "false", "no", "off") or redis_answers(redis_url):
        return redis_url, {}
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    if fallback != "quiet":
        print(warning(redis_url, folder), file=sys.stderr)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
    return "filesystem://", options


if __name__ == "__main__":
    # `make run` asks once, before starting the processes.
    import os

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_answers(url):
        print(f"Redis answers at {url}: Celery uses it.")
    else:
        print(warning(url, Path(__file__).resolve().parent.parent / ".run" / "broker"))
