"""Friendly content warnings, the plain-text view and sanitising."""

import re

import pytest

from campaigns import merge_tags
from campaigns.content_checks import html_to_text, sanitize, step_warnings
from campaigns.email_safe import removed_parts


def joined(subject, body):
    return " | ".join(step_warnings(subject, body))


def test_a_clean_step_has_no_warnings():
    assert step_warnings("Quick question", "<p>Hi Ada,</p><p>Worth a chat?</p>") == []


def test_empty_subject_and_body_are_flagged():
    text = joined("  ", "")
    assert "subject is empty" in text and "body is empty" in text


def test_a_long_subject_is_flagged_with_its_length():
    assert "The subject is 81 characters" in joined("x" * 81, "<p>b</p>")


def test_a_large_body_many_links_and_images_without_alt_are_flagged():
    links = "".join(f'<a href="https://e.com/{i}">l{i}</a>' for i in range(4))
    text = joined("s", f"<p>{'a' * 100_001}</p>{links}<img src='https://e.com/x.png'><img alt='' src='y'>")
    assert "KB; Gmail clips" in text and "4 links" in text and "2 images without alt text" in text


def test_spam_phrases_are_found_in_subject_and_body_whatever_the_case():
    text = joined("ACT NOW", "<p>100% <b>free</b> money, click here</p>")
    assert "“act now”" in text and "“click here”" in text and "“100% free”" in text


def test_blank_lines_without_paragraph_tags_are_flagged():
    assert "blank lines collapse" in joined("s", "Hi,\n\nWorth a chat?")
    assert "blank lines collapse" not in joined("s", "<p>Hi,</p>\n\n<p>Worth a chat?</p>")


def test_the_plain_text_view_keeps_paragraphs_and_link_targets():
    html = '<p>Hi <b>Ada</b>,</p><p>See <a href="https://e.com/x">this</a>.<br>Sam</p><script>x()</script>'
    assert html_to_text(html) == "Hi Ada,\n\nSee this (https://e.com/x).\nSam"


@pytest.mark.parametrize(
    "html, text",
    [
        ("<p>unclosed <b><i>", "unclosed"),  # closed tags dropped, the words kept
        ("</p></p><", "<"),
        ("<a href='", "<a href='"),  # an unterminated tag is text: nothing typed disappears
        ("<<>>", "<<>>"),
        ("&#xZZ;", "&#xZZ;"),  # a malformed entity stays as typed
        ("<img src=x onerror=alert(1)", "<img src=x onerror=alert(1)"),
    ],
)
def test_broken_markup_never_raises_and_keeps_what_was_typed(html, text):
    assert html_to_text(html) == text
    assert step_warnings("s", html) == []


def test_sanitize_removes_scripts_handlers_and_javascript_urls():
    dirty = '<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:alert(1)">a</a><img src=x onerror=y>'
    clean = sanitize(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean and "onerror" not in clean
    assert "<p>Hi</p>" in clean


# The email policy (campaigns/email_safe.py): a hostile corpus, and what must survive it.
HOSTILE_BODIES = {
    "script": "<p>a</p><script>alert(1)</script><SCRIPT SRC=https://x.example/x.js></SCRIPT>",
    "handlers": '<img src="https://x.example/a.png" onerror=alert(1)><p onmouseover="x()">a</p><svg onload=alert(1)>',
    "javascript url": '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a>',
    "entity-encoded scheme": '<a href="&#106;avascript:alert(1)">a</a><a href="jav&#x09;ascript:alert(1)">b</a>',
    "data url": '<a href="data:text/html,<script>alert(1)</script>">a</a><img src="data:image/png;base64,AAAA">',
    "form and password": '<form action="https://evil.example"><input type="password" name="p">'
    "<button>Go</button></form>",
    "frames": '<iframe src="https://x.example"></iframe><object data="x.swf"></object><embed src="x.swf">',
    "http pixel": '<img src="http://track.example/p.gif" width="1" height="1">',
    "style block": "<style>body{background:url(https://x.example/t.gif)}</style><p>a</p>",
    "style expression": '<p style="width: expression(alert(1)); background: url(javascript:x); color: red">a</p>',
    "relative url": '<a href="/account">a</a><img src="//x.example/p.gif">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">',
}
FORBIDDEN = ("<script", "on", "javascript", "data:", "<form", "<input", "<button", "<iframe", "<object", "<embed",
             "http://", "<style", "expression", "url(", "/account", '"//x.', "<meta", "<base")  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_the_email_policy_removes_every_hostile_construct(name):
    clean = sanitize(HOSTILE_BODIES[name])
    attributes = re.findall(r"\s([a-z-]+)=", clean)
    assert not [a for a in attributes if a.startswith("on")], clean
    for forbidden in FORBIDDEN:
        assert forbidden not in clean.replace("noopener", "").lower(), (forbidden, clean)
    assert sanitize(clean) == clean  # stored bodies are their own sanitised form
    assert removed_parts(HOSTILE_BODIES[name]) and not removed_parts(clean)


def test_the_email_policy_keeps_what_mail_clients_render():
    body = (
        '<h2 style="color:#333;font-family:\'Helvetica Neue\', Arial">Hi</h2><p dir="rtl">שלום <b>a</b> <i>b</i>'
        ' <u>c</u></p><ul><li>one</li></ul><table width="100%" cellpadding="4"><tbody><tr><td align="left" '
        'style="padding:4px;background-color:rgb(240, 240, 240)">cell</td></tr></tbody></table>'
        '<a href="https://x.example/a?b=1&amp;c=2" rel="noopener noreferrer">https</a> '
        '<a href="http://x.example" rel="noopener noreferrer">http</a> '
        '<a href="mailto:sam@x.example" rel="noopener noreferrer">mail</a>'
        '<img src="https://x.example/logo.png" alt="Logo">'
    )
    assert sanitize(body) == body
    assert removed_parts(body) == []


@pytest.mark.parametrize(
    "body",
    [
        '<a href="https://x.com/?u={{email}}&amp;n={{ firstName }}" rel="noopener noreferrer">x</a>',
        '<a href="mailto:{{email}}?subject=Hi%20{{firstName|there}}" rel="noopener noreferrer">m</a>',
        '<img src="https://cdn.example/{{company}}.png" alt="{{company|our logo}}">',
        "<p>Hi {{firstName|there}}, {{ company }} &amp; {{jobTitle|you &amp; yours}}</p>",
        '<p title="{{firstName}}">{{firstName_or_1}} {{custom_field}}</p>',
    ],
)
def test_merge_tokens_survive_the_policy_untouched_even_inside_attributes(body):
    assert sanitize(body) == body
    assert [t.raw for t in merge_tags.tokens(sanitize(body))] == [t.raw for t in merge_tags.tokens(body)]


def test_a_link_or_image_whose_url_starts_with_a_token_is_dropped():
    """A lead value could be `javascript:…`; the scheme must be the author's, fixed in the body."""
    clean = sanitize('<a href="{{website}}">a</a><img src="{{logo}}" alt="x"><a href=" {{url}}">b</a>')
    assert "{{" not in clean and "<img" not in clean
    assert removed_parts('<a href="{{website}}">a</a>') == ["href “{{website}}”"]


def test_removed_parts_name_what_went_and_a_warning_shows_it_before_saving():
    body = '<p onclick="x()">Hi</p><script>x()</script><img src="http://t.example/p.gif">'
    assert removed_parts(body) == ["<img>", "<script>", "image “http://t.example/p.gif”", "onclick="]
    styled = '<p style="color: red; width:expression(alert(1))">a</p>'
    assert removed_parts(styled) == ["style “width:expression(alert(1))”"]
    warning = next(w for w in step_warnings("Hi", body) if w.startswith("Removed when saved"))
    assert "<script>" in warning and "onclick=" in warning
    assert not [w for w in step_warnings("Hi", sanitize(body)) if w.startswith("Removed")]
