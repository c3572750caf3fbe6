"""Helpers for tests that drive the sandbox: over HTTP (live server) or through Django's test client.

sb = LiveSandbox(live_server.url + "/sandbox")   # or the `sandbox` fixture in tests/conftest.py
sb.freeze(); sb.faults(errorRate=0.5); sb.script(["503", "ok"]); sb.shapes(replies="array")
sb.advance(days=2); sb.state()["campaigns"]; sb.leads(campaign_id, email="a@x.com")
sb.sdrs(); sb.gmail("sdr", "needs_reauth"); sb.thread(thread_id, status="won")
"""

import json
from urllib.parse import quote

import requests
from django.conf import settings


class _Control:
    """Control-surface calls shared by both transports; subclasses implement _call."""

    def _call(self, method: str, path: str, body=None, headers=None) -> tuple[int, object]:
        raise NotImplementedError

    def control(self, method: str, path: str, body=None):
        status, data = self._call(method, "/_control/" + path, body, {"X-Sandbox-Control-Token": self.token})
        if status != 200:
            raise AssertionError(f"control {method} {path} -> {status}: {data}")
        return data

    def freeze(self):
        return self.control("POST", "clock", {"secondsPerDay": 0})

    def speed(self, seconds_per_day: float):
        return self.control("POST", "clock", {"secondsPerDay": seconds_per_day})

    def advance(self, days: float = 0, hours: float = 0, seconds: float = 0):
        return self.control("POST", "clock", {"advanceDays": days, "advanceHours": hours, "advanceSeconds": seconds})

    def faults(self, **settings_):
        return self.control("POST", "faults", settings_)

    def script(self, items: list[str]):
        return self.control("POST", "faults", {"script": items})

    def clear_faults(self):
        return self.control("DELETE", "faults")

    def shapes(self, **variants):
        # Python names for endpoint keys: sender_pools -> sender-pools
        return self.control("POST", "shapes", {k.replace("_", "-"): v for k, v in variants.items()})

    def rates(self, **rates):
        return self.control("POST", "rates", rates)

    def rate_limit(self, rps):
        return self.control("POST", "rate-limit", {"rps": rps})

    def reset(self, **options):
        return self.control("POST", "reset", options)

    def state(self):
        return self.control("GET", "state")

    def leads(self, campaign_id: str, email: str | None = None, every_step: bool = False):
        """With `every_step` (and an email), every step rendered for that lead, sent or not."""
        query = f"leads?campaignId={campaign_id}" + (f"&email={quote(email)}" if email else "")
        return self.control("GET", query + ("&steps=all" if every_step else ""))["leads"]

    def deliveries(self):
        return self.control("GET", "deliveries")["deliveries"]

    # --- the SDR area ---

    def sdrs(self):
        """Every SDR with its personal key (`apiKey`), Gmail health and accepted `sends`."""
        return self.control("GET", "sdrs")["sdrs"]

    def gmail(self, sdr: str, health_state: str, last_sync_error: str | None = None):
        """`sdr`: a public id or a seeded name (`sdr`, `sdr2`)."""
        body = {"healthState": health_state}
        if last_sync_error is not None:
            body["lastSyncError"] = last_sync_error
        return self.control("POST", f"sdrs/{quote(sdr)}/gmail", body)

    def thread(self, thread_id: str, **fields):
        """Set a thread's `status` or `snoozedUntil` (ISO time or None)."""
        return self.control("POST", f"threads/{quote(thread_id)}", fields)


class LiveSandbox(_Control):
    """The sandbox over real HTTP; `api(...)` calls /v1 with the workspace's key."""

    def __init__(self, base_url: str, api_key: str | None = None, token: str | None = None):
        self.url = base_url.rstrip("/")
        self.api_key = api_key or settings.SANDBOX_API_KEY
        self.token = token or settings.SANDBOX_CONTROL_TOKEN
        self.session = requests.Session()

    def _call(self, method, path, body=None, headers=None):
        response = self.session.request(method, self.url + path, json=body, headers=headers, timeout=30)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def api(self, method: str, path: str, body=None, **headers):
        return self._call(method, "/v1" + path, body, {"Authorization": f"Bearer {self.api_key}", **headers})


class ClientSandbox(_Control):
    """The sandbox through django.test.Client (no server); returns (status, parsed body, response)."""

    def __init__(self, client, api_key: str | None = None, token: str | None = None):
        self.client = client
        self.api_key = api_key or settings.SANDBOX_API_KEY
        self.token = token or settings.SANDBOX_CONTROL_TOKEN

    def _call(self, method, path, body=None, headers=None):
        response = self.raw(method, path, body, headers)
        return response.status_code, _parse(response)

    def raw(self, method, path, body=None, headers=None):
        data = body if isinstance(body, str | bytes) else (json.dumps(body) if body is not None else "")
        return self.client.generic(
            method, "/sandbox" + path, data, content_type="application/json", headers=headers or {}
        )

    def api(self, method: str, path: str, body=None, **headers):
        return self._call(method, "/v1" + path, body, {"Authorization": f"Bearer {self.api_key}", **headers})


def _parse(response):
    try:
        return json.loads(response.content)
    except ValueError:
        return response.content.decode(errors="replace")
