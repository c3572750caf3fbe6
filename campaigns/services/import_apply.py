"""The end of an import, as a few set-based statements over its staged rows.

Run inside the one short transaction that changes the campaign's leads:
1. classify: a valid row whose address an earlier valid row already had is a duplicate of
   that row; a first occurrence on the suppression list is suppressed; the rest become leads;
2. count what will happen (new, updated, unchanged) against the campaign's leads;
3. upsert: INSERT … SELECT … ON CONFLICT (campaign, email) DO UPDATE, where an update
   replaces only the fields the row gave, merges custom fields, gives a rejected lead
   another chance, and touches only leads whose values change;
4. the problem report, read back in row order.

The SQL is the same on PostgreSQL and SQLite (both have ON CONFLICT, UPDATE … FROM and
window-free grouping) except for merging JSON: jsonb `||` and `@>` against `json_patch`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from campaigns.models import Lead, LeadImportRow, SuppressedEmail
from campaigns.services.import_rows import TEXT_ATTRS

# The statements below are assembled from model table names and constant column names only;
# every value is a query parameter (hence the S608 waivers).

ROLE_PROBLEM = "role address (a shared mailbox, not a person)"
SUPPRESSED_PROBLEM = "on the suppression list"


def _names() -> dict:
    q = connection.ops.quote_name
    return {
        "staged": q(LeadImportRow._meta.db_table),
        "lead": q(Lead._meta.db_table),
        "suppressed": q(SuppressedEmail._meta.db_table),
    }


def _changed(new: str, old: str) -> str:
    """SQL: the staged row `new` would change the lead `old`."""
    fields = [f"({new}.{a} <> '' AND {new}.{a} <> {old}.{a})" for a in TEXT_ATTRS]
    if connection.vendor == "postgresql":
        custom = f"NOT ({old}.custom_fields @> {new}.custom_fields)"
    else:  # json() writes the stored text the way json_patch writes its result
        custom = f"json_patch({old}.custom_fields, {new}.custom_fields) <> json({old}.custom_fields)"
    return " OR ".join([*fields, custom])


def _merged_custom(new: str, old: str) -> str:
    if connection.vendor == "postgresql":
        return f"{old}.custom_fields || {new}.custom_fields"
    return f"json_patch({old}.custom_fields, {new}.custom_fields)"


def relax_commit(cursor) -> None:
    """Let PostgreSQL return from this commit before its log reaches the disk.

    Flushing the log of a 100,000-lead transaction took seconds. A server crash in that
    window loses the whole transaction (leads and the import's success together), and the
    sweeper then runs the import again: the leads end up the same.
    """
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def prepare(cursor) -> None:
    """PostgreSQL: statistics of the freshly staged rows, and memory to sort them in.

    Autovacuum has not seen a just-staged file: the planner took 100,000 rows for one and
    chose nested loops (against every lead of the campaign, for each staged row). The plans
    need the row count, not fine distributions: a sample of 3,000 rows (statistics target
    10) gives it, where the default 30,000 cost ~0.3 s of a 100,000-row apply. The upsert
    sorts the import's rows by row number; 4 MB made that sort spill to disk. JIT off: these
    statements run once, and a large staging table's costs would cross the JIT threshold
    (compiling costs more than it saves here).
    """
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL default_statistics_target TO 10")
        cursor.execute(f"ANALYZE {_names()['staged']}")
        cursor.execute("SET LOCAL work_mem TO '64MB'")
        cursor.execute("SET LOCAL jit TO off")


def classify(cursor, import_id: int) -> None:
    """Mark duplicates (with the row they repeat) and suppressed addresses among the valid rows."""
    n = _names()
    cursor.execute(
        # One pass over the import's rows (a window per address), then the repeats by primary key:
        # no index on the address needed, which every staged row would pay for.
        f"""UPDATE {n["staged"]} AS s SET outcome = 'duplicate', first_row = f.first
        FROM (SELECT id, row_number, MIN(row_number) OVER (PARTITION BY email) AS first FROM {n["staged"]}
              WHERE lead_import_id = %s AND problem = '') AS f
        WHERE s.id = f.id AND f.row_number > f.first""",  # noqa: S608
        [import_id],
    )
    cursor.execute(
        f"""UPDATE {n["staged"]} SET outcome = 'suppressed'
        WHERE lead_import_id = %s AND problem = '' AND outcome = ''
          AND email IN (SELECT email FROM {n["suppressed"]})""",  # noqa: S608
        [import_id],
    )


def count(cursor, import_id: int, campaign_id: int) -> dict:
    """What the upsert will do, and what the rows were (the import's counts)."""
    n = _names()
    cursor.execute(
        f"""SELECT COUNT(*),
            SUM(CASE WHEN s.problem <> '' THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.outcome = 'duplicate' THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.outcome = 'suppressed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.problem = '' AND s.outcome = '' AND s.is_role_address THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.problem = '' AND s.outcome = '' AND l.id IS NULL THEN 1 ELSE 0 END),
            SUM(CASE WHEN l.id IS NOT NULL AND ({_changed("s", "l")}) THEN 1 ELSE 0 END),
            SUM(CASE WHEN l.id IS NOT NULL THEN 1 ELSE 0 END)
        FROM {n["staged"]} AS s
        LEFT JOIN {n["lead"]} AS l
          ON s.problem = '' AND s.outcome = '' AND l.campaign_id = %s AND l.email = s.email
        WHERE s.lead_import_id = %s""",  # noqa: S608
        [campaign_id, import_id],
    )
    rows, invalid, duplicate, suppressed, flagged, new, updated, existing = (v or 0 for v in cursor.fetchone())
    return {
        "rows": rows,
        "new": new,
        "updated": updated,
        "unchanged": existing - updated,
        "invalid": invalid,
        "duplicate": duplicate,
        "suppressed": suppressed,
        "flagged": flagged,
    }


def upsert(cursor, *, import_id: int, campaign_id: int, now) -> None:
    """Insert the new leads (in file order) and update the existing ones that change."""
    n, lead = _names(), _names()["lead"]
    text = ", ".join(TEXT_ATTRS)
    keep = ", ".join(f"{a} = CASE WHEN excluded.{a} <> '' THEN excluded.{a} ELSE {lead}.{a} END" for a in TEXT_ATTRS)
    rejected = f"{lead}.status = '{Lead.Status.REJECTED}'"
    cursor.execute(
        f"""INSERT INTO {lead} (campaign_id, email, {text}, custom_fields, status, error, is_role_address,
                               source_import_id, enrolled_at, created_at, updated_at)
        SELECT %s, s.email, {", ".join("s." + a for a in TEXT_ATTRS)}, s.custom_fields, %s, '', s.is_role_address,
               %s, NULL, %s, %s
        FROM {n["staged"]} AS s
        WHERE s.lead_import_id = %s AND s.problem = '' AND s.outcome = ''
        ORDER BY s.row_number
        ON CONFLICT (campaign_id, email) DO UPDATE SET {keep},
            custom_fields = {_merged_custom("excluded", lead)},
            status = CASE WHEN {rejected} THEN '{Lead.Status.PENDING}' ELSE {lead}.status END,
            error = CASE WHEN {rejected} THEN '' ELSE {lead}.error END,
            is_role_address = excluded.is_role_address,
            updated_at = excluded.updated_at
        WHERE {_changed("excluded", lead)}""",  # noqa: S608
        [campaign_id, Lead.Status.PENDING, import_id, now, now, import_id],
    )


def report_lines(cursor, import_id: int) -> Iterator[tuple]:
    """(row, email, problem, outcome) for every row the report names, in row order."""
    n = _names()
    cursor.execute(
        f"""SELECT row_number, email, problem, outcome, first_row, is_role_address FROM {n["staged"]}
        WHERE lead_import_id = %s AND (problem <> '' OR outcome <> '' OR is_role_address)
        ORDER BY row_number""",  # noqa: S608
        [import_id],
    )
    while chunk := cursor.fetchmany(2000):
        for number, email, problem, outcome, first_row, _role in chunk:
            if problem:
                yield number, email, problem, "skipped"
            elif outcome == "duplicate":
                yield number, email, f"duplicate of row {first_row}", "skipped"
            elif outcome == "suppressed":
                yield number, email, SUPPRESSED_PROBLEM, "skipped"
            else:
                yield number, email, ROLE_PROBLEM, "imported"
