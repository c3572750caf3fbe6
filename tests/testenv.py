"""Environment for the test run, set before Django reads its settings.

Loaded as a plugin (`-p tests.testenv` in pyproject.toml) because pytest-django
configures Django before any conftest.py is imported. Real environment values win.
"""

import os

import pytest

os.environ.setdefault("DEBUG", "1")  # Django's test runner still runs with DEBUG off
os.environ.setdefault("SANDBOX_ENABLED", "1")
os.environ.setdefault("SANDBOX_API_KEY", "sk_test_sandbox")
os.environ.setdefault("SANDBOX_CONTROL_TOKEN", "test-control-token")
os.environ.setdefault("LEADTERRA_API_KEY", "sk_test_sandbox")
os.environ.setdefault("LEADTERRA_WEBHOOK_SECRET", "whsec_test")
os.environ.setdefault("SANDBOX_WEBHOOK_SECRET", "whsec_test")
os.environ.setdefault("BROKER_FALLBACK", "0")
# Nothing listens here: a test that enqueues without the redis_server fixture fails
# fast instead of filling the machine's own Redis.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which counts one per core
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: two workers per core. Half of the suite's time is spent waiting on real
    processes (a worker to recover, a page to poll, Chromium to paint), and one worker per core
    left the machine half idle: on two cores, 214 s with two workers, 154 s with four, 162 s
    with six (the extra workers' start-up and contention outweigh what they overlap)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reads it
    return 2 * (os.cpu_count() or 1)
