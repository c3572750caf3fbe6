"""The wall in a real browser: numbers move without a reload; a server outage is survived."""

import threading

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ServerHandler, ThreadedWSGIServer, WSGIRequestHandler

from campaigns.models import Campaign, WallToken
from campaigns.services.stats import stats_poll_cycle
from sandbox.testing import LiveSandbox
from tests.conftest import free_port, screenshot, wait_for_port
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]


class ClosingHandler(ServerHandler):
    def cleanup_headers(self):
        super().cleanup_headers()
        self.headers["Connection"] = "close"
        self.request_handler.close_connection = True


class OneRequestPerConnection(WSGIRequestHandler):
    """No keep-alive (and saying so): once the server stops, no old socket reaches it."""

    def handle_one_request(self):  # Django's, with a handler that closes every connection
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or len(self.raw_requestline) > 65536 or not self.parse_request():
            self.close_connection = True
            return
        handler = ClosingHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ())
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, *args):
        pass


class StoppableServer:
    """The whole project on a fixed port, which can go away and come back (pytest's live_server cannot)."""

    def __init__(self):
        self.port, self.server, self.thread = free_port(), None, None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        self.server = ThreadedWSGIServer(("127.0.0.1", self.port), OneRequestPerConnection, allow_reuse_address=True)
        self.server.set_app(StaticFilesHandler(WSGIHandler()))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        wait_for_port(self.port)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def server(settings):
    srv = StoppableServer()
    srv.start()
    settings.LEADTERRA_API_BASE = srv.url + "/sandbox"
    settings.WALL_REFRESH_SECONDS = 1
    yield srv
    if srv.server:
        srv.stop()


def totals(page) -> tuple[str, str]:
    return page.inner_text('[data-total="queued"]'), page.inner_text('[data-total="sent_today"]')


def test_the_wall_follows_the_sandbox_and_recovers_from_a_server_outage(browser, server, manager):
    sandbox = LiveSandbox(server.url + "/sandbox")
    sandbox.freeze()
    sandbox.reset(seed=11, campaigns=3, leads=300, steps=2, poolCapacity=150)  # the queue drains over days
    for c in sandbox.state()["campaigns"]:
        CampaignFactory(name=c["name"], status=Campaign.Status.RUNNING, remote_id=c["id"])
    sandbox.advance(hours=6)
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    stats_poll_cycle()
    token = WallToken.objects.create(label="Sales floor", created_by=manager)

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{server.url}/wall/{token.token}/")
    page.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    before = totals(page)

    sandbox.advance(days=1)
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    stats_poll_cycle()
    page.wait_for_function(
        "([q, s]) => document.querySelector('[data-total=queued]').innerText !== q"
        " && document.querySelector('[data-total=sent_today]').innerText !== s",
        arg=list(before),
        timeout=15_000,
    )
    after = totals(page)
    assert page.evaluate("window.__sameDocument") is True

    server.stop()
    page.wait_for_selector("body[data-conn=offline]", timeout=15_000)
    assert page.locator("[data-wall-conn]").is_visible()
    assert "Reconnecting" in page.inner_text("[data-wall-conn]")
    assert totals(page) == after  # the last good screen stays up
    screenshot(page, "wall-reconnecting")
    page.wait_for_timeout(3000)

    server.start()
    sandbox.advance(days=1)
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    stats_poll_cycle()
    page.wait_for_selector("body[data-conn=live]", timeout=15_000)
    page.wait_for_function(
        "q => document.querySelector('[data-total=queued]').innerText !== q", arg=after[0], timeout=15_000
    )
    assert not page.locator("[data-wall-conn]").is_visible()
    assert page.evaluate("window.__sameDocument") is True
    context.close()
