"""No demo doors in production: the deploy checks, seed_demo's refusal, and that an enabled
sandbox never quietly becomes the API the product talks to."""

import os
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from campaigns.checks import api_key_is_a_test_key, sandbox_outside_debug
from tests.conftest import ROOT


def ids(messages):
    return [m.id for m in messages]


@pytest.mark.parametrize(
    ("sandbox", "debug", "expected"), [(True, False, ["leadterra.E001"]), (True, True, []), (False, False, [])]
)
def test_the_sandbox_is_an_error_only_without_debug(settings, sandbox, debug, expected):
    settings.SANDBOX_ENABLED, settings.DEBUG = sandbox, debug
    assert ids(sandbox_outside_debug(None)) == expected


@pytest.mark.parametrize(
    ("key", "debug", "expected"),
    [("sk_test_x", False, ["leadterra.W001"]), ("sk_test_x", True, []), ("sk_live_x", False, []), ("", False, [])],
)
def test_a_test_key_is_a_warning_only_without_debug(settings, key, debug, expected):
    settings.LEADTERRA_API_KEY, settings.DEBUG = key, debug
    assert ids(api_key_is_a_test_key(None)) == expected


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug_and_creates_nobody(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="runs only with DEBUG=1.*--i-know-this-is-not-production"):
        call_command("seed_demo", "--no-campaigns")
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_seed_demo_runs_without_debug_when_told_it_is_not_production(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--no-campaigns", "--i-know-this-is-not-production")
    assert get_user_model().objects.filter(username="manager").exists()


def production_setting(name: str, **env_overrides) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "DEBUG", "LEADTERRA_", "DJANGO_"))}
    env.update({"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), **env_overrides})
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    env["DJANGO_SETTINGS_MODULE"] = "leadterra_ui.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_an_enabled_sandbox_does_not_become_the_api_without_debug():
    assert production_setting("LEADTERRA_API_BASE", SANDBOX_ENABLED="1") == "https://app.leadterra.co"
    assert production_setting("LEADTERRA_API_KEY", SANDBOX_ENABLED="1") == ""
    assert production_setting("LEADTERRA_WEBHOOK_SECRET", SANDBOX_ENABLED="1", SANDBOX_WEBHOOK_SECRET="w") == ""


def test_in_debug_the_sandbox_is_still_the_default_api():
    base = production_setting("LEADTERRA_API_BASE", DEBUG="1", SANDBOX_ENABLED="1")
    assert base == "http://127.0.0.1:8001/sandbox"
