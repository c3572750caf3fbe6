"""Drafted answers and sending them (leadterra-api.md §5), without a language model.

Drafts come from three fixed templates (one per approach), filled from the thread's lead.
Before a send, plain rules score the final text (length, links, whether the prospect's
name and company appear, banned phrases); a blocking issue answers 422 with the scores.
Sending is not idempotent: each accepted call is one more message (no Idempotency-Key replay).
"""

import html
import re

from django.db.models import F

from .api import ApiError, Call, endpoint, invalid, json_object
from .models import Draft, Sdr, Thread, new_id
from .router import SANDBOX_DB as DB
from .sdr import data, own_thread
from .sdr_followups import after_send

# (approach, confidence, rationale, paragraphs); {first}, {company}, {sender} are filled in.
TEMPLATES = [
    (
        "book_a_call",
        0.82,
        "They asked to talk: propose two concrete slots so the next step is a yes.",
        [
            "Hi {first},",
            "Thanks for getting back to me. Happy to walk you through how {company} could use this. "
            "Would Tuesday or Thursday afternoon work for a twenty-minute call?",
            "Best,\n{sender}",
        ],
    ),
    (
        "answer_first",
        0.74,
        "Answer what they asked before asking for time: it builds trust with a busy reader.",
        [
            "Hi {first},",
            "Good question. Teams like {company} usually start with one workflow, see results within "
            "a few weeks, and grow from there. I can send a one-page summary before a short call if that helps.",
            "What does your week look like?",
            "Best,\n{sender}",
        ],
    ),
    (
        "qualify",
        0.66,
        "Ask one qualifying question so the first call is useful to both sides.",
        [
            "Hi {first},",
            "Glad this landed at the right time. Before we talk, may I ask how {company} handles this today, "
            "and who else would weigh in on a change?",
            "That way our call is useful from the first minute.",
            "Thanks,\n{sender}",
        ],
    ),
]
APPLIED_RULES = ["greet the prospect by first name", "name their company", "no links in a first answer"]

# Guardrails (decided): a blocking issue stops the send; a warning only lowers the scores.
BANNED_PHRASES = ("guarantee", "risk-free", "act now", "100% free", "click here", "limited time", "no obligation")
SHORTENERS = ("bit.ly", "tinyurl.com", "t.co/", "goo.gl", "ow.ly")
LINK = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
MIN_WORDS, MAX_WORDS = 8, 250  # outside: blocked
EASY_WORDS = (25, 150)  # inside: full readability
MAX_LINKS = 2


def first_name(thread: Thread) -> str:
    return thread.contact_name.split(" ")[0] if thread.contact_name else ""


@endpoint("POST", sdr=True)
def generate(request, call: Call):
    body = json_object(request, {"threadId", "instructions", "variantCount"})
    if not isinstance(body.get("threadId"), str) or not body["threadId"]:
        raise invalid("threadId is required.")
    instructions = body.get("instructions", "")
    if not isinstance(instructions, str) or len(instructions) > 2000:
        raise invalid("instructions must be a string of at most 2,000 characters.")
    count = body.get("variantCount", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 3:
        raise invalid("variantCount must be 1, 2 or 3.")
    thread = own_thread(call, body["threadId"])
    drafts = [_draft(call, thread, template, instructions) for template in TEMPLATES[:count]]
    rules = APPLIED_RULES + ([f"followed the instructions: {instructions.strip()}"] if instructions.strip() else [])
    return 200, data(
        {
            "drafts": [
                {"id": d.public_id, "subject": d.subject, "bodyText": d.body_text, "bodyHtml": d.body_html}
                for d in drafts
            ],
            "insights": [
                {"draftId": d.public_id, "approach": d.approach, "confidence": d.confidence, "rationale": d.rationale}
                for d in drafts
            ],
            "appliedRules": rules,
        }
    )


def _draft(call: Call, thread: Thread, template: tuple, instructions: str) -> Draft:
    approach, confidence, rationale, paragraphs = template
    values = {"first": first_name(thread) or "there", "company": thread.company or "your team", "sender": call.sdr.name}
    filled = [p.format(**values) for p in paragraphs]
    if instructions.strip():
        rationale += f" Written with your instructions in mind: {instructions.strip()}"
    return Draft.objects.using(DB).create(
        thread=thread,
        public_id=new_id("drf_"),
        subject=thread.subject if thread.subject.lower().startswith("re:") else f"Re: {thread.subject}",
        body_text="\n\n".join(filled),
        body_html="".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in filled),
        approach=approach,
        confidence=confidence,
        rationale=rationale,
        created_at=call.now,
    )


@endpoint("POST", sdr=True, replay=False)
def send(request, call: Call, draft_id: str):
    body = json_object(request, {"finalBodyHtml", "finalBodyText", "additionalCc"})
    for key in ("finalBodyHtml", "finalBodyText"):
        if key in body and not isinstance(body[key], str):
            raise invalid(f"{key} must be a string.")
    cc = body.get("additionalCc", [])
    if not isinstance(cc, list) or not all(isinstance(c, str) for c in cc):
        raise invalid("additionalCc must be a list of email addresses.")
    draft = Draft.objects.using(DB).filter(public_id=draft_id, thread__sdr=call.sdr).select_related("thread").first()
    if draft is None:
        raise ApiError(404, "draft_not_found", f"No draft {draft_id!r} in this SDR's threads.")
    if call.sdr.health_state in ("needs_reauth", "disconnected"):
        raise ApiError(
            409, "gmail_unavailable", f"The SDR's Gmail is {call.sdr.health_state}: reconnect it, then send again."
        )
    text = body.get("finalBodyText") or _text(body.get("finalBodyHtml", "")) or draft.body_text
    checks = guardrails(text, first_name(draft.thread), draft.thread.company)
    if checks["blocked"]:
        reasons = "; ".join(i["message"] for i in checks["issues"] if i["severity"] == "block")
        raise ApiError(
            422, "guardrails_blocked", f"The pre-send checks blocked it: {reasons}", extra={"guardrails": checks}
        )
    Sdr.objects.using(DB).filter(pk=call.sdr.pk).update(sends=F("sends") + 1)
    thread = draft.thread
    thread.status, thread.last_message_at = "awaiting_reply", call.now
    thread.save(using=DB, update_fields=["status", "last_message_at"])
    after_send(thread, call.now)
    return 200, data({"messageId": new_id("msg_"), "guardrails": checks})


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).strip()


def _issue(code: str, severity: str, message: str) -> dict:
    return {"code": code, "severity": severity, "message": message}


def guardrails(text: str, first: str, company: str) -> dict:
    """Scores 0-100 and issues; blocked when any issue has severity `block`."""
    issues = []
    lowered = text.lower()
    words = len(re.findall(r"\w+", text))
    if words < MIN_WORDS:
        issues.append(_issue("too_short", "block", f"the message has {words} words; write at least {MIN_WORDS}"))
    elif words > MAX_WORDS:
        issues.append(_issue("too_long", "block", f"the message has {words} words; keep it under {MAX_WORDS}"))
    readability = 100 if EASY_WORDS[0] <= words <= EASY_WORDS[1] else 70 if MIN_WORDS <= words <= MAX_WORDS else 20
    personalization, missing = 0, []
    for label, value in (("first name", first), ("company", company)):
        if not value:
            personalization += 25  # nothing to check against: half marks, no issue
        elif value.lower() in lowered:
            personalization += 50
        else:
            missing.append(f"the prospect's {label} ({value})")
    if len(missing) == 2:
        issues.append(_issue("not_personal", "block", f"neither {missing[0]} nor {missing[1]} appears"))
    elif missing:
        issues.append(_issue("not_personal", "warn", f"{missing[0]} does not appear"))
    link_quality = _links(text, issues)
    banned = [p for p in BANNED_PHRASES if p in lowered]
    issues += [_issue("banned_phrase", "block", f"the phrase {p!r} reads as spam") for p in banned]
    overall = max(0, round((readability + personalization + link_quality) / 3) - 25 * len(banned))
    return {
        "blocked": any(i["severity"] == "block" for i in issues),
        "issues": issues,
        "scores": {
            "overall": overall,
            "readability": readability,
            "personalization": personalization,
            "linkQuality": link_quality,
        },
    }


def _links(text: str, issues: list) -> int:
    links = LINK.findall(text)
    short = [link for link in links if any(s in link.lower() for s in SHORTENERS)]
    if short:
        issues.append(_issue("link_shortener", "block", f"a shortened link ({short[0]}) hides where it goes"))
        return 0
    if len(links) > MAX_LINKS:
        issues.append(_issue("too_many_links", "block", f"{len(links)} links; use at most {MAX_LINKS}"))
        return 0
    if links:
        issues.append(_issue("has_links", "warn", f"{len(links)} link(s) in an answer lower deliverability"))
    return (100, 85, 60)[len(links)]
