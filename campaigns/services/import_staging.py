"""Writing checked rows into the staging table: COPY on PostgreSQL, executemany elsewhere.

One INSERT per row was most of an import's time (tens of thousands of statements for a
large file); COPY streams a batch in one statement, and SQLite's executemany runs one
prepared statement in C. Callers pass tuples in STAGED_COLUMNS order, inside their own
transaction (a batch and its checkpoint commit together).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from campaigns.models import LeadImportRow
from campaigns.services.import_rows import STAGED_COLUMNS


def _table() -> str:
    return connection.ops.quote_name(LeadImportRow._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(c) for c in STAGED_COLUMNS)


def stage_rows(rows: Iterable[tuple]) -> None:
    """Append `rows` to the staging table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A batch and its checkpoint commit together, so losing the last ones in a server
            # crash loses both and the import resumes from the one before: no fsync to wait for.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            with cursor.cursor.copy(f"COPY {_table()} ({_columns()}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(STAGED_COLUMNS))
        cursor.executemany(f"INSERT INTO {_table()} ({_columns()}) VALUES ({marks})", list(rows))  # noqa: S608 (names, not values)


def staged_discard(*, import_id: int, after_row: int = 0) -> None:
    """Forget the staged rows of an import (those after `after_row`, when resuming)."""
    LeadImportRow.objects.filter(lead_import_id=import_id, row_number__gt=after_row).delete()
