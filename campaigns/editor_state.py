"""The sequence editor's unsaved state: parsed from the form, validated, rearranged.

The whole editor is one form, so the browser always holds the author's work: adding,
removing or moving a step re-renders the form from what was posted (nothing is saved
until Save), and a refused save (invalid, or a version conflict) re-renders the same
content. Pure functions; the views turn a request into an EditorState and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from campaigns.models import SequenceStep

NAME_MAX = 200
SUBJECT_MAX = SequenceStep._meta.get_field("subject").max_length
DELAY_MAX = 365
MAX_STEPS = 20


@dataclass
class StepState:
    subject: str = ""
    body_html: str = ""
    delay: str = "0"  # as typed: validated into delay_days
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def delay_days(self) -> int:
        try:
            return max(0, int(self.delay))
        except ValueError:
            return 0

    def as_content(self, position: int) -> dict:
        return {"subject": self.subject, "body_html": self.body_html, "delay_days": self.delay_days if position else 0}


@dataclass
class EditorState:
    name: str
    steps: list[StepState]
    base_version: int
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors and not any(s.errors for s in self.steps)

    def content(self) -> dict:
        """The snapshot shape of campaigns.services.versions.campaign_snapshot."""
        return {"name": self.name, "steps": [s.as_content(i) for i, s in enumerate(self.steps)]}

    def step_dicts(self) -> list[dict]:
        return self.content()["steps"]


def state_from_campaign(campaign) -> EditorState:
    steps = [
        StepState(subject=s.subject, body_html=s.body_html, delay=str(s.delay_days))
        for s in campaign.steps.order_by("position")
    ]
    return validate(EditorState(name=campaign.name, steps=steps, base_version=campaign.version))


def state_from_post(data) -> EditorState:
    """Read the form. Lists are parallel: the n-th subject, body and delay make step n."""
    subjects, bodies, delays = data.getlist("subject"), data.getlist("body_html"), data.getlist("delay_days")
    count = min(max(len(subjects), len(bodies)), MAX_STEPS)
    steps = []
    for i in range(count):
        steps.append(
            StepState(
                subject=(subjects[i] if i < len(subjects) else "").replace("\r\n", "\n"),
                body_html=(bodies[i] if i < len(bodies) else "").replace("\r\n", "\n"),
                delay=(delays[i] if i < len(delays) else "0").strip(),
            )
        )
    try:
        base_version = int(data.get("base_version", ""))
    except ValueError:
        base_version = -1  # never matches: the save reports a conflict instead of guessing
    return validate(EditorState(name=data.get("name", "").strip(), steps=steps, base_version=base_version))


def validate(state: EditorState) -> EditorState:
    """Blocking errors only (what Leadterra would refuse); style advice lives in content_checks."""
    state.errors = {}
    if not state.name:
        state.errors["name"] = "Give the campaign a name."
    elif len(state.name) > NAME_MAX:
        state.errors["name"] = f"Keep the name under {NAME_MAX} characters."
    for i, step in enumerate(state.steps):
        step.errors = {}
        if len(step.subject) > SUBJECT_MAX:
            step.errors["subject"] = f"Subjects are limited to {SUBJECT_MAX} characters."
        if i == 0:
            step.delay = "0"  # the first step goes out when the campaign starts
            continue
        if not step.delay:
            step.errors["delay_days"] = "How many days after the previous step?"
        elif not step.delay.isdigit():
            step.errors["delay_days"] = "Whole days, 0 or more."
        elif int(step.delay) > DELAY_MAX:
            step.errors["delay_days"] = f"At most {DELAY_MAX} days."
    return state


def apply_op(state: EditorState, op: str) -> tuple[EditorState, int | None, str]:
    """Apply `add`, `remove:i`, `duplicate:i`, `up:i` or `down:i`.

    Returns the state, the index of the step to focus next, and what happened (for a toast
    and screen readers).
    """
    verb, _, arg = op.partition(":")
    steps = state.steps
    index = int(arg) if arg.isdigit() and int(arg) < len(steps) else None
    if verb == "add":
        if len(steps) >= MAX_STEPS:
            return state, len(steps) - 1, f"A sequence has at most {MAX_STEPS} steps."
        steps.append(StepState(delay="0" if not steps else "3"))
        return validate(state), len(steps) - 1, f"Step {len(steps)} added."
    if index is None:
        return state, None, "Nothing changed."
    if verb == "remove":
        steps.pop(index)
        return validate(state), min(index, len(steps) - 1) if steps else None, f"Step {index + 1} removed."
    if verb == "duplicate" and len(steps) < MAX_STEPS:
        original = steps[index]
        steps.insert(index + 1, StepState(original.subject, original.body_html, original.delay or "0"))
        return validate(state), index + 1, f"Step {index + 1} duplicated as step {index + 2}."
    target = {"up": index - 1, "down": index + 1}.get(verb)
    if target is None or not 0 <= target < len(steps):
        return state, index, "Nothing changed."
    gap = steps[1].delay
    steps[index], steps[target] = steps[target], steps[index]
    if 0 in (index, target):  # step 1 always goes at start; the gap to step 2 stays as it was
        steps[0].delay, steps[1].delay = "0", gap
    return validate(state), target, f"Step {index + 1} moved to position {target + 1}."


def timeline(steps: list[StepState]) -> list[int]:
    """The day each step lands, counted from the start (step 1 on day 0)."""
    days, day = [], 0
    for i, step in enumerate(steps):
        day += step.delay_days if i else 0
        days.append(day)
    return days
