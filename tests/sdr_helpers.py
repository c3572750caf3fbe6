"""Building an SDR world in the sandbox for tests: interested replies from named leads, the seeded SDRs."""

from dataclasses import dataclass, field

from sandbox.testing import ClientSandbox

SDR_KEY, SDR2_KEY, FORMER_KEY = "sk_test_sdr_sdr", "sk_test_sdr_sdr2", "sk_test_sdr_former"
LEADS = [
    {"email": "jane@acme.com", "firstName": "Jane", "lastName": "Doe", "company": "Acme"},
    {"email": "omar@globex.io", "firstName": "Omar", "lastName": "Haddad", "company": "Globex"},
    {"email": "li@initech.com", "firstName": "Li", "lastName": "Wei", "company": "Initech"},
]
ICP_OK = {"seniority": "vp", "employeeCount": 250}


@dataclass
class Desk:
    sb: ClientSandbox
    campaign: str
    replies: dict = field(default_factory=dict)  # email -> reply id
    sdrs: dict = field(default_factory=dict)  # key -> public id

    def as_sdr(self, key: str, method: str, path: str, body=None, **headers):
        return self.sb._call(method, "/v1" + path, body, {"Authorization": f"Bearer {key}", **headers})

    def assign(self, email: str, key: str = SDR_KEY, **extra):
        body = {"sdrId": self.sdrs[key], **ICP_OK, **extra}
        return self.sb.api("POST", f"/replies/{self.replies[email]}/assign", body)

    def thread(self, email: str, key: str = SDR_KEY, **extra) -> str:
        status, body = self.assign(email, key, **extra)
        assert status == 200, body
        return body["data"]["threadId"]

    def drafts(self, thread_id: str, key: str = SDR_KEY, count: int = 1, **extra) -> list[dict]:
        status, body = self.as_sdr(
            key, "POST", "/sdr/drafts/generate", {"threadId": thread_id, "variantCount": count, **extra}
        )
        assert status == 200, body
        return body["data"]["drafts"]

    def send(self, draft_id: str, key: str = SDR_KEY, body=None, **headers):
        return self.as_sdr(key, "POST", f"/sdr/drafts/{draft_id}/send", body or {}, **headers)

    def sends(self, key: str = SDR_KEY) -> int:
        return next(s["sends"] for s in self.sb.sdrs() if s["apiKey"] == key)


def make_desk(sb: ClientSandbox, leads: list[dict] = LEADS) -> Desk:
    """One campaign whose every lead answers `interested` an hour after step 1 (frozen clock)."""
    sb.rates(bounceRate=0, replyRate=1.0, replyMix={"interested": 1}, replyDelayHours=[1, 1])
    steps = [{"subject": "Quick question, {{firstName}}", "bodyHtml": "<p>Hi</p>", "delayDays": 0}]
    _, campaign = sb.api("POST", "/campaigns", {"name": "SDR desk", "sequenceSteps": steps})
    sb.api("POST", f"/campaigns/{campaign['id']}/leads/bulk", {"leads": leads})
    sb.api("POST", f"/campaigns/{campaign['id']}/start")
    sb.advance(hours=2)
    _, replies = sb.api("GET", f"/replies?campaignId={campaign['id']}")
    desk = Desk(sb=sb, campaign=campaign["id"])
    desk.replies = {r["email"]: r["id"] for r in replies["replies"]}
    assert len(desk.replies) == len(leads)
    desk.sdrs = {s["apiKey"]: s["id"] for s in sb.sdrs()}
    return desk


def integration_knobs(settings) -> None:
    """SDR integration tests: no client-side rate budget or sandbox rate limit, quick retries, a key to encrypt with."""
    settings.LEADTERRA_MAX_RPS = 40
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    settings.OPERATION_RETRY_BASE_SECONDS = 0.2
    settings.SDR_KEY_ENCRYPTION_KEY = "integration-secret"
