"""Merge tags: parsing, checking, rendering, fallbacks and their compilation for launch."""

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import merge_tags
from campaigns.merge_tags import check_text, compile_steps, lead_payload, render, tokens

KNOWN = set(merge_tags.STANDARD_FIELDS) | {"city"}


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
    assert compiled[0]["body_html"] == "{{company}} {{firstName_or_1}} {{company_or_2}}"
    assert compiled[1]["subject"] == "{{firstName_or_3}}"
    assert derived == {
        "firstName_or_1": ("firstName", "there"),
        "company_or_2": ("company", "your team"),
        "firstName_or_3": ("firstName", "friend"),
    }


def test_lead_payload_fills_derived_fields_so_leadterra_renders_the_fallback():
    compiled, derived = compile_steps([{"subject": "Hi {{firstName|there}}", "body_html": "{{city|your city}}"}])
    with_name = lead_payload(lead(first_name="Ada", custom_fields={"city": "Paris"}), derived)
    without = lead_payload(lead(), derived)
    assert with_name["firstName"] == "Ada"
    assert with_name["customFields"] == {"city": "Paris", "firstName_or_1": "Ada", "city_or_2": "Paris"}
    assert without["customFields"] == {"firstName_or_1": "there", "city_or_2": "your city"}
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
