"""Friendly content warnings, the plain-text view and sanitising."""

from campaigns.content_checks import html_to_text, sanitize, step_warnings


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


def test_broken_markup_never_raises():
    for html in ["<p>unclosed <b><i>", "</p></p><", "<a href='", "<<>>", "&#xZZ;", "<img src=x onerror=alert(1)"]:
        html_to_text(html)
        step_warnings("s", html)


def test_sanitize_removes_scripts_handlers_and_javascript_urls():
    dirty = '<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:alert(1)">a</a><img src=x onerror=y>'
    clean = sanitize(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean and "onerror" not in clean
    assert "<p>Hi</p>" in clean
