"""The client against a real HTTP server on a free port: what `responses` cannot show —
the retry layer waiting for Retry-After (capped), and a dropped POST never replayed."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from campaigns import leadterra
from campaigns.leadterra import Transient, retry

pytestmark = pytest.mark.django_db


class Script(BaseHTTPRequestHandler):
    """Answers each request with the next step of `server.script`: (status, headers, body) or "drop"."""

    def handle_one(self):
        self.server.seen.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        step = self.server.script.pop(0) if len(self.server.script) > 1 else self.server.script[0]
        if step == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        status, headers, body = step
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = handle_one

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Script)
    httpd.seen, httpd.script = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.LEADTERRA_API_BASE = f"http://127.0.0.1:{httpd.server_address[1]}"
    settings.LEADTERRA_MAX_RPS = 0
    yield httpd
    httpd.shutdown()
    httpd.server_close()


OK_POOLS = (200, {"Content-Type": "application/json"}, b"[]")
LIMITED = (429, {"Retry-After": "1", "Content-Type": "application/json"}, b'{"error": {"code": "rate_limited"}}')


def test_a_get_waits_the_retry_after_leadterra_asked_for(server, monkeypatch):
    # The wait the retry layer asks for is recorded, not timed: a wall-clock window flakes on a loaded machine.
    slept = []
    monkeypatch.setattr(retry, "sleep", slept.append)
    server.script = [(429, {"Retry-After": "2", "Content-Type": "application/json"}, LIMITED[2]), OK_POOLS]
    assert leadterra.get_client().list_sender_pools() == []
    assert slept == [2]
    assert len(server.seen) == 2


def test_a_long_retry_after_is_capped(server, monkeypatch):
    slept = []
    monkeypatch.setattr(retry, "sleep", slept.append)
    server.script = [(429, {"Retry-After": "3600"}, b""), OK_POOLS]
    leadterra.get_client().list_sender_pools()
    assert slept == [leadterra.RETRY_AFTER_CAP]


def test_a_get_whose_connection_dropped_is_retried(server):
    server.script = ["drop", OK_POOLS]
    assert leadterra.get_client().list_sender_pools() == []
    assert len(server.seen) == 2


def test_a_post_whose_connection_dropped_is_sent_once(server):
    server.script = ["drop", (200, {}, b'{"id": "camp_1", "status": "running"}')]
    with pytest.raises(Transient, match="Could not reach"):
        leadterra.get_client().start_campaign("camp_1")
    assert server.seen == [("POST", "/v1/campaigns/camp_1/start")]


def test_a_post_answered_with_503_and_retry_after_is_sent_once(server):
    server.script = [(503, {"Retry-After": "1"}, b""), (200, {}, b"{}")]
    with pytest.raises(Transient):
        leadterra.get_client().enroll_leads("camp_1", [{"email": "a@x.io"}])
    assert len(server.seen) == 1


def test_a_post_to_a_closed_port_is_not_retried(settings, monkeypatch):
    from campaigns.models import ApiCall
    from tests.conftest import free_port

    settings.LEADTERRA_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.LEADTERRA_MAX_RPS = 0
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)
    with pytest.raises(Transient):
        leadterra.get_client().suppress(["a@x.io"])
    assert list(ApiCall.objects.values_list("error_code", flat=True)) == ["connection_error"]  # tried once
    with pytest.raises(Transient):
        leadterra.get_client().list_sender_pools()
    assert ApiCall.objects.filter(endpoint="GET /v1/sender-pools").count() == 3  # a GET is tried again


def test_the_session_itself_never_retries():
    adapter = leadterra._session().get_adapter("https://app.leadterra.co/")
    assert adapter.max_retries.total == 0
