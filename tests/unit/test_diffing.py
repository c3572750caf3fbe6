"""Word-level diffs for reviews: escaped text, <ins>/<del> only around what changed."""

from campaigns.diffing import diff_words, sequence_diff, tokenize


def snapshot(*steps, name="Q1 CFOs"):
    return {"name": name, "steps": [{"subject": s, "body_html": b, "delay_days": d} for s, b, d in steps]}


def test_it_marks_changed_words_only():
    assert diff_words("Hello there friend", "Hello dear friend") == "Hello <del>there</del><ins>dear</ins> friend"


def test_it_escapes_user_text_before_marking_it():
    html = diff_words("<p>Hi</p>", "<p>Hi <script>alert(1)</script></p>")
    assert "<script>" not in html
    assert "<ins> &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html


def test_an_ampersand_in_unchanged_text_is_escaped_once():
    assert diff_words("Fish & chips", "Fish & chips") == "Fish &amp; chips"


def test_tags_and_merge_tokens_are_single_tokens():
    assert tokenize('<a href="x">Hi {{firstName|there}}</a>') == [
        '<a href="x">',
        "Hi",
        " ",
        "{{firstName|there}}",
        "</a>",
    ]
    assert diff_words("Hi {{firstName}}", "Hi {{company}}") == "Hi <del>{{firstName}}</del><ins>{{company}}</ins>"


def test_a_campaign_never_approved_is_all_new():
    diff = sequence_diff(None, snapshot(("Hi", "Body", 0), ("Again", "More", 3)))
    assert diff.is_new and diff.changed
    assert [s.change for s in diff.steps] == ["new", "new"]
    assert diff.steps[1].body == "<ins>More</ins>"


def test_identical_content_has_no_changes():
    content = snapshot(("Hi", "Body", 0))
    diff = sequence_diff(content, content)
    assert not diff.changed
    assert diff.counts == {"new": 0, "removed": 0, "changed": 0, "unchanged": 1}


def test_subject_body_and_delay_changes_show_per_step():
    approved = snapshot(("Hi {{firstName}}", "<p>We save you time</p>", 0), ("Follow up", "Any news?", 3))
    current = snapshot(("Hi {{firstName}}", "<p>We save you money</p>", 0), ("Following up", "Any news?", 5))
    diff = sequence_diff(approved, current)
    first, second = diff.steps
    assert first.change == "changed" and "<del>time</del><ins>money</ins>" in first.body
    assert second.change == "changed" and second.subject == "<del>Follow</del><ins>Following</ins> up"
    assert (second.old_delay, second.new_delay, second.delay_changed) == (3, 5, True)


def test_a_step_inserted_in_the_middle_is_one_new_step():
    approved = snapshot(("One", "a", 0), ("Three", "c", 4))
    current = snapshot(("One", "a", 0), ("Two", "b", 2), ("Three", "c", 4))
    diff = sequence_diff(approved, current)
    assert [(s.change, s.position) for s in diff.steps] == [("unchanged", 1), ("new", 2), ("unchanged", 3)]


def test_a_removed_step_keeps_its_old_text_struck_out():
    diff = sequence_diff(snapshot(("One", "a", 0), ("Two", "b", 2)), snapshot(("One", "a", 0)))
    removed = diff.steps[1]
    assert (removed.change, removed.position, removed.old_position) == ("removed", None, 2)
    assert removed.subject == "<del>Two</del>"


def test_a_renamed_campaign_shows_the_name_diff():
    diff = sequence_diff(snapshot(name="Q1 CFOs"), snapshot(name="Q2 CFOs"))
    assert diff.name_changed and diff.name == "<del>Q1</del><ins>Q2</ins> CFOs"


def test_a_rewritten_phrase_reads_as_one_change_not_word_by_word():
    html = diff_words("is growing its finance team.", "is hiring two controllers.")
    assert html == "is <del>growing its finance team</del><ins>hiring two controllers</ins>."
