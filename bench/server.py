"""The app under gunicorn with the production configuration (gunicorn.conf.py), and a client
that times requests the way a browser makes them (a session cookie, keep-alive, ETags)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn():
    """Yields the base URL; the server is stopped (its own pid) when the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bench.wsgi",
               "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # Not /healthz: it waits on the broker, which the bench does not start.
                requests.get(base + "/_bench/bare/", timeout=5, allow_redirects=False)
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def session_cookie(user) -> str:
    """A logged-in session made the way login() makes it, without the login form's throttle."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


class Browser:
    """One person's browser: keep-alive, a session, and the ETag it holds for each URL."""

    def __init__(self, base: str, cookie: str):
        self.base, self.http, self.etags = base, requests.Session(), {}
        self.http.headers.update({"Cookie": cookie})

    def get(self, path: str, *, htmx: bool = False, conditional: bool = False) -> tuple[float, requests.Response]:
        headers = {"HX-Request": "true"} if htmx else {}
        if conditional and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        started = time.perf_counter()
        try:
            response = self.http.get(self.base + path, headers=headers, timeout=60, allow_redirects=False)
        except requests.ConnectionError:  # a kept-alive connection the server closed: a browser retries
            started = time.perf_counter()
            response = self.http.get(self.base + path, headers=headers, timeout=60, allow_redirects=False)
        elapsed = time.perf_counter() - started
        if response.status_code not in (200, 304):
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
        if response.headers.get("ETag"):
            self.etags[path] = response.headers["ETag"]
        return elapsed, response


def medians(browser: Browser, paths: dict[str, dict], rounds: int) -> dict[str, float]:
    """Each path once per round, interleaved, so a busy moment of the machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in paths}
    for spec in paths.values():  # warm up: caches, connections, the first 200 for ETags
        browser.get(spec["path"], htmx=spec.get("htmx", False))
    for _ in range(rounds):
        for name, spec in paths.items():
            times[name].append(browser.get(**spec)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
