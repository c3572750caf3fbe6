"""The sandbox over real HTTP in the live server: faults on the wire and webhook deliveries."""

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

# What a client sees of a connection cut mid-body (requests raises one or the other).
BROKEN = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
STEPS = [{"subject": "Hi {{firstName}}", "bodyHtml": "<p>x</p>", "delayDays": 0}]


class Receiver:
    """A webhook endpoint on a free loopback port; answers with the next status in `statuses`."""

    def __init__(self, statuses=None):
        self.requests, self.statuses = [], list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def running_campaign(sandbox, leads=5):
    _, body = sandbox.api("POST", "/campaigns", {"name": "Live", "sequenceSteps": STEPS})
    people = [{"email": f"p{i}@example.com", "firstName": "P"} for i in range(leads)]
    sandbox.api("POST", f"/campaigns/{body['id']}/leads/bulk", {"leads": people})
    assert sandbox.api("POST", f"/campaigns/{body['id']}/start")[0] == 200
    return body["id"]


def test_the_fixture_serves_the_api_over_http(sandbox, settings):
    assert sandbox.url == settings.LEADTERRA_API_BASE
    status, pools = sandbox.api("GET", "/sender-pools")
    assert status == 200 and len(pools) == 3


def test_a_dropped_connection_breaks_the_response_after_the_work_is_done(sandbox):
    sandbox.script(["drop"])
    with pytest.raises(BROKEN):
        requests.post(
            sandbox.url + "/v1/campaigns",
            json={"name": "lost answer", "sequenceSteps": STEPS},
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
            timeout=5,
        )
    assert sandbox.state()["campaignCount"] == 1  # it was created all the same


def test_an_idempotent_retry_after_a_drop_gets_the_first_answer(sandbox):
    sandbox.script(["drop"])
    headers = {"Idempotency-Key": "create-1"}
    with pytest.raises(BROKEN):
        sandbox.api("POST", "/campaigns", {"name": "once", "sequenceSteps": STEPS}, **headers)
    status, body = sandbox.api("POST", "/campaigns", {"name": "once", "sequenceSteps": STEPS}, **headers)
    assert status == 201
    assert sandbox.state()["campaigns"][0]["id"] == body["id"]
    assert sandbox.state()["campaignCount"] == 1


def test_a_slow_answer_passes_the_clients_timeout(sandbox):
    sandbox.faults(slowRate=1.0, slowSeconds=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            sandbox.url + "/v1/sender-accounts", headers={"Authorization": f"Bearer {sandbox.api_key}"}, timeout=0.5
        )


def test_injected_errors_come_before_the_work(sandbox):
    sandbox.script(["502", "503", "429", "500"])
    answers = [sandbox.api("POST", "/campaigns", {"name": "x", "sequenceSteps": STEPS}) for _ in range(4)]
    assert [a[0] for a in answers] == [502, 503, 429, 500]
    assert "Bad Gateway" in answers[0][1]  # a proxy's HTML page
    assert answers[1][1]["error"]["code"] == "service_unavailable"
    assert answers[2][1]["error"]["code"] == "rate_limited"
    assert sandbox.state()["campaignCount"] == 0
    assert sandbox.api("POST", "/campaigns", {"name": "x", "sequenceSteps": STEPS})[0] == 201


def test_webhooks_are_signed_with_the_secret(sandbox, receiver, settings):
    status, hook = sandbox.api(
        "POST", "/webhooks", {"url": receiver.url, "events": ["campaign.started", "message.sent"]}
    )
    assert status == 201
    cid = running_campaign(sandbox, leads=2)
    sandbox.advance(seconds=1)  # the fixture froze the clock: step 1 goes out once it moves
    wait_until(lambda: len(receiver.requests) >= 3, timeout=15, message="three deliveries")
    events = []
    for headers, body in receiver.requests:
        expected = hmac.new(settings.SANDBOX_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Leadterra-Signature"] == expected
        events.append(json.loads(body))
    started = [e for e in events if e["event"] == "campaign.started"]  # posted concurrently: any order
    assert len(started) == 1 and started[0]["data"]["campaignId"] == cid
    sent = [e for e in events if e["event"] == "message.sent"]
    assert {e["data"]["sequenceStep"] for e in sent} == {1}
    assert all(e["data"]["messageId"] and e["timestamp"].endswith("Z") for e in sent)


def test_a_failed_delivery_is_retried_on_the_compressed_schedule(sandbox, settings):
    receiver = Receiver(statuses=[500, 503])
    started = int(time.time())  # whole seconds: the envelope's timestamp has no fraction
    try:
        sandbox.api("POST", "/webhooks", {"url": receiver.url, "events": ["campaign.started"]})
        running_campaign(sandbox, leads=1)
        wait_until(lambda: len(receiver.requests) == 1, timeout=10, message="first attempt")
        sandbox.advance(seconds=61)  # the first retry is due after about a minute
        wait_until(lambda: len(receiver.requests) == 2, timeout=10, message="second attempt")
        sandbox.advance(seconds=301)
        wait_until(lambda: len(receiver.requests) == 3, timeout=10, message="third attempt")
        wait_until(lambda: sandbox.deliveries()[0]["status"] == "delivered", timeout=10, message="delivered")
        envelopes = [json.loads(body) for _, body in receiver.requests]
        assert len({json.dumps(e["data"]) for e in envelopes}) == 1  # the same event each time
        # Each attempt is stamped with the real time it was sent, not the simulated clock (6 min ahead by now).
        sent = [datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")).timestamp() for e in envelopes]
        assert all(started <= t <= time.time() for t in sent), (started, sent)
    finally:
        receiver.close()
