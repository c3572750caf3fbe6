"""Error pages in the product's layout, expected refusals logged as one line, wall tokens in
no log line (runserver's, Django's, gunicorn's access log)."""

import io
import logging
import runpy
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.views.defaults import server_error

from campaigns.models import WallToken
from leadterra_ui.logfilters import redact
from tests.conftest import ROOT


@contextmanager
def log_output(logger_name):
    """What the configured handlers of `logger_name` write (their filters included)."""
    buffer = io.StringIO()
    # Only the stream handlers our LOGGING setting configured: pytest may have attached its own
    # capturing handlers to the same logger, and those have no stream to swap.
    handlers = [h for h in logging.getLogger(logger_name).handlers if type(h) is logging.StreamHandler]
    assert handlers, f"{logger_name} has no handler of its own"
    old = [handler.setStream(buffer) for handler in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, old, strict=True):
            handler.setStream(stream)


@pytest.mark.django_db
def test_a_refusal_is_our_page_with_the_reason_and_one_log_line(sdr_client):
    with log_output("django.request") as log:
        response = sdr_client.post(reverse("webhook_register"), {"url": "https://x.example/hook"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not do that here" in html and "Only managers refresh pools or register webhooks." in html
    assert 'class="topbar"' in html  # the product's layout, navigation included
    lines = log.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        "403 POST /integration/webhook/ user=sdr: Only managers refresh pools or register webhooks."
    )
    assert "Traceback" not in log.getvalue()


@pytest.mark.django_db
def test_a_missing_page_is_our_page_and_one_log_line(sdr_client):
    with log_output("django.request") as log:
        response = sdr_client.get("/campaigns/987654/")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()
    assert "Go to the campaigns" in response.content.decode()
    lines = log.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("404 GET /campaigns/987654/ user=sdr: Not Found"), lines


@pytest.mark.django_db
def test_a_missing_page_for_someone_logged_out_offers_the_login(client):
    response = client.get("/wall/not-a-token/")
    assert response.status_code == 404 and reverse("login") in response.content.decode()


def test_the_500_page_needs_no_database_and_no_context(rf, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(rf.get("/campaigns/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "css/app.css" in html


@pytest.mark.django_db
def test_a_real_error_keeps_its_traceback(manager_client, monkeypatch):
    """Only expected refusals lose the traceback; a crash must keep it."""
    import campaigns.views.audit as audit_views

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(audit_views, "render", boom)
    manager_client.raise_request_exception = False
    with log_output("django.request") as log:
        response = manager_client.get(reverse("audit_log"))
    assert response.status_code == 500
    assert "Traceback" in log.getvalue() and "RuntimeError: kaboom" in log.getvalue()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /wall/AbC_123-x/ HTTP/1.1" 200 512', '"GET /wall/[redacted]/ HTTP/1.1" 200 512'),
        ('"GET /wall/AbC/screen/?page=2 HTTP/1.1" 200 9', '"GET /wall/[redacted]/screen/?page=2 HTTP/1.1" 200 9'),
        ("https://ops.example.com/wall/tok#x", "https://ops.example.com/wall/[redacted]#x"),
        ('"GET /wall-tokens/ HTTP/1.1" 200 3', '"GET /wall-tokens/ HTTP/1.1" 200 3'),
    ],
)
def test_redact_replaces_the_token_and_nothing_else(line, expected):
    assert redact(line) == expected


@pytest.mark.django_db
def test_runserver_access_lines_and_404s_name_no_wall_token(client, manager):
    token = WallToken.objects.create(label="Floor", created_by=manager)
    with log_output("django.server") as access:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET /wall/{token.token}/ HTTP/1.1", "200", "512")
    assert token.token not in access.getvalue() and "/wall/[redacted]/" in access.getvalue()
    with log_output("django.request") as log:
        client.get("/wall/revoked-or-guessed-token/")
    assert "revoked-or-guessed-token" not in log.getvalue() and "/wall/[redacted]/" in log.getvalue()


def test_gunicorns_access_log_names_no_wall_token(tmp_path):
    from gunicorn.config import Config

    RedactingLogger = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["logger_class"]
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = RedactingLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/wall/s3cr3t-token/screen/?page=2",
        "PATH_INFO": "/wall/s3cr3t-token/screen/",
        "QUERY_STRING": "page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": "https://ops.example.com/wall/s3cr3t-token/",
    }
    resp = SimpleNamespace(status="200 OK", headers=[], sent=512)
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(resp, req, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    written = (tmp_path / "access.log").read_text()
    assert "GET /wall/[redacted]/screen/?page=2" in written and "203.0.113.9" in written
    assert "s3cr3t-token" not in written
