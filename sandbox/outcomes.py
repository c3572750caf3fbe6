"""Outcomes of a send, drawn from configurable rates with a fixed seed.

Each draw hashes (workspace seed, lead id, step, purpose): the result of a message does
not depend on when or in which batch it was processed, so a run is reproducible.
"""

import hashlib
from dataclasses import dataclass

DEFAULT_RATES = {
    "bounceRate": 0.04,  # share of sends that bounce
    "hardBounceShare": 0.5,  # share of bounces that are hard (suppressed)
    "openRate": 0.45,  # share of delivered messages opened
    "replyRate": 0.06,  # share of delivered messages answered
    "replyDelayHours": [0.5, 8],  # a reply arrives this long after its message (simulated)
    "warmupDays": 3,  # a warming sender turns active after this many simulated days
    "replyMix": {
        "interested": 0.3,
        "not_interested": 0.3,
        "out_of_office": 0.2,
        "unsubscribe": 0.12,
        "referral": 0.05,
        "bounce": 0.03,
    },
}

SNIPPETS = {
    "interested": [
        "Thanks for reaching out — could we talk Thursday afternoon?",
        "This looks relevant. Can you send pricing for a team of 20?",
        "Happy to chat. What does onboarding look like?",
    ],
    "not_interested": [
        "Not a fit for us right now, thanks.",
        "We already have a vendor for this. Please don't follow up.",
        "No thank you.",
    ],
    "out_of_office": [
        "I'm out of the office until Monday with limited access to email.",
        "On parental leave until next quarter; please contact my colleague.",
    ],
    "unsubscribe": ["Please remove me from your list.", "Unsubscribe."],
    "referral": ["I'm not the right person — try our head of operations, Dana."],
    "bounce": ["Delivery Status Notification (Failure): mailbox unavailable."],
}

BOUNCE_REASONS = {
    "hard": ["550 5.1.1 mailbox does not exist", "550 5.1.2 domain not found"],
    "soft": ["452 4.2.2 mailbox full", "421 4.7.0 try again later"],
}

MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    # splitmix64 finaliser: cheap, well spread, and the same on every platform.
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def lead_dice(email: str, campaign_number: int) -> int:
    digest = int.from_bytes(hashlib.blake2b(email.encode(), digest_size=8).digest(), "big")
    return _mix(digest ^ campaign_number) >> 1  # fits a signed 64-bit column


def uniform(seed: int, dice: int, step: int, purpose: int) -> float:
    h = _mix(_mix(_mix(seed & MASK) ^ dice) ^ (step << 8 | purpose))
    return (h >> 11) / float(1 << 53)


def rates_with(overrides: dict | None) -> dict:
    rates = dict(DEFAULT_RATES)
    rates.update(overrides or {})
    return rates


@dataclass(frozen=True)
class Outcome:
    bounce: str  # "" | "hard" | "soft"
    bounce_reason: str
    opened: bool
    reply: str  # "" or a classification
    reply_delay: float  # simulated seconds after the send


def draw(rates: dict, seed: int, dice: int, step: int) -> Outcome:
    u = [uniform(seed, dice, step, purpose) for purpose in range(6)]
    if u[0] < rates["bounceRate"]:
        kind = "hard" if u[1] < rates["hardBounceShare"] else "soft"
        reasons = BOUNCE_REASONS[kind]
        return Outcome(kind, reasons[int(u[2] * len(reasons))], False, "", 0.0)
    opened = u[2] < rates["openRate"]
    if u[3] >= rates["replyRate"]:
        return Outcome("", "", opened, "", 0.0)
    low, high = rates["replyDelayHours"]
    delay = (low + (high - low) * u[5]) * 3600
    return Outcome("", "", opened, _pick(rates["replyMix"], u[4]), delay)


def _pick(mix: dict, u: float) -> str:
    total = sum(mix.values()) or 1.0
    acc = 0.0
    for name, weight in mix.items():
        acc += weight / total
        if u < acc:
            return name
    return next(iter(mix))


def snippet(classification: str, seed: int, dice: int) -> str:
    choices = SNIPPETS.get(classification) or ["Thanks for your note."]
    return choices[int(uniform(seed, dice, 0, 9) * len(choices))]
