"""Every URL needs a login unless it is on the short public list; deploy checks are clean."""

import os
import secrets
import subprocess
import sys

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import ROOT

# Views that may answer without a login, by URL name or path prefix.
PUBLIC_NAMES = {"login", "healthz", "wall", "wall_screen", "wall_data", "webhook_leadterra"}
PUBLIC_PREFIXES = ("sandbox/",)  # the simulator authenticates with its own Bearer key


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_every_view_requires_login_except_the_public_ones():
    unprotected = []
    for route, pattern in walk(get_resolver().url_patterns):
        view = pattern.callback
        view_class = getattr(view, "view_class", None)
        login_required = getattr(view, "login_required", True)
        if view_class is not None:
            login_required = getattr(view_class, "login_required", login_required)
        if route.startswith("admin/"):
            continue  # the admin has its own staff login
        if login_required is False and pattern.name not in PUBLIC_NAMES and not route.startswith(PUBLIC_PREFIXES):
            unprotected.append(route)
    assert unprotected == [], f"views without login: {unprotected}"


@pytest.mark.django_db
def test_it_redirects_anonymous_users_to_login(client):
    response = client.get("/campaigns/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/campaigns/")


@pytest.mark.django_db
def test_the_login_page_is_public(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def check_deploy(tmp_path, **overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "DEBUG", "LEADTERRA_", "DJANGO_"))}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "ops.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
            "LEADTERRA_API_KEY": "sk_live_example",
            "SDR_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
            **overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_the_sandbox_is_enabled_in_production(tmp_path):
    result = check_deploy(tmp_path, SANDBOX_ENABLED="1")
    assert result.returncode != 0
    assert "leadterra.E001" in result.stderr and "SANDBOX_ENABLED is on while DEBUG is off" in result.stderr


def test_check_deploy_warns_about_a_test_key_in_production(tmp_path):
    result = check_deploy(tmp_path, LEADTERRA_API_KEY="sk_test_abc123")
    assert result.returncode != 0
    assert "leadterra.W001" in result.stderr
    assert "sk_test_abc123" not in result.stdout + result.stderr  # the key itself is never printed


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
