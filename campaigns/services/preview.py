"""What a campaign's emails will look like, and which leads would get a hole in them.

Reusable by any page (the editor, the review page): preview_steps() renders every step
as a lead, token_coverage() counts the leads missing each referenced token. Both take the
campaign's saved steps by default, or `steps` (dicts as in campaign_snapshot) for content
that is still being edited. Every count runs in the database: a campaign may have 100k
leads and none of them is loaded into memory except the one being previewed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact, IsNull
from django.urls import NoReverseMatch, reverse

from campaigns import lead_fields, merge_tags
from campaigns.content_checks import html_to_text, sanitize
from campaigns.models import Lead

SAMPLE_LEAD = SimpleNamespace(
    pk=None,
    email="ada@example.com",
    first_name="Ada",
    last_name="Lovelace",
    company="Analytical Engines",
    job_title="Head of Research",
    custom_fields={},
)
MAX_CUSTOM_FIELDS = 200
# The editor re-checks on every pause in typing. Lead-wide counts only change when leads do
# (or when the tokens do), so they are cached under a fingerprint of the campaign's leads;
# the TTL bounds how long an edit of an existing lead can go unnoticed.
CACHE_SECONDS = 60


@dataclass
class StepPreview:
    position: int
    day: int
    subject: str
    html: str  # the bytes Leadterra sends: sanitised body, escaped lead values (the iframe is sandboxed anyway)
    text: str


@dataclass
class Preview:
    label: str
    lead: object
    steps: list[StepPreview]
    missing: list[str] = field(default_factory=list)  # referenced tokens this lead has no value for
    invisible: list[str] = field(default_factory=list)  # what a reader can't see in the lead's values


@dataclass
class TokenCoverage:
    token: str
    known: bool
    missing: int
    fallback: str | None  # set when every use of the token has a fallback
    example: str  # the sentence around the first use, as a lead without the field reads it
    leads_url: str | None


@dataclass
class Coverage:
    total: int
    rows: list[TokenCoverage]

    @property
    def problems(self) -> list[TokenCoverage]:
        return [r for r in self.rows if r.missing and not r.fallback]


def saved_steps(campaign) -> list[dict]:
    return step_dicts(campaign.steps.order_by("position"))


def step_dicts(steps) -> list[dict]:
    """SequenceSteps already loaded, in the shape every function here takes as `steps`."""
    return [{"subject": s.subject, "body_html": s.body_html, "delay_days": s.delay_days} for s in steps]


def _leads_fingerprint(campaign) -> str:
    """Changes whenever a lead is added or removed: the stored lead count and the newest lead's
    id, one row and one index probe (a Count scanned 100k leads, three times per editor request).

    An edit of an existing lead is picked up when the entry expires (CACHE_SECONDS).
    """
    newest = Lead.objects.filter(campaign=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    row = type(campaign).objects.filter(pk=campaign.pk).values_list("lead_count", Subquery(newest)).first()
    return "{}:{}".format(*(row or (0, None)))


def _cached(campaign, what: str, names, compute, fresh: bool = False):
    """`compute()` cached per campaign and leads fingerprint; `fresh` recomputes (gates need exact numbers)."""
    digest = hashlib.sha256("\x00".join(names).encode()).hexdigest()[:16]
    # created_at too: a database restored or rolled back (tests) may reuse the pk.
    born = campaign.created_at.timestamp() if campaign.created_at else 0
    key = f"preview:{campaign.pk}:{born}:{what}:{digest}:{_leads_fingerprint(campaign)}"
    value = None if fresh else cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def custom_field_names(campaign, fresh: bool = False) -> list[str]:
    """Distinct custom-field keys across the campaign's leads, usable as tokens (cached)."""
    return _cached(campaign, "fields", [], lambda: _custom_field_names(campaign), fresh)


def _custom_field_names(campaign) -> list[str]:
    """Distinct custom-field keys across the campaign's leads, usable as tokens.

    The keys are collected by the database (json_each / jsonb_object_keys), never by
    loading leads.
    """
    table = Lead._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT k FROM {table}, jsonb_object_keys(CASE WHEN jsonb_typeof(custom_fields) = 'object' "  # noqa: S608
            f"THEN custom_fields ELSE '{{}}'::jsonb END) AS k WHERE campaign_id = %s ORDER BY 1 LIMIT %s"
        )
    else:
        sql = (
            f"SELECT DISTINCT je.key FROM {table}, json_each({table}.custom_fields) AS je "  # noqa: S608
            f"WHERE {table}.campaign_id = %s AND json_type({table}.custom_fields) = 'object' ORDER BY 1 LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, MAX_CUSTOM_FIELDS])
        keys = [row[0] for row in cursor.fetchall()]
    return [k for k in keys if lead_fields.TOKEN_NAME_RE.match(k) and k not in lead_fields.STANDARD_FIELDS]


def known_tokens(campaign, fresh: bool = False) -> set[str]:
    return set(lead_fields.STANDARD_FIELDS) | set(custom_field_names(campaign, fresh))


def referenced_tokens(steps: list[dict]) -> dict[str, list[merge_tags.Token]]:
    """Token name -> its uses across subjects and bodies, in order of first appearance."""
    uses: dict[str, list[merge_tags.Token]] = {}
    for step in steps:
        for text in (step["subject"], step["body_html"]):
            for token in merge_tags.tokens(text):
                uses.setdefault(token.name, []).append(token)
    return uses


def missing_q(token: str):
    """A condition true for leads that would render `token` as an empty string."""
    if token in lead_fields.STANDARD_FIELDS:
        return Q(**{lead_fields.STANDARD_FIELDS[token]: ""})
    # Not a `custom_fields__<token>` lookup: a key named like a lookup ("contains") would misparse.
    value = KeyTextTransform(token, "custom_fields")
    missing = Q(IsNull(value, True)) | Q(Exact(value, ""))
    if connection.vendor == "sqlite":  # SQLite's text of a JSON null is 'null' (PostgreSQL's ->> gives NULL)
        missing |= Q(Exact(value, "null"))
    return missing


def worst_case_lead(campaign, steps: list[dict] | None = None):
    """The lead missing the most referenced fields (ties: the earliest), or None without leads."""
    names = list(referenced_tokens(saved_steps(campaign) if steps is None else steps))
    leads = Lead.objects.filter(campaign=campaign)
    if not names:
        return leads.order_by("pk").first()
    score = sum(
        (Case(When(missing_q(n), then=Value(1)), default=Value(0), output_field=IntegerField()) for n in names),
        Value(0),
    )
    worst = leads.alias(score=score).order_by("-score", "pk").values_list("pk", flat=True)
    pks = _cached(campaign, "worst", names, lambda: list(worst[:1]))
    return Lead.objects.filter(pk__in=pks).first()


def _render_lead(lead, steps: list[dict]) -> list[StepPreview]:
    """The launch path in small: bodies sanitised as a save does (content still being edited
    may not be), compiled, and filled from the lead's payload as Leadterra fills them."""
    compiled, derived = merge_tags.compile_steps([{**s, "body_html": sanitize(s["body_html"])} for s in steps])
    payload = merge_tags.lead_payload(lead, derived)
    rendered, day = [], 0
    for i, step in enumerate(compiled):
        day += step["delay_days"] if i else 0
        html = merge_tags.render_sent(step["body_html"], payload)
        subject = merge_tags.render_sent(step["subject"], payload)
        rendered.append(StepPreview(i + 1, day, subject, html, html_to_text(html)))
    return rendered


def preview_steps(campaign, lead=None, steps: list[dict] | None = None, label: str = "") -> Preview:
    """Every step rendered as `lead` (a Lead, or None for the sample lead) would receive it."""
    steps = saved_steps(campaign) if steps is None else steps
    lead = lead or SAMPLE_LEAD
    values = merge_tags.lead_values(lead)
    names = list(referenced_tokens(steps))
    missing = [n for n in names if not values.get(n)]
    invisible = merge_tags.invisible_notes(values, names)
    label = label or (lead.email if lead is not SAMPLE_LEAD else "Sample lead (Ada Lovelace)")
    return Preview(label=label, lead=lead, steps=_render_lead(lead, steps), missing=missing, invisible=invisible)


def preview_choice(campaign, choice: str, steps: list[dict] | None = None) -> Preview:
    """`choice` as the editor's lead picker sends it: "worst", "sample" or a lead id."""
    if choice.isdigit():
        lead = Lead.objects.filter(campaign=campaign, pk=int(choice)).first()
        if lead:
            return preview_steps(campaign, lead, steps)
    if choice != "sample":
        lead = worst_case_lead(campaign, steps)
        if lead:
            return preview_steps(campaign, lead, steps, label=f"Worst case: {lead.email}")
    return preview_steps(campaign, None, steps)


def _example(use: merge_tags.Token, steps: list[dict], filler: str) -> str:
    """The words around a token's first use, with the token replaced by `filler`."""
    for step in steps:
        for text, is_html in ((step["subject"], False), (step["body_html"], True)):
            if use.raw not in text:
                continue
            marked = text.replace(use.raw, "\x00", 1)
            plain = html_to_text(marked) if is_html else marked
            at = plain.find("\x00")
            if at >= 0:
                before = re.split(r"[\n.!?]", plain[:at])[-1]
                after = re.split(r"[\n.!?]", plain[at + 1 :])[0]
                if len(before) > 30:  # cut at a word boundary, and say so
                    before = "…" + before[-30:].split(" ", 1)[-1]
                if len(after) > 30:
                    after = after[:30].rsplit(" ", 1)[0] + "…"
                return f"{before.lstrip()}{filler}{after.rstrip()}"
    return filler


def leads_url(campaign, token: str | None = None) -> str | None:
    """The leads table, filtered to leads missing `token` if given."""
    try:
        url = reverse("lead_list", args=[campaign.pk])
    except NoReverseMatch:  # without the leads pages routed, pages still render
        return None
    return url + f"?missing={token}" if token else url


def token_coverage(campaign, steps: list[dict] | None = None, fresh: bool = False) -> Coverage:
    """For every referenced token, how many of the campaign's leads have no value for it.

    `fresh` skips the cache: a lead edited within CACHE_SECONDS must count at submit and launch.
    """
    steps = saved_steps(campaign) if steps is None else steps
    uses = referenced_tokens(steps)
    known = known_tokens(campaign, fresh) if uses else set()
    names = list(uses)
    counts = _cached(
        campaign,
        "coverage",
        names,
        lambda: Lead.objects.filter(campaign=campaign).aggregate(
            total=Count("pk"), **{f"m{i}": Count("pk", filter=missing_q(n)) for i, n in enumerate(names)}
        ),
        fresh,
    )
    rows = []
    for i, name in enumerate(names):
        fallbacks = {u.fallback for u in uses[name]}
        fallback = None if None in fallbacks else sorted(fallbacks)[0]
        bare = next((u for u in uses[name] if u.fallback is None), uses[name][0])
        example = _example(bare, steps, fallback or "")
        url = leads_url(campaign, name)
        rows.append(TokenCoverage(name, name in known, counts[f"m{i}"] or 0, fallback, example, url))
    return Coverage(total=counts["total"], rows=rows)
