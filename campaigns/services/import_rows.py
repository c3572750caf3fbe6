"""One CSV record → one staging tuple: the email checked, the mapped cells cleaned.

This is the per-row half of an import, so it is written for speed: the column plan is
resolved once, the email takes the ASCII fast path of `email_normalise` when it can, and
each row becomes a plain tuple in the staging table's column order (see STAGED_COLUMNS),
ready for COPY. Everything that needs more than one row (duplicates, suppression, the
upsert) is decided later in SQL, over the whole staged file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from json import dumps
from json.encoder import encode_basestring

from campaigns import lead_fields
from campaigns.services.csv_import import CsvProblem
from campaigns.services.emails import InvalidEmail, email_normalise, is_role_address

MAX_STANDARD_CHARS = 200  # the Lead columns' max_length
MAX_CUSTOM_CHARS = 1000
TEXT_ATTRS = list(lead_fields.TEXT_FIELDS.values())  # first_name, last_name, company, job_title
# The staging table's columns, in the order row_tuple() fills them.
STAGED_COLUMNS = [
    "lead_import_id",
    "row_number",
    "email",
    *TEXT_ATTRS,
    "custom_fields",
    "is_role_address",
    "problem",
    "outcome",
]
_NO_FIELDS = ("",) * len(TEXT_ATTRS)


@dataclass
class ColumnPlan:
    """Which column feeds which field, resolved once per import."""

    email: int
    standard: dict[int, str] = field(default_factory=dict)  # column -> Lead attribute
    custom: dict[int, str] = field(default_factory=dict)  # column -> merge token
    custom_keys: list[tuple[int, str]] = field(default_factory=list)  # column -> '"token": ' (JSON)

    @classmethod
    def from_mapping(cls, mapping: dict[str, str]) -> ColumnPlan:
        plan = cls(email=-1)
        for column, token in mapping.items():
            if token == "email":
                plan.email = int(column)
            elif token in lead_fields.TEXT_FIELDS:
                plan.standard[int(column)] = lead_fields.TEXT_FIELDS[token]
            elif token:
                plan.custom[int(column)] = token
        if plan.email < 0:
            raise CsvProblem("No column is mapped to Email.")
        plan.custom_keys = [(column, dumps(token) + ": ") for column, token in plan.custom.items()]
        return plan

    def slots(self) -> list[tuple[int, int]]:
        """(column, position in TEXT_ATTRS) for the mapped standard fields."""
        return [(column, TEXT_ATTRS.index(attr)) for column, attr in self.standard.items()]


def _cell(cells: list[str], column: int) -> str:
    if column >= len(cells):
        return ""
    value = cells[column]
    # lead_fields.single_line, its common case inlined: one call fewer per cell of a large file
    return value.strip() if value.isascii() and value.isprintable() else lead_fields.single_line(value)


def _fields(cells: list[str], plan: ColumnPlan, slots) -> tuple[tuple, str, str]:
    """(the four text fields, custom fields as JSON, problem): cells cleaned to one line."""
    values = list(_NO_FIELDS)
    for column, slot in slots:
        value = _cell(cells, column)
        if len(value) > MAX_STANDARD_CHARS:
            attr = TEXT_ATTRS[slot].replace("_", " ")
            return _NO_FIELDS, "{}", f"{attr} is longer than {MAX_STANDARD_CHARS} characters"
        values[slot] = value
    custom = []
    for column, key in plan.custom_keys:
        value = _cell(cells, column)
        if len(value) > MAX_CUSTOM_CHARS:
            return _NO_FIELDS, "{}", f"{plan.custom[column]} is longer than {MAX_CUSTOM_CHARS} characters"
        if value:
            custom.append(key + encode_basestring(value))  # JSON written directly: json.dumps per row costs more
    return tuple(values), ("{" + ", ".join(custom) + "}" if custom else "{}"), ""


def row_tuple(import_id: int, number: int, cells: list[str], plan: ColumnPlan, slots) -> tuple:
    """The staging row for one record; a refused row keeps its email as written and says why."""
    raw_email = cells[plan.email] if plan.email < len(cells) else ""
    try:
        email = email_normalise(raw_email)
    except InvalidEmail as exc:
        raw_email = raw_email.replace("\x00", "\ufffd")  # for the report; PostgreSQL text cannot hold NUL
        return (import_id, number, raw_email, *_NO_FIELDS, "{}", False, f"invalid email: {exc}", "")
    values, custom, problem = _fields(cells, plan, slots)
    if problem:
        return (import_id, number, raw_email, *_NO_FIELDS, "{}", False, problem, "")
    return (import_id, number, email, *values, custom, is_role_address(email), "", "")
