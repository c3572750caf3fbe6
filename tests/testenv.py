"""Environment for the test run, set before Django reads its settings.

Loaded as a plugin (`-p tests.testenv` in pyproject.toml) because pytest-django
configures Django before any conftest.py is imported. Real environment values win.
"""

import os

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
