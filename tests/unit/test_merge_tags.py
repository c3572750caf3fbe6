"""Merge tags: parsing, checking, rendering, fallbacks and their compilation for launch."""

import html
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import lead_fields, merge_tags
from campaigns.merge_tags import check_text, compile_steps, lead_payload, render, render_sent, tokens

KNOWN = set(lead_fields.STANDARD_FIELDS) | {"city"}


def lead(**fields):
    base = {"email": "a@example.com", "first_name": "", "last_name": "", "company": "", "job_title": ""}
    custom = fields.pop("custom_fields", {})
    return SimpleNamespace(**(base | fields), custom_fields=custom)


def kinds(text):
    return [(i.kind, i.raw, i.suggestion) for i in check_text(text, KNOWN)]


def test_it_renders_known_tokens_and_missing_ones_as_empty_like_leadterra():
    assert render("Hi {{firstName}}, {{ company }}!", {"firstName": "Ada", "company": ""}) == "Hi Ada, !"


def test_it_uses_the_fallback_only_when_the_value_is_missing():
    text = "Hi {{firstName|there}},"
    assert render(text, {"firstName": "Ada"}) == "Hi Ada,"
    assert render(text, {"firstName": ""}) == "Hi there,"
    assert render(text, {}) == "Hi there,"


def test_an_empty_fallback_counts_as_none():
    assert tokens("{{firstName|}}")[0].fallback is None
    assert tokens("{{firstName| there }}")[0].fallback == "there"


def test_it_suggests_the_right_case_for_a_misspelt_token():
    assert kinds("Hi {{firstname}}") == [("unknown", "{{firstname}}", "{{firstName}}")]
    assert kinds("{{job_title}}") == [("unknown", "{{job_title}}", "{{jobTitle}}")]
    assert kinds("{{compnay}}") == [("unknown", "{{compnay}}", "{{company}}")]


def test_an_unknown_token_without_a_near_match_is_flagged_without_a_suggestion():
    assert kinds("{{favouriteColour}}") == [("unknown", "{{favouriteColour}}", None)]


def test_custom_fields_found_in_leads_are_known():
    assert kinds("From {{city}}") == []


def test_malformed_braces_are_flagged_with_a_suggestion():
    assert kinds("Hi {{firstName}") == [("malformed", "{{firstName}", "{{firstName}}")]
    assert kinds("Hi {firstName}}") == [("malformed", "{firstName}}", "{{firstName}}")]
    assert kinds("Hi {firstName}") == [("malformed", "{firstName}", "{{firstName}}")]
    assert kinds("{{first name}}") == [("malformed", "{{first name}}", "{{firstName}}")]
    assert kinds("{{}}")[0][0] == "malformed"
    assert kinds("an {{ unclosed")[0][:2] == ("malformed", "{{")
    assert kinds("a stray }} pair")[0][:2] == ("malformed", "}}")
    assert kinds("{{{company}}}")[0][0] == "malformed"


def test_ordinary_single_braces_are_not_flagged():
    assert kinds("<style>p {color: red}</style> {not a field}") == []


def test_compile_rewrites_fallbacks_into_shared_derived_tokens():
    steps = [
        {"subject": "Hi {{firstName|there}}", "body_html": "{{ company }} {{firstName|there}} {{company|your team}}"},
        {"subject": "{{firstName|friend}}", "body_html": "{{email}}"},
    ]
    compiled, derived = compile_steps(steps)
    assert compiled[0]["subject"] == "Hi {{firstName_or_1}}"
    # In bodies every token is HTML-derived: Leadterra pastes values as they are.
    assert compiled[0]["body_html"] == "{{company_html}} {{firstName_or_1_html}} {{company_or_2_html}}"
    assert compiled[1]["subject"] == "{{firstName_or_3}}"
    assert compiled[1]["body_html"] == "{{email_html}}"
    assert derived == {
        "firstName_or_1": ("firstName", "there", False),
        "company_html": ("company", "", True),
        "firstName_or_1_html": ("firstName", "there", True),
        "company_or_2_html": ("company", "your team", True),
        "firstName_or_3": ("firstName", "friend", False),
        "email_html": ("email", "", True),
    }


def test_lead_payload_fills_derived_fields_so_leadterra_renders_the_fallback():
    compiled, derived = compile_steps([{"subject": "Hi {{firstName|there}}", "body_html": "{{city|your city}}"}])
    with_name = lead_payload(lead(first_name="Ada", custom_fields={"city": "Paris"}), derived)
    without = lead_payload(lead(), derived)
    assert with_name["firstName"] == "Ada"
    assert with_name["customFields"] == {"city": "Paris", "firstName_or_1": "Ada", "city_or_2_html": "Paris"}
    assert without["customFields"] == {"firstName_or_1": "there", "city_or_2_html": "your city"}
    # What Leadterra does with the compiled step and the payload: top-level fields, then customFields.
    values = {k: v for k, v in without.items() if k != "customFields"} | without["customFields"]
    assert render(compiled[0]["subject"], values) == "Hi there"


def test_lead_payload_without_fallbacks_or_custom_fields_has_no_custom_fields_key():
    assert "customFields" not in lead_payload(lead(first_name="Ada"))


TEXT = st.text(alphabet=st.sampled_from(list("{}| abcfirstNameompy_\n<>")), max_size=80)
VALUES = st.dictionaries(st.sampled_from(sorted(KNOWN)), st.text(alphabet="xyz ", max_size=5))


@settings(max_examples=300, deadline=None)
@given(text=TEXT, values=VALUES)
def test_rendering_never_raises_and_every_token_is_filled_or_flagged(text, values):
    output = render(text, values)
    issues = check_text(text, KNOWN)
    for token in tokens(text):
        assert token.name in KNOWN or any(i.kind == "unknown" and i.raw == token.raw for i in issues)
    # Braces left in the output are exactly the ones a human was warned about.
    if "{{" in output or "}}" in output:
        assert any(i.kind == "malformed" for i in issues), (text, output)


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_compiling_then_rendering_matches_the_preview(text):
    step = {"subject": text, "body_html": text}
    compiled, derived = compile_steps([step])
    payload = lead_payload(lead(first_name="", company="Acme"), derived)
    values = {k: v for k, v in payload.items() if k != "customFields"} | payload.get("customFields", {})
    assert render(compiled[0]["subject"], values) == render(text, merge_tags.lead_values(lead(company="Acme")))


HOSTILE = ['<script>alert("x")</script>', "A & B <b>Co</b>", "\"Head\" of 'Sales'", "{{email}}", "Multi\nLine\r\nCo"]


def test_body_values_are_html_escaped_and_subject_values_stay_raw_but_on_one_line():
    steps = [{"subject": "{{company}} / {{firstName}}", "body_html": '<p title="{{company}}">{{company}}</p>'}]
    compiled, derived = compile_steps(steps)
    for value in HOSTILE:
        payload = lead_payload(lead(company=value, first_name=value), derived)
        one_line = " ".join(value.split("\n")).replace("\r ", " ")
        assert render_sent(compiled[0]["subject"], payload) == f"{one_line} / {one_line}"
        escaped = html.escape(one_line)
        assert render_sent(compiled[0]["body_html"], payload) == f'<p title="{escaped}">{escaped}</p>'
    assert lead_payload(lead(company="Multi\nLine\r\nCo"), derived)["company"] == "Multi Line Co"


def test_a_body_fallback_is_html_already_and_is_used_as_written():
    compiled, derived = compile_steps([{"subject": "{{company|A & B}}", "body_html": "<p>{{company|A &amp; B}}</p>"}])
    payload = lead_payload(lead(), derived)
    assert render_sent(compiled[0]["subject"], payload) == "A & B"
    assert render_sent(compiled[0]["body_html"], payload) == "<p>A &amp; B</p>"
    named = lead_payload(lead(company="<i>"), derived)
    assert render_sent(compiled[0]["body_html"], named) == "<p>&lt;i&gt;</p>"


def test_a_derived_name_never_takes_over_a_field_the_steps_use():
    compiled, derived = compile_steps([{"subject": "{{company_html}}", "body_html": "{{company}} {{company_html}}"}])
    assert compiled[0]["body_html"] == "{{company_html_}} {{company_html_html}}"
    payload = lead_payload(lead(company="<A>", custom_fields={"company_html": "<custom>"}), derived)
    assert render_sent(compiled[0]["subject"], payload) == "<custom>"
    assert render_sent(compiled[0]["body_html"], payload) == "&lt;A&gt; &lt;custom&gt;"


def test_rendering_as_sent_is_one_pass_and_fills_missing_fields_with_nothing():
    payload = {"email": "a@x.com", "firstName": "{{lastName}}", "lastName": "L", "customFields": {"city": "{{x}}"}}
    assert render_sent("{{firstName}}|{{city}}|{{nope}}|{{ email }}", payload) == "{{lastName}}|{{x}}||a@x.com"


def test_control_characters_collapse_to_one_space_and_zero_width_ones_are_kept():
    assert merge_tags.single_line("a\n\n b\t\x00c\u2028d") == "a b c d"
    assert merge_tags.single_line("e\u200bf \u202e") == "e\u200bf \u202e"
    assert merge_tags.single_line(None) == ""


def test_invisible_characters_are_named_for_the_preview():
    values = {"firstName": " Ada", "company": "Multi\nLine", "city": "Pa\u200bris\u202e", "jobTitle": "CTO"}
    notes = merge_tags.invisible_notes(values, ["firstName", "company", "city", "jobTitle", "missing"])
    assert notes == [
        "{{firstName}} “␣Ada” has spaces at the start or end.",
        "{{company}} “Multi Line” has a line break or control character (sent as one space).",
        "{{city}} “Pa[U+200B]ris[U+202E]” has U+200B ZERO WIDTH SPACE, U+202E RIGHT-TO-LEFT OVERRIDE.",
    ]
    assert merge_tags.invisible_notes({"x": "  "}, ["x"]) == ["{{x}} “␣␣” has spaces at the start or end."]


VALUE = st.text(alphabet=st.sampled_from(list("ab<>&\"'{}| \n\t\u200b")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(text=TEXT, first=VALUE, company=VALUE)
def test_the_compiled_payload_renders_escaped_bodies_and_raw_subjects(text, first, company):
    """An independent oracle: our own renderer over escaped (bodies) or raw (subjects) one-line values."""
    compiled, derived = compile_steps([{"subject": text, "body_html": text}])
    payload = lead_payload(lead(first_name=first, company=company), derived)
    raw = {
        k: merge_tags.single_line(v) for k, v in merge_tags.lead_values(lead(first_name=first, company=company)).items()
    }
    # TEXT has no digit, dot or dash, so Leadterra's token syntax and ours match the same tokens.
    assert render_sent(compiled[0]["subject"], payload) == render(text, raw)
    assert render_sent(compiled[0]["body_html"], payload) == render(text, {k: html.escape(v) for k, v in raw.items()})


def test_three_steps_share_derived_tokens_number_fallbacks_and_avoid_names_in_use():
    steps = [
        {
            "subject": "Hi {{ firstName | there }}, {{ company }}",
            "body_html": "<p>{{firstName|there}} at {{company|your team}}</p>",
            "delay_days": 0,
        },
        {
            "subject": "{{firstName|friend}} / {{firstName|there}}",
            "body_html": "<p>{{firstName_or_1}} {{firstName|friend}} {{ jobTitle }}</p>",  # a custom field
            "delay_days": 3,
        },
        {"subject": "{{company|your team}}", "body_html": "{{company_html}}", "delay_days": 2},
    ]
    compiled, derived = compile_steps(steps)
    # Fallbacks are numbered per (field, fallback) in order of first use, across steps; a name a
    # step already uses (firstName_or_1, company_html) is never taken by a derived token.
    assert compiled == [
        {
            "subject": "Hi {{firstName_or_1_}}, {{company}}",
            "body_html": "<p>{{firstName_or_1_html}} at {{company_or_2_html}}</p>",
            "delay_days": 0,
        },
        {
            "subject": "{{firstName_or_3}} / {{firstName_or_1_}}",
            "body_html": "<p>{{firstName_or_1_html_}} {{firstName_or_3_html}} {{jobTitle_html}}</p>",
            "delay_days": 3,
        },
        {"subject": "{{company_or_2}}", "body_html": "{{company_html_html}}", "delay_days": 2},
    ]
    assert derived == {
        "firstName_or_1_": ("firstName", "there", False),
        "firstName_or_1_html": ("firstName", "there", True),
        "company_or_2_html": ("company", "your team", True),
        "firstName_or_3": ("firstName", "friend", False),
        "firstName_or_1_html_": ("firstName_or_1", "", True),
        "firstName_or_3_html": ("firstName", "friend", True),
        "jobTitle_html": ("jobTitle", "", True),
        "company_or_2": ("company", "your team", False),
        "company_html_html": ("company_html", "", True),
    }
    nameless = lead(first_name="", company="A&B <Co>", job_title="CTO\nlead", custom_fields={"firstName_or_1": "x"})
    named = lead(first_name="Ada <3")
    sent = []
    for who in (nameless, named):
        payload = lead_payload(who, derived)
        sent += [(render_sent(s["subject"], payload), render_sent(s["body_html"], payload)) for s in compiled]
    assert sent == [
        ("Hi there, A&B <Co>", "<p>there at A&amp;B &lt;Co&gt;</p>"),  # escaped in the body only
        ("friend / there", "<p>x friend CTO lead</p>"),  # the custom field keeps its own name
        ("A&B <Co>", ""),
        ("Hi Ada <3, ", "<p>Ada &lt;3 at your team</p>"),
        ("Ada <3 / Ada <3", "<p> Ada &lt;3 </p>"),
        ("your team", ""),
    ]
